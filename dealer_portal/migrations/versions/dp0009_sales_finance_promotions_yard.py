"""Used-car buying and appraisal, promotions, finance applications, floor plan and the yard map
(issue #22): tables yard_zones, promotions, used_car_appraisals, finance_applications, floor_plans;
sales_quotes.promotion_id/promotion_cents; stock_vehicles.yard_zone/yard_row/yard_slot. Revises the
current head; follows dp0008 (after-sales, #21).

Revision ID: dp0009
Revises: dp0008
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'dp0009'
down_revision: str | Sequence[str] | None = 'dp0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('promotions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=True),
    sa.Column('sponsor', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('models', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_promotions_dealer_code_dealers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions'))
    )
    op.create_index(op.f('ix_promotions_dealer_code'), 'promotions', ['dealer_code'], unique=False)
    op.create_table('yard_zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_yard_zones_dealer_code_dealers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_yard_zones'))
    )
    op.create_index(op.f('ix_yard_zones_dealer_code'), 'yard_zones', ['dealer_code'], unique=False)
    op.create_table('floor_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stock_vehicle_id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('lender', sa.String(length=120), nullable=False),
    sa.Column('principal_cents', sa.Integer(), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('repaid_on', sa.Date(), nullable=True),
    sa.Column('interest_paid_cents', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_floor_plans_dealer_code_dealers')),
    sa.ForeignKeyConstraint(['stock_vehicle_id'], ['stock_vehicles.id'], name=op.f('fk_floor_plans_stock_vehicle_id_stock_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_plans')),
    sa.UniqueConstraint('stock_vehicle_id', name=op.f('uq_floor_plans_stock_vehicle_id'))
    )
    op.create_index(op.f('ix_floor_plans_dealer_code'), 'floor_plans', ['dealer_code'], unique=False)
    op.create_table('used_car_appraisals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('seller_name', sa.String(length=120), nullable=False),
    sa.Column('seller_phone', sa.String(length=40), nullable=False),
    sa.Column('vin', sa.String(length=17), nullable=False),
    sa.Column('model', sa.String(length=80), nullable=False),
    sa.Column('first_registered', sa.Integer(), nullable=False),
    sa.Column('odometer_km', sa.Integer(), nullable=False),
    sa.Column('checklist', sa.Text(), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=False),
    sa.Column('offered_cents', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('appraiser', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stock_vehicle_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_used_car_appraisals_dealer_code_dealers')),
    sa.ForeignKeyConstraint(['stock_vehicle_id'], ['stock_vehicles.id'], name=op.f('fk_used_car_appraisals_stock_vehicle_id_stock_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_used_car_appraisals'))
    )
    op.create_index(op.f('ix_used_car_appraisals_dealer_code'), 'used_car_appraisals', ['dealer_code'], unique=False)
    op.create_index(op.f('ix_used_car_appraisals_status'), 'used_car_appraisals', ['status'], unique=False)
    op.create_index(op.f('ix_used_car_appraisals_vin'), 'used_car_appraisals', ['vin'], unique=False)
    op.create_table('finance_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('lender', sa.String(length=120), nullable=False),
    sa.Column('down_payment_cents', sa.Integer(), nullable=False),
    sa.Column('financed_cents', sa.Integer(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('monthly_cents', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_finance_applications_dealer_code_dealers')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_orders.id'], name=op.f('fk_finance_applications_order_id_sales_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_applications'))
    )
    op.create_index(op.f('ix_finance_applications_dealer_code'), 'finance_applications', ['dealer_code'], unique=False)
    op.create_index(op.f('ix_finance_applications_order_id'), 'finance_applications', ['order_id'], unique=False)
    op.create_index(op.f('ix_finance_applications_status'), 'finance_applications', ['status'], unique=False)
    with op.batch_alter_table('sales_quotes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promotion_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('promotion_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_sales_quotes_promotion_id_promotions'), 'promotions', ['promotion_id'], ['id'])
    with op.batch_alter_table('stock_vehicles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('yard_zone', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('yard_row', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('yard_slot', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stock_vehicles', schema=None) as batch_op:
        batch_op.drop_column('yard_slot')
        batch_op.drop_column('yard_row')
        batch_op.drop_column('yard_zone')
    with op.batch_alter_table('sales_quotes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sales_quotes_promotion_id_promotions'), type_='foreignkey')
        batch_op.drop_column('promotion_cents')
        batch_op.drop_column('promotion_id')
    op.drop_index(op.f('ix_finance_applications_status'), table_name='finance_applications')
    op.drop_index(op.f('ix_finance_applications_order_id'), table_name='finance_applications')
    op.drop_index(op.f('ix_finance_applications_dealer_code'), table_name='finance_applications')
    op.drop_table('finance_applications')
    op.drop_index(op.f('ix_used_car_appraisals_vin'), table_name='used_car_appraisals')
    op.drop_index(op.f('ix_used_car_appraisals_status'), table_name='used_car_appraisals')
    op.drop_index(op.f('ix_used_car_appraisals_dealer_code'), table_name='used_car_appraisals')
    op.drop_table('used_car_appraisals')
    op.drop_index(op.f('ix_floor_plans_dealer_code'), table_name='floor_plans')
    op.drop_table('floor_plans')
    op.drop_index(op.f('ix_yard_zones_dealer_code'), table_name='yard_zones')
    op.drop_table('yard_zones')
    op.drop_index(op.f('ix_promotions_dealer_code'), table_name='promotions')
    op.drop_table('promotions')
