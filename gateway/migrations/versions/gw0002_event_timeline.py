"""driver_events: the source-timeline seconds of the decision (t) and of the onset (onset_t).

Revision ID: gw0002
Revises: gw0001
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gw0002"
down_revision: str | Sequence[str] | None = "gw0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("driver_events") as batch_op:
        batch_op.add_column(sa.Column("t", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("onset_t", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("driver_events") as batch_op:
        batch_op.drop_column("onset_t")
        batch_op.drop_column("t")
