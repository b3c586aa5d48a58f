"""The portal's tables. Core tables (dealers, users, vehicles with their registration data, odometer log,
events, alerts, appointments, change log) are the gateway's (`gateway.db.models`); these hold what
dealers and dispatchers record on top. Money is stored in integer cents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db.base import Base
from gateway.db.types import UTCDateTime as UtcDateTime

VEHICLE_ID = String(64)
USERNAME = String(64)
DEALER_CODE = String(32)


class VehicleDocument(Base):
    """An uploaded file (registration, insurance, scrap paperwork), kept in the database."""

    __tablename__ = "vehicle_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    uploaded_by: Mapped[str] = mapped_column(USERNAME)


class Customer(Base):
    """A dealer's customer; visible to that dealer's staff only."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")
    # issue #21: customers as records of their own (records/customers.py)
    email: Mapped[str] = mapped_column(String(120), default="", server_default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Booking(Base):
    """A vehicle reserved for a time window, then checked out and returned."""

    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_vehicle_window", "vehicle_id", "starts_at", "ends_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"))
    driver: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    booked_by: Mapped[str] = mapped_column(USERNAME)
    out_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    out_km: Mapped[float | None] = mapped_column(Float)
    out_fuel_pct: Mapped[float | None] = mapped_column(Float)
    back_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    back_km: Mapped[float | None] = mapped_column(Float)
    back_fuel_pct: Mapped[float | None] = mapped_column(Float)


class ServiceOrder(Base):
    """One visit of a vehicle to a dealer's workshop, from appointment to settlement."""

    __tablename__ = "service_orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("service_appointments.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="repair")
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    complaint: Mapped[str] = mapped_column(Text, default="")
    odometer_km: Mapped[float | None] = mapped_column(Float)
    estimate_cents: Mapped[int | None] = mapped_column(Integer)
    pay_type: Mapped[str] = mapped_column(String(16), default="customer")
    technician: Mapped[str | None] = mapped_column(USERNAME)
    qc_by: Mapped[str | None] = mapped_column(USERNAME)
    qc_note: Mapped[str] = mapped_column(Text, default="")
    invoice_cents: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    promised_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # promised completion (issue #21)
    skill_needed: Mapped[str | None] = mapped_column(String(32))  # records/technicians.SKILLS (dp0008)
    items: Mapped[list[ServiceItem]] = relationship(back_populates="order", order_by="ServiceItem.id")
    transitions: Mapped[list[ServiceTransition]] = relationship(order_by="ServiceTransition.id")


class ServiceItem(Base):
    """A line of an estimate / work order: labour hours or a part."""

    __tablename__ = "service_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[float] = mapped_column(Float)
    unit_cents: Mapped[int] = mapped_column(Integer)
    pay_type: Mapped[str] = mapped_column(String(16))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id"))
    issued_qty: Mapped[float] = mapped_column(Float, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # cancelled by an amendment
    order: Mapped[ServiceOrder] = relationship(back_populates="items")

    @property
    def total_cents(self) -> int:
        return round(self.quantity * self.unit_cents)


class ServiceTransition(Base):
    """The audit trail of the service state machine: every step, who, when."""

    __tablename__ = "service_transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(USERNAME)
    note: Mapped[str] = mapped_column(Text, default="")


class Part(Base):
    """A catalogue entry of a dealer's parts store."""

    __tablename__ = "parts"
    __table_args__ = (UniqueConstraint("dealer_code", "number", name="uq_parts_dealer_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    unit_cost_cents: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    reorder_point: Mapped[int] = mapped_column(Integer, default=0)
    reorder_qty: Mapped[int] = mapped_column(Integer, default=0)
    supplier: Mapped[str] = mapped_column(String(120), default="")
    stock: Mapped[list[StockLevel]] = relationship(order_by="StockLevel.bin")

    @property
    def on_hand(self) -> float:
        return sum(level.qty for level in self.stock)


class StockLevel(Base):
    """Quantity of a part in one bin location."""

    __tablename__ = "stock_levels"
    __table_args__ = (UniqueConstraint("part_id", "bin", name="uq_stock_levels_part_bin"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    bin: Mapped[str] = mapped_column(String(20))
    qty: Mapped[float] = mapped_column(Float, default=0)


class StockMove(Base):
    """Every change of stock (receive, return, issue, count), so levels can be explained."""

    __tablename__ = "stock_moves"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    bin: Mapped[str] = mapped_column(String(20))
    delta: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))
    unit_cost_cents: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(USERNAME)


class ScrapRequest(Base):
    """A request to retire a vehicle, decided by an administrator."""

    __tablename__ = "scrap_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(16))
    paperwork: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by: Mapped[str] = mapped_column(USERNAME)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(USERNAME)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Base):
    """Who changed what, when (every write through the portal adds one)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(USERNAME)
    dealer_code: Mapped[str | None] = mapped_column(DEALER_CODE, index=True)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")


PORTAL_TABLES = [
    t.__table__
    for t in (
        VehicleDocument,
        Customer,
        Booking,
        Part,
        StockLevel,
        ServiceOrder,
        ServiceItem,
        ServiceTransition,
        StockMove,
        ScrapRequest,
        AuditEntry,
    )
]

# New-vehicle sales and logistics (issue #22) live in their own module.
from dealer_portal.records.sales_tables import SALES_TABLES

PORTAL_TABLES += SALES_TABLES
from dealer_portal.notify.tables import NOTIFY_TABLES  # their own module, same migration tree

PORTAL_TABLES += NOTIFY_TABLES
from dealer_portal.records.aftersales_tables import AFTERSALES_TABLES  # (last: they refer to these)

PORTAL_TABLES += AFTERSALES_TABLES
from dealer_portal.records.workshop_tables import WORKSHOP_TABLES  # issue #21, dp0008 (they refer to both)

PORTAL_TABLES += WORKSHOP_TABLES
