"""Tables of the dealer's workshop and books beyond the first after-sales release (issue #21, portal
migration dp0008): each dealer's tax rate, currency and service interval; technician teams and skills
(and the skill a work order needs, a column of `service_orders` declared in tables.py); service
reminders sent to customers; supplier invoices matched to purchase-order receipts, and their payments.
Money is integer cents, as everywhere in the portal."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db.base import Base
from gateway.db.types import UTCDateTime as UtcDateTime

USERNAME = String(64)


class DealerSettings(Base):
    """A dealer's own invoicing settings; a dealer without a row uses the defaults (CNY, 13 % VAT)."""

    __tablename__ = "dealer_settings"
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_bp: Mapped[int] = mapped_column(Integer)  # basis points: 1300 = 13 %
    service_interval_months: Mapped[int] = mapped_column(Integer)
    renewal_window_days: Mapped[int] = mapped_column(Integer, default=30)  # dp0011
    labour_cost_cents_per_hour: Mapped[int] = mapped_column(Integer, default=0)  # dp0011
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(USERNAME)


class TechnicianTeam(Base):
    """A team (班组) of a dealer's workshop."""

    __tablename__ = "technician_teams"
    __table_args__ = (UniqueConstraint("dealer_code", "name", name="uq_technician_teams_dealer_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TechnicianProfile(Base):
    """A technician's team and skills (`skills`: the SKILLS keys, comma-separated)."""

    __tablename__ = "technician_profiles"
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("technician_teams.id"), index=True)
    skills: Mapped[str] = mapped_column(String(400), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(USERNAME)

    @property
    def skill_set(self) -> set[str]:
        return {s for s in self.skills.split(",") if s}


class ServiceReminder(Base):
    """A due-service reminder sent to a customer by e-mail, once per due occurrence (`due_key`: the
    maintenance proposal's key, or `last:<order id>` when the interval since the last visit ran out).
    Its delivery is a row of the notification queue, sent by the notification worker."""

    __tablename__ = "service_reminders"
    __table_args__ = (UniqueConstraint("dealer_code", "due_key", name="uq_service_reminders_dealer_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"))
    due_key: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(120))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("notification_deliveries.id"))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    sent_by: Mapped[str] = mapped_column(USERNAME)


class SupplierInvoice(Base):
    """A supplier's invoice (供应商发票) for goods received on a purchase order, matched line by line
    against what was received and what was ordered at what cost; paid (应付账款) once matched or, with a
    difference, once the difference is accepted."""

    __tablename__ = "supplier_invoices"
    __table_args__ = (
        UniqueConstraint("dealer_code", "supplier", "number", name="uq_supplier_invoices_dealer_number"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(120))
    number: Mapped[str] = mapped_column(String(60))
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    gross_cents: Mapped[int] = mapped_column(Integer)
    expected_cents: Mapped[int] = mapped_column(Integer)  # the same quantities at the order's costs
    currency: Mapped[str] = mapped_column(String(3), default="CNY")  # the dealer's at recording (dp0011)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(USERNAME)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # a difference accepted
    accepted_by: Mapped[str | None] = mapped_column(USERNAME)
    lines: Mapped[list[SupplierInvoiceLine]] = relationship(order_by="SupplierInvoiceLine.id")
    payments: Mapped[list[SupplierPayment]] = relationship(order_by="SupplierPayment.id")

    @property
    def difference_cents(self) -> int:
        return self.gross_cents - self.expected_cents

    @property
    def paid_cents(self) -> int:
        return sum(p.amount_cents for p in self.payments)

    @property
    def outstanding_cents(self) -> int:
        return self.gross_cents - self.paid_cents


class SupplierInvoiceLine(Base):
    __tablename__ = "supplier_invoice_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("supplier_invoices.id"), index=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    unit_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)


class SupplierPayment(Base):
    """Money paid to a supplier against their invoice (never more than is outstanding)."""

    __tablename__ = "supplier_payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("supplier_invoices.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(USERNAME)


WORKSHOP_TABLES = [
    t.__table__
    for t in (
        DealerSettings,
        TechnicianTeam,
        TechnicianProfile,
        ServiceReminder,
        SupplierInvoice,
        SupplierInvoiceLine,
        SupplierPayment,
    )
]
