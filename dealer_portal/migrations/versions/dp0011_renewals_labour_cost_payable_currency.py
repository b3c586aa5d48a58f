"""Annual-inspection and insurance renewal reminders, labour cost and the currency of payables (issue
#21): customer_vehicles.inspection_due/insurance_expires; dealer_settings.renewal_window_days and
labour_cost_cents_per_hour; supplier_invoices.currency (existing rows: the dealer's currency now, else
CNY, the only currency before dealer settings existed).

Revision ID: dp0011
Revises: dp0010
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'dp0011'
down_revision: str | Sequence[str] | None = 'dp0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customer_vehicles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inspection_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('insurance_expires', sa.Date(), nullable=True))
    with op.batch_alter_table('dealer_settings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('renewal_window_days', sa.Integer(), nullable=False, server_default='30')
        )
        batch_op.add_column(
            sa.Column('labour_cost_cents_per_hour', sa.Integer(), nullable=False, server_default='0')
        )
    with op.batch_alter_table('supplier_invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False, server_default='CNY'))
    op.execute(
        "UPDATE supplier_invoices SET currency = (SELECT s.currency FROM dealer_settings s"
        " WHERE s.dealer_code = supplier_invoices.dealer_code)"
        " WHERE dealer_code IN (SELECT dealer_code FROM dealer_settings)"
    )


def downgrade() -> None:
    with op.batch_alter_table('supplier_invoices', schema=None) as batch_op:
        batch_op.drop_column('currency')
    with op.batch_alter_table('dealer_settings', schema=None) as batch_op:
        batch_op.drop_column('labour_cost_cents_per_hour')
        batch_op.drop_column('renewal_window_days')
    with op.batch_alter_table('customer_vehicles', schema=None) as batch_op:
        batch_op.drop_column('insurance_expires')
        batch_op.drop_column('inspection_due')
