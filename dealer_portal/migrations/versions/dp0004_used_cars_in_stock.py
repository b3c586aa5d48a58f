"""Used cars and trade-ins (issue #22): stock_vehicles gets condition ('new' | 'used'), odometer at
intake, valuation (what the dealer credited), condition notes and source (the sales order that took
the car in part exchange). Existing rows are new vehicles. Revises dp0003 here; re-chained at merge.

Revision ID: dp0004
Revises: dp0003
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'dp0004'
down_revision: str | Sequence[str] | None = 'dp0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('stock_vehicles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('condition', sa.String(length=8), server_default='new', nullable=False))
        batch_op.add_column(sa.Column('odometer_km', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('valuation_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('condition_notes', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('source', sa.String(length=40), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_stock_vehicles_condition'), ['condition'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stock_vehicles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_vehicles_condition'))
        batch_op.drop_column('source')
        batch_op.drop_column('condition_notes')
        batch_op.drop_column('valuation_cents')
        batch_op.drop_column('odometer_km')
        batch_op.drop_column('condition')
