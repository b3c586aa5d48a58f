"""alerts: the driver session the alert's episode started in (driver_session_id, issue 25), so an alert
is attributed to the drive it belongs to. NULL for alerts of vehicles that do not send one.

Revision ID: gw0008
Revises: gw0007
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gw0008"
down_revision: str | Sequence[str] | None = "gw0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch_op:
        batch_op.add_column(sa.Column("driver_session_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch_op:
        batch_op.drop_column("driver_session_id")
