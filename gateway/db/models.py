"""The core tables of the back office (owned by the gateway; the dealer portal adds its own beside them).

| table                  | what it holds                                                                |
|------------------------|------------------------------------------------------------------------------|
| dealers                | servicing dealers (code, name)                                               |
| users                  | portal/API users: bcrypt hash, role, dealer (NULL = fleet-wide staff)        |
| vehicles               | registered vehicles: identity, lifecycle status, servicing dealer            |
| processed_messages     | applied MQTT msg_ids (primary key -> applied at most once), pruned by age    |
| status_samples         | vehicle status history, one row per status message (PostgreSQL: by month)    |
| status_minutes         | downsampled status history, one row per vehicle-minute (kept a year)         |
| odometer_log           | append-only odometer readings (the vehicle's odometer is the latest one)     |
| vehicle_live_status    | the live projection per vehicle (presence, position, signals, driver state)  |
| driver_events          | driver-event history, one row per event message                              |
| alerts                 | what a dispatcher acknowledges: one row per alert episode / fleet flag       |
| dead_letters           | rejected payloads: topic, first bytes, reason, detail, time                  |
| maintenance_rules      | Traccar-style rules {type, start, period} + lead, per model or per vehicle   |
| service_appointments   | dealer-side proposals created by triggers; `due_key` UNIQUE = once per due   |
| changes                | monotonically increasing change log for SSE/pub-sub across processes         |
| app_settings           | small key/value store shared by processes (e.g. the generated JWT secret)    |

Timestamps are `UTCDateTime` (always timezone-aware). Schema changes go through new Alembic revisions
in `gateway/migrations/versions/`; never edit a landed one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base
from gateway.db.types import BigIntPK, UTCDateTime

ROLES = ("admin", "dispatcher", "service_advisor", "technician", "salesperson", "sales_manager")
VEHICLE_STATUSES = ("active", "in_maintenance", "retired")
RULE_TYPES = ("km", "engine_hours", "months")
APPOINTMENT_SOURCES = ("maintenance_rule", "dtc", "battery", "manual")
ALERT_KINDS = ("driver_event", "repeated_fatigue")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Dealer(Base):
    __tablename__ = "dealers"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    # NULL: fleet-wide staff (admin, dispatcher); set: the user sees only this dealer's records.
    dealer_code: Mapped[str | None] = mapped_column(ForeignKey("dealers.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the back office is shown in (gw0010): a gettext locale id ('en', 'zh_CN') and an IANA zone;
    # NULL: not chosen (the portal follows the browser's Accept-Language and its default zone).
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Where a one-time password reset link goes (gw0013); NULL: none known, an administrator types one.
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)


class PasswordResetToken(Base):
    """A one-time password reset link (gw0013): only the SHA-256 of its token is stored. It works once
    (`used_at`), until `expires_at`, for an active user; issuing a new one ends the user's older ones."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(255))
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Vehicle(Base):
    __tablename__ = "vehicles"
    __table_args__ = (CheckConstraint(_in("status", VEHICLE_STATUSES), name="status"),)

    vehicle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vin: Mapped[str | None] = mapped_column(String(17), unique=True)
    plate: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(100), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    service_life_years: Mapped[int | None] = mapped_column(Integer)
    mileage_limit_km: Mapped[float | None] = mapped_column(Float)
    dealer_code: Mapped[str | None] = mapped_column(ForeignKey("dealers.code"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessedMessage(Base):
    __tablename__ = "processed_messages"

    msg_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # pruned by age (gw0003)


class StatusSample(Base):
    """On PostgreSQL partitioned by month of `ts`, primary key (id, ts) (gw0004, gateway/db/partitions.py);
    `id` alone is unique all the same (one sequence), which is what the ORM relies on."""

    __tablename__ = "status_samples"
    __table_args__ = (Index("ix_status_samples_vehicle_ts", "vehicle_id", "ts"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64))
    vehicle_id: Mapped[str] = mapped_column(String(64))  # a registered vehicle; no key check per row (gw0006)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    driver_id: Mapped[str | None] = mapped_column(String(64))
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    odometer_km: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    fuel_pct: Mapped[float | None] = mapped_column(Float)
    battery_v: Mapped[float | None] = mapped_column(Float)
    engine_hours: Mapped[float | None] = mapped_column(Float)
    # The whole VSS snapshot as received (wire names), for what the columns above do not carry.
    signals: Mapped[dict[str, Any]] = mapped_column(JSON)


class StatusMinute(Base):
    """The status history downsampled per vehicle and UTC minute (gw0009), written by the ingest in the
    same transaction as the raw rows (a late sample merges into its minute). Kept
    `history_retention_days`; PostgreSQL: partitioned by month of `minute`."""

    __tablename__ = "status_minutes"

    vehicle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    samples: Mapped[int] = mapped_column(Integer)  # status samples merged into this row
    last_ts: Mapped[datetime] = mapped_column(UTCDateTime)  # the latest sample's time: the columns below
    driver_id: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    odometer_km: Mapped[float | None] = mapped_column(Float)
    fuel_pct: Mapped[float | None] = mapped_column(Float)
    engine_hours: Mapped[float | None] = mapped_column(Float)
    speed_n: Mapped[int] = mapped_column(Integer)  # samples with a speed (the mean's weight)
    speed_mean_kmh: Mapped[float | None] = mapped_column(Float)
    speed_max_kmh: Mapped[float | None] = mapped_column(Float)
    battery_min_v: Mapped[float | None] = mapped_column(Float)


class OdometerReading(Base):
    __tablename__ = "odometer_log"
    __table_args__ = (Index("ix_odometer_log_vehicle_ts", "vehicle_id", "ts"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(String(64))  # a registered vehicle; no key check per row (gw0006)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    odometer_km: Mapped[float] = mapped_column(Float)
    # 'telemetry' from status messages; the portal may log 'checkout', 'return', 'reception', 'manual'.
    source: Mapped[str] = mapped_column(String(20))
    msg_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VehicleLiveStatus(Base):
    __tablename__ = "vehicle_live_status"
    # Room on each page for the updated row version: each batch updates every reporting vehicle (gw0005).
    __table_args__ = {"postgresql_with": {"fillfactor": 50}}

    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"), primary_key=True)
    presence: Mapped[str | None] = mapped_column(String(10))  # 'online' | 'offline' as last reported
    presence_ts: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)  # gateway clock, any message kind
    status_ts: Mapped[datetime | None] = mapped_column(UTCDateTime)  # ts of the status applied below
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    odometer_km: Mapped[float | None] = mapped_column(Float)
    fuel_pct: Mapped[float | None] = mapped_column(Float)
    battery_soc_pct: Mapped[float | None] = mapped_column(Float)
    battery_v: Mapped[float | None] = mapped_column(Float)
    engine_hours: Mapped[float | None] = mapped_column(Float)
    dtcs: Mapped[list[str] | None] = mapped_column(JSON)
    driver_id: Mapped[str | None] = mapped_column(String(64))
    # When the low-voltage battery first read below the threshold in the current episode (NULL: fine).
    low_voltage_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    driver_state_ts: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Latest DriverState summary: monitoring, eyes on road, fatigue, distraction, gaze zone, active events.
    driver_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DriverEventRecord(Base):
    __tablename__ = "driver_events"
    __table_args__ = (
        Index("ix_driver_events_vehicle_ts", "vehicle_id", "ts"),
        Index("ix_driver_events_driver_ts", "driver_id", "ts"),
        Index("ix_driver_events_vehicle_session", "vehicle_id", "driver_session_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    type: Mapped[str] = mapped_column(String(32))
    phase: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    episode_id: Mapped[str] = mapped_column(String(64))
    driver_id: Mapped[str | None] = mapped_column(String(64))
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Seconds on the source timeline (clip or device uptime) of the decision and of the onset (gw0002).
    t: Mapped[float | None] = mapped_column(Float)
    onset_t: Mapped[float | None] = mapped_column(Float)
    # The vehicle's driver session (a new one at each change of driver, gw0007): episodes per drive.
    driver_session_id: Mapped[str | None] = mapped_column(String(64))


class Alert(Base):
    """One row per alert episode (a driver event with level > 0) or fleet flag (repeated fatigue)."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("kind", ALERT_KINDS), name="kind"),
        Index("ix_alerts_open", "acknowledged_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # 'event:<vehicle>:<episode>' or 'fatigue:<driver>:<first event ts>': one row per episode/flag.
    alert_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"), index=True)
    driver_id: Mapped[str | None] = mapped_column(String(64))
    # the vehicle's driver session the alert's episode started in (issue 25; NULL without sessions)
    driver_session_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeadLetter(Base):
    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    topic: Mapped[str] = mapped_column(String(512))
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # the first DEAD_LETTER_MAX_BYTES bytes
    payload_size: Mapped[int] = mapped_column(Integer)  # the full size as received
    reason: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class MaintenanceRule(Base):
    """Due points are start + k*period (k = 0, 1, ...) of the rule's quantity.

    km / engine_hours: over the odometer / engine hours; months: months after the vehicle's purchase date
    (or registration when unknown). `lead` (km, hours, or days for months rules) proposes ahead of due.
    """

    __tablename__ = "maintenance_rules"
    __table_args__ = (
        CheckConstraint(_in("type", RULE_TYPES), name="type"),
        CheckConstraint("period > 0", name="period_positive"),
        CheckConstraint("model IS NOT NULL OR vehicle_id IS NOT NULL", name="target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(ForeignKey("vehicles.vehicle_id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    period: Mapped[float] = mapped_column(Float)
    lead: Mapped[float] = mapped_column(Float, default=0.0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ServiceAppointment(Base):
    """A proposal for the servicing dealer. The portal moves `status` on from 'proposed'."""

    __tablename__ = "service_appointments"
    __table_args__ = (
        CheckConstraint(_in("source", APPOINTMENT_SOURCES), name="source"),
        Index("ix_service_appointments_dealer_status", "dealer_code", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"), index=True)
    dealer_code: Mapped[str | None] = mapped_column(ForeignKey("dealers.code"))
    source: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_rules.id"))
    # e.g. 'rule:3:VAN-1:2' (rule 3, vehicle VAN-1, occurrence k=2), 'dtc:VAN-1:P0301:<ts>': once per due.
    due_key: Mapped[str] = mapped_column(String(200), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    due_odometer_km: Mapped[float | None] = mapped_column(Float)
    due_engine_hours: Mapped[float | None] = mapped_column(Float)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Change(Base):
    """Written in the same transaction as the change itself; readers poll `id > last_seen_id`."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # 'status', 'presence', 'driver_state', 'event', 'alert', 'appointment', 'vehicle', 'dead_letter', ...
    kind: Mapped[str] = mapped_column(String(32))
    vehicle_id: Mapped[str | None] = mapped_column(String(64))
    ref_id: Mapped[str | None] = mapped_column(String(64))  # id of the row changed, when there is one
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AppSetting(Base):
    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


GATEWAY_TABLES = frozenset(
    mapper.local_table.name for mapper in Base.registry.mappers if mapper.class_.__module__ == __name__
)
"""The tables the gateway's migrations own (the portal declares its own on the same Base)."""
