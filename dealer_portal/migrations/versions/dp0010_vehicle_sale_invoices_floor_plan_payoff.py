"""Vehicle-sale invoices and the floor plan paid off at delivery (issue #22): invoices.sales_order_id
(the sales order a vehicle invoice is for, one invoice per order); floor_plans.payoff ('repaid' by hand
or 'sold': closed at the vehicle's delivery) and floor_plans.payoff_order (that sales order's number).

Revision ID: dp0010
Revises: dp0009
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'dp0010'
down_revision: str | Sequence[str] | None = 'dp0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sales_order_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_invoices_sales_order_id'), ['sales_order_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_invoices_sales_order_id_sales_orders'), 'sales_orders', ['sales_order_id'], ['id']
        )
    with op.batch_alter_table('floor_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payoff', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('payoff_order', sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('floor_plans', schema=None) as batch_op:
        batch_op.drop_column('payoff_order')
        batch_op.drop_column('payoff')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invoices_sales_order_id_sales_orders'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_invoices_sales_order_id'), type_='unique')
        batch_op.drop_column('sales_order_id')
