"""Tables of the dealer's after-sales and customer records (issue #21): customers' vehicles and
complaints, work-order amendments with the customer's approval, labour clocked per technician, warranty
claims to the manufacturer, invoices and payments. Money is integer cents, as everywhere in the portal.

They belong to the portal's migration tree (`dealer_portal/migrations`, revision dp0002); the columns
added to `customers`, `service_orders` and `service_items` are declared on those classes in tables.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db.base import Base
from gateway.db.types import UTCDateTime as UtcDateTime

USERNAME = String(64)


class CustomerVehicle(Base):
    """A vehicle a customer owns (or drives for the owner), as the dealer knows it."""

    __tablename__ = "customer_vehicles"
    __table_args__ = (UniqueConstraint("customer_id", "vehicle_id", name="uq_customer_vehicles_pair"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"), index=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(USERNAME)
    inspection_due: Mapped[date | None] = mapped_column(Date)  # annual inspection (年检), dp0011
    insurance_expires: Mapped[date | None] = mapped_column(Date)  # insurance renewal (续保), dp0011


class CustomerComplaint(Base):
    """A complaint of a customer (投诉), open until the dealer records how it was resolved."""

    __tablename__ = "customer_complaints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"))
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(USERNAME)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(USERNAME)
    resolution: Mapped[str] = mapped_column(Text, default="")


class SatisfactionSurvey(Base):
    """The customer's answer to the satisfaction survey after a settled visit (客户满意度调查): 1-5."""

    __tablename__ = "satisfaction_surveys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    by: Mapped[str] = mapped_column(USERNAME)


class WorkOrderAmendment(Base):
    """A line added to or cancelled on an open work order, with the customer's approval of the new
    estimate: who approved, when and how."""

    __tablename__ = "work_order_amendments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    action: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(200))
    estimate_before_cents: Mapped[int] = mapped_column(Integer)
    estimate_after_cents: Mapped[int] = mapped_column(Integer)
    approved_by: Mapped[str] = mapped_column(String(120))
    approval_method: Mapped[str] = mapped_column(String(16))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(USERNAME)


class LabourClock(Base):
    """Time a technician clocked on a work order: open while `stopped_at` is empty."""

    __tablename__ = "labour_clock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    technician: Mapped[str] = mapped_column(USERNAME, index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def minutes(self) -> float | None:
        if self.stopped_at is None:
            return None
        return (self.stopped_at - self.started_at).total_seconds() / 60


class WarrantyClaim(Base):
    """A claim to the manufacturer for the warranty lines of a work order (索赔)."""

    __tablename__ = "warranty_claims"
    __table_args__ = (UniqueConstraint("dealer_code", "number", name="uq_warranty_claims_dealer_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), index=True)
    claimed_cents: Mapped[int] = mapped_column(Integer)
    credited_cents: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(USERNAME)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    credited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    parts_returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    parts_return_ref: Mapped[str] = mapped_column(String(120), default="")
    lines: Mapped[list[WarrantyClaimLine]] = relationship(order_by="WarrantyClaimLine.id")


class WarrantyClaimLine(Base):
    """One warranty line of the work order, as claimed."""

    __tablename__ = "warranty_claim_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("warranty_claims.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(200))
    part_number: Mapped[str] = mapped_column(String(40), default="")
    quantity: Mapped[float] = mapped_column(Float)
    amount_cents: Mapped[int] = mapped_column(Integer)


class Invoice(Base):
    """A customer invoice (销售开票), issued at settlement, a counter sale or a vehicle sale, never deleted: numbered per dealer and year
    without gaps (`number` = DEALER-YEAR-SEQUENCE). Prices include VAT; `tax_cents` is the VAT in them."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("dealer_code", "year", "seq", name="uq_invoices_dealer_year_seq"),
        UniqueConstraint("dealer_code", "number", name="uq_invoices_dealer_number"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"), unique=True)
    # A vehicle sale's invoice (dp0010): the sales order it bills, one invoice per order.
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    customer_name: Mapped[str] = mapped_column(String(120), default="")
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    issued_by: Mapped[str] = mapped_column(USERNAME)
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_bp: Mapped[int] = mapped_column(Integer)  # basis points: 1300 = 13 %
    gross_cents: Mapped[int] = mapped_column(Integer)
    tax_cents: Mapped[int] = mapped_column(Integer)
    lines: Mapped[list[InvoiceLine]] = relationship(order_by="InvoiceLine.id")
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.id")

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.tax_cents

    @property
    def paid_cents(self) -> int:
        return sum(p.amount_cents for p in self.payments)

    @property
    def outstanding_cents(self) -> int:
        return self.gross_cents - self.paid_cents


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[float] = mapped_column(Float)
    unit_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)


class Payment(Base):
    """Money received against an invoice (never more than is outstanding)."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(USERNAME)


class PurchaseOrder(Base):
    """An order to a parts supplier (配件订货), made from the reorder list and received against."""

    __tablename__ = "purchase_orders"
    __table_args__ = (UniqueConstraint("dealer_code", "number", name="uq_purchase_orders_dealer_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    supplier: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(USERNAME)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")
    lines: Mapped[list[PurchaseOrderLine]] = relationship(order_by="PurchaseOrderLine.id")

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    received_qty: Mapped[float] = mapped_column(Float, default=0)
    unit_cost_cents: Mapped[int] = mapped_column(Integer)

    @property
    def open_qty(self) -> float:
        return max(0.0, self.quantity - self.received_qty)

    @property
    def total_cents(self) -> int:
        return round(self.quantity * self.unit_cost_cents)


AFTERSALES_TABLES = [
    t.__table__
    for t in (
        CustomerVehicle,
        CustomerComplaint,
        SatisfactionSurvey,
        WorkOrderAmendment,
        LabourClock,
        WarrantyClaim,
        WarrantyClaimLine,
        Invoice,
        InvoiceLine,
        Payment,
        PurchaseOrder,
        PurchaseOrderLine,
    )
]
