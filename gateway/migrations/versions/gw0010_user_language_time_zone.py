"""users: the language and time zone a person reads the back office in (issue 20): `language` a gettext
locale id ('en', 'zh_CN'), `time_zone` an IANA zone name; NULL means "not chosen" (the portal then
follows the browser's Accept-Language and its default zone).

Revision ID: gw0010
Revises: gw0009
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gw0010"
down_revision: str | Sequence[str] | None = "gw0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("time_zone", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("time_zone")
        batch_op.drop_column("language")
