"""Dealer invoicing settings (tax rate, currency, service interval), technician teams and skills (and
the skill a work order needs), service reminders to customers, supplier invoices and their payments
(issue #21). See dealer_portal/records/workshop_tables.py.

Revision ID: dp0008
Revises: dp0007
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'dp0008'
down_revision: str | Sequence[str] | None = 'dp0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dealer_settings',
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tax_rate_bp', sa.Integer(), nullable=False),
    sa.Column('service_interval_months', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_dealer_settings_dealer_code_dealers')),
    sa.PrimaryKeyConstraint('dealer_code', name=op.f('pk_dealer_settings'))
    )
    op.create_table('technician_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_technician_teams_dealer_code_dealers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technician_teams')),
    sa.UniqueConstraint('dealer_code', 'name', name='uq_technician_teams_dealer_name')
    )
    with op.batch_alter_table('technician_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technician_teams_dealer_code'), ['dealer_code'], unique=False)

    op.create_table('service_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('due_key', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('email', sa.String(length=120), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_service_reminders_customer_id_customers')),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_service_reminders_dealer_code_dealers')),
    sa.ForeignKeyConstraint(['delivery_id'], ['notification_deliveries.id'], name=op.f('fk_service_reminders_delivery_id_notification_deliveries')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_service_reminders_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_reminders')),
    sa.UniqueConstraint('dealer_code', 'due_key', name='uq_service_reminders_dealer_key')
    )
    with op.batch_alter_table('service_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_reminders_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_reminders_dealer_code'), ['dealer_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_reminders_sent_at'), ['sent_at'], unique=False)

    op.create_table('supplier_invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('purchase_order_id', sa.Integer(), nullable=False),
    sa.Column('supplier', sa.String(length=120), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('gross_cents', sa.Integer(), nullable=False),
    sa.Column('expected_cents', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_supplier_invoices_dealer_code_dealers')),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'], name=op.f('fk_supplier_invoices_purchase_order_id_purchase_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_invoices')),
    sa.UniqueConstraint('dealer_code', 'supplier', 'number', name='uq_supplier_invoices_dealer_number')
    )
    with op.batch_alter_table('supplier_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_invoices_dealer_code'), ['dealer_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_invoices_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_invoices_purchase_order_id'), ['purchase_order_id'], unique=False)

    op.create_table('technician_profiles',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('skills', sa.String(length=400), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['technician_teams.id'], name=op.f('fk_technician_profiles_team_id_technician_teams')),
    sa.ForeignKeyConstraint(['username'], ['users.username'], name=op.f('fk_technician_profiles_username_users')),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_technician_profiles'))
    )
    with op.batch_alter_table('technician_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technician_profiles_team_id'), ['team_id'], unique=False)

    op.create_table('supplier_invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('unit_cents', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['supplier_invoices.id'], name=op.f('fk_supplier_invoice_lines_invoice_id_supplier_invoices')),
    sa.ForeignKeyConstraint(['po_line_id'], ['purchase_order_lines.id'], name=op.f('fk_supplier_invoice_lines_po_line_id_purchase_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_invoice_lines'))
    )
    with op.batch_alter_table('supplier_invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_invoice_lines_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_invoice_lines_po_line_id'), ['po_line_id'], unique=False)

    op.create_table('supplier_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['supplier_invoices.id'], name=op.f('fk_supplier_payments_invoice_id_supplier_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_payments'))
    )
    with op.batch_alter_table('supplier_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_payments_invoice_id'), ['invoice_id'], unique=False)

    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skill_needed', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.drop_column('skill_needed')
    for table in (
        'supplier_payments',
        'supplier_invoice_lines',
        'technician_profiles',
        'supplier_invoices',
        'service_reminders',
        'technician_teams',
        'dealer_settings',
    ):
        op.drop_table(table)
