"""Core tables of the back office (gateway branch). See gateway/db/models.py for what each holds.

Revision ID: gw0001
Revises: 
Create Date: 2026-11-27 16:50:11.361308
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'gw0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('gateway',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_settings'))
    )
    op.create_table('changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=True),
    sa.Column('ref_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_changes'))
    )
    op.create_table('dead_letters',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('topic', sa.String(length=512), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('payload_size', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letters'))
    )
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dead_letters_reason'), ['reason'], unique=False)
        batch_op.create_index(batch_op.f('ix_dead_letters_received_at'), ['received_at'], unique=False)

    op.create_table('dealers',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_dealers'))
    )
    op.create_table('processed_messages',
    sa.Column('msg_id', sa.String(length=64), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('msg_id', name=op.f('pk_processed_messages'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'dispatcher', 'service_advisor', 'technician')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_users_dealer_code_dealers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('vehicles',
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('vin', sa.String(length=17), nullable=True),
    sa.Column('plate', sa.String(length=20), nullable=True),
    sa.Column('model', sa.String(length=100), nullable=True),
    sa.Column('purchase_date', sa.Date(), nullable=True),
    sa.Column('service_life_years', sa.Integer(), nullable=True),
    sa.Column('mileage_limit_km', sa.Float(), nullable=True),
    sa.Column('dealer_code', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'in_maintenance', 'retired')", name=op.f('ck_vehicles_status')),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_vehicles_dealer_code_dealers')),
    sa.PrimaryKeyConstraint('vehicle_id', name=op.f('pk_vehicles')),
    sa.UniqueConstraint('vin', name=op.f('uq_vehicles_vin'))
    )
    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vehicles_dealer_code'), ['dealer_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_vehicles_model'), ['model'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('alert_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('driver_id', sa.String(length=64), nullable=True),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('driver_event', 'repeated_fatigue')", name=op.f('ck_alerts_kind')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_alerts_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('alert_key', name=op.f('uq_alerts_alert_key'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_open', ['acknowledged_at', 'opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_vehicle_id'), ['vehicle_id'], unique=False)

    op.create_table('driver_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('msg_id', sa.String(length=64), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('driver_id', sa.String(length=64), nullable=True),
    sa.Column('speed_kmh', sa.Float(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_driver_events_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_driver_events')),
    sa.UniqueConstraint('msg_id', name=op.f('uq_driver_events_msg_id'))
    )
    with op.batch_alter_table('driver_events', schema=None) as batch_op:
        batch_op.create_index('ix_driver_events_driver_ts', ['driver_id', 'ts'], unique=False)
        batch_op.create_index('ix_driver_events_vehicle_ts', ['vehicle_id', 'ts'], unique=False)

    op.create_table('maintenance_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=True),
    sa.Column('vehicle_id', sa.String(length=64), nullable=True),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('start', sa.Float(), nullable=False),
    sa.Column('period', sa.Float(), nullable=False),
    sa.Column('lead', sa.Float(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("type IN ('km', 'engine_hours', 'months')", name=op.f('ck_maintenance_rules_type')),
    sa.CheckConstraint('model IS NOT NULL OR vehicle_id IS NOT NULL', name=op.f('ck_maintenance_rules_target')),
    sa.CheckConstraint('period > 0', name=op.f('ck_maintenance_rules_period_positive')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_maintenance_rules_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_rules'))
    )
    with op.batch_alter_table('maintenance_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maintenance_rules_model'), ['model'], unique=False)
        batch_op.create_index(batch_op.f('ix_maintenance_rules_vehicle_id'), ['vehicle_id'], unique=False)

    op.create_table('odometer_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('odometer_km', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('msg_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_odometer_log_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_odometer_log'))
    )
    with op.batch_alter_table('odometer_log', schema=None) as batch_op:
        batch_op.create_index('ix_odometer_log_vehicle_ts', ['vehicle_id', 'ts'], unique=False)

    op.create_table('status_samples',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('msg_id', sa.String(length=64), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('driver_id', sa.String(length=64), nullable=True),
    sa.Column('speed_kmh', sa.Float(), nullable=True),
    sa.Column('odometer_km', sa.Float(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('fuel_pct', sa.Float(), nullable=True),
    sa.Column('battery_v', sa.Float(), nullable=True),
    sa.Column('engine_hours', sa.Float(), nullable=True),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_status_samples_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_samples'))
    )
    with op.batch_alter_table('status_samples', schema=None) as batch_op:
        batch_op.create_index('ix_status_samples_vehicle_ts', ['vehicle_id', 'ts'], unique=False)

    op.create_table('vehicle_live_status',
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('presence', sa.String(length=10), nullable=True),
    sa.Column('presence_ts', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_ts', sa.DateTime(timezone=True), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('heading', sa.Float(), nullable=True),
    sa.Column('speed_kmh', sa.Float(), nullable=True),
    sa.Column('odometer_km', sa.Float(), nullable=True),
    sa.Column('fuel_pct', sa.Float(), nullable=True),
    sa.Column('battery_soc_pct', sa.Float(), nullable=True),
    sa.Column('battery_v', sa.Float(), nullable=True),
    sa.Column('engine_hours', sa.Float(), nullable=True),
    sa.Column('dtcs', sa.JSON(), nullable=True),
    sa.Column('driver_id', sa.String(length=64), nullable=True),
    sa.Column('low_voltage_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('driver_state_ts', sa.DateTime(timezone=True), nullable=True),
    sa.Column('driver_state', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_vehicle_live_status_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('vehicle_id', name=op.f('pk_vehicle_live_status'))
    )
    op.create_table('service_appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('dealer_code', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('due_key', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('due_odometer_km', sa.Float(), nullable=True),
    sa.Column('due_engine_hours', sa.Float(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('maintenance_rule', 'dtc', 'battery', 'manual')", name=op.f('ck_service_appointments_source')),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_service_appointments_dealer_code_dealers')),
    sa.ForeignKeyConstraint(['rule_id'], ['maintenance_rules.id'], name=op.f('fk_service_appointments_rule_id_maintenance_rules')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.vehicle_id'], name=op.f('fk_service_appointments_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_appointments')),
    sa.UniqueConstraint('due_key', name=op.f('uq_service_appointments_due_key'))
    )
    with op.batch_alter_table('service_appointments', schema=None) as batch_op:
        batch_op.create_index('ix_service_appointments_dealer_status', ['dealer_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_appointments_vehicle_id'), ['vehicle_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('service_appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_appointments_vehicle_id'))
        batch_op.drop_index('ix_service_appointments_dealer_status')

    op.drop_table('service_appointments')
    op.drop_table('vehicle_live_status')
    with op.batch_alter_table('status_samples', schema=None) as batch_op:
        batch_op.drop_index('ix_status_samples_vehicle_ts')

    op.drop_table('status_samples')
    with op.batch_alter_table('odometer_log', schema=None) as batch_op:
        batch_op.drop_index('ix_odometer_log_vehicle_ts')

    op.drop_table('odometer_log')
    with op.batch_alter_table('maintenance_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maintenance_rules_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_maintenance_rules_model'))

    op.drop_table('maintenance_rules')
    with op.batch_alter_table('driver_events', schema=None) as batch_op:
        batch_op.drop_index('ix_driver_events_vehicle_ts')
        batch_op.drop_index('ix_driver_events_driver_ts')

    op.drop_table('driver_events')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_vehicle_id'))
        batch_op.drop_index('ix_alerts_open')

    op.drop_table('alerts')
    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicles_model'))
        batch_op.drop_index(batch_op.f('ix_vehicles_dealer_code'))

    op.drop_table('vehicles')
    op.drop_table('users')
    op.drop_table('processed_messages')
    op.drop_table('dealers')
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letters_received_at'))
        batch_op.drop_index(batch_op.f('ix_dead_letters_reason'))

    op.drop_table('dead_letters')
    op.drop_table('changes')
    op.drop_table('app_settings')
