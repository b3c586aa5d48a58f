"""Dealer portal tables (branch `dealer`): documents, customers, bookings, service orders with their
lines and transitions, parts and stock, scrap requests, audit log. See dealer_portal/records/tables.py.
The gateway's tables they refer to are brought up first (`dealer_portal.migrate.upgrade`).

Revision ID: dp0001
Revises: (first of the portal's tree)
Create Date: 2026-11-27 16:51:53.771007
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'dp0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('dealer',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_dealer_code'), ['dealer_code'], unique=False)

    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_customers_dealer_code_dealers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_dealer_code'), ['dealer_code'], unique=False)

    op.create_table('parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit_cost_cents', sa.Integer(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.Column('reorder_point', sa.Integer(), nullable=False),
    sa.Column('reorder_qty', sa.Integer(), nullable=False),
    sa.Column('supplier', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_parts_dealer_code_dealers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parts')),
    sa.UniqueConstraint('dealer_code', 'number', name='uq_parts_dealer_number')
    )
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parts_dealer_code'), ['dealer_code'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('driver', sa.String(length=120), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('booked_by', sa.String(length=64), nullable=False),
    sa.Column('out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('out_km', sa.Float(), nullable=True),
    sa.Column('out_fuel_pct', sa.Float(), nullable=True),
    sa.Column('back_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('back_km', sa.Float(), nullable=True),
    sa.Column('back_fuel_pct', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_bookings_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_vehicle_window', ['vehicle_id', 'starts_at', 'ends_at'], unique=False)

    op.create_table('scrap_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('paperwork', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_scrap_requests_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scrap_requests'))
    )
    with op.batch_alter_table('scrap_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scrap_requests_vehicle_id'), ['vehicle_id'], unique=False)

    op.create_table('stock_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('bin', sa.String(length=20), nullable=False),
    sa.Column('qty', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_levels_part_id_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_levels')),
    sa.UniqueConstraint('part_id', 'bin', name='uq_stock_levels_part_bin')
    )
    op.create_table('vehicle_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_vehicle_documents_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicle_documents'))
    )
    with op.batch_alter_table('vehicle_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vehicle_documents_vehicle_id'), ['vehicle_id'], unique=False)

    op.create_table('service_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('complaint', sa.Text(), nullable=False),
    sa.Column('odometer_km', sa.Float(), nullable=True),
    sa.Column('estimate_cents', sa.Integer(), nullable=True),
    sa.Column('pay_type', sa.String(length=16), nullable=False),
    sa.Column('technician', sa.String(length=64), nullable=True),
    sa.Column('qc_by', sa.String(length=64), nullable=True),
    sa.Column('qc_note', sa.Text(), nullable=False),
    sa.Column('invoice_cents', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['service_appointments.id'], name=op.f('fk_service_orders_appointment_id_service_appointments')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_service_orders_customer_id_customers')),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_service_orders_dealer_code_dealers')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_service_orders_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_orders')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_service_orders_appointment_id'))
    )
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_orders_dealer_code'), ['dealer_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_orders_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_orders_vehicle_id'), ['vehicle_id'], unique=False)

    op.create_table('service_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('unit_cents', sa.Integer(), nullable=False),
    sa.Column('pay_type', sa.String(length=16), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=True),
    sa.Column('issued_qty', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_service_items_order_id_service_orders')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_service_items_part_id_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_items'))
    )
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_items_order_id'), ['order_id'], unique=False)

    op.create_table('service_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_service_transitions_order_id_service_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_transitions'))
    )
    with op.batch_alter_table('service_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_transitions_order_id'), ['order_id'], unique=False)

    op.create_table('stock_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('bin', sa.String(length=20), nullable=False),
    sa.Column('delta', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit_cost_cents', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_stock_moves_order_id_service_orders')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_moves_part_id_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_moves'))
    )
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_moves_part_id'), ['part_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_moves_part_id'))

    op.drop_table('stock_moves')
    with op.batch_alter_table('service_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_transitions_order_id'))

    op.drop_table('service_transitions')
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_items_order_id'))

    op.drop_table('service_items')
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_orders_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_service_orders_state'))
        batch_op.drop_index(batch_op.f('ix_service_orders_dealer_code'))

    op.drop_table('service_orders')
    with op.batch_alter_table('vehicle_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicle_documents_vehicle_id'))

    op.drop_table('vehicle_documents')
    op.drop_table('stock_levels')
    with op.batch_alter_table('scrap_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scrap_requests_vehicle_id'))

    op.drop_table('scrap_requests')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_vehicle_window')

    op.drop_table('bookings')
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parts_dealer_code'))

    op.drop_table('parts')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_dealer_code'))

    op.drop_table('customers')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_dealer_code'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
