"""Manufacturer confirmation of sales orders (issue #22): sales_orders.manufacturer_confirmed_at, set
when an exchange file from the manufacturer carries the order back (after dp0006, the notifications).

Revision ID: dp0007
Revises: dp0006
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'dp0007'
down_revision: str | Sequence[str] | None = 'dp0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manufacturer_confirmed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.drop_column('manufacturer_confirmed_at')
