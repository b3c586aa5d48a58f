"""Tables of new-vehicle sales and logistics (整车销售, 储运): stock vehicles by VIN with their documents,
shipments from the manufacturer with their loading lists, damage and claims, and the sales chain lead ->
quote -> order/contract -> reservation -> delivery. Money in integer cents. Customers are the after-sales
`customers` table, read as it is."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db.base import Base
from gateway.db.types import UTCDateTime as UtcDateTime

VEHICLE_ID = String(64)
USERNAME = String(64)


class StockVehicle(Base):
    """A new vehicle of a dealer's stock, from the manufacturer's order to the customer's handover."""

    __tablename__ = "stock_vehicles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    vin: Mapped[str] = mapped_column(String(17), unique=True)
    model: Mapped[str] = mapped_column(String(80))
    configuration: Mapped[str] = mapped_column(String(120), default="")
    colour: Mapped[str] = mapped_column(String(40), default="")
    location: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    coc_number: Mapped[str] = mapped_column(String(40), default="")
    list_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pdi_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pdi_by: Mapped[str | None] = mapped_column(USERNAME)
    pdi_checklist: Mapped[str] = mapped_column(Text, default="")
    vehicle_id: Mapped[str | None] = mapped_column(VEHICLE_ID)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Used cars (二手车, dp0004): "used" for a car taken in (a trade-in at a delivery); its odometer at
    # intake, what the dealer credited for it (valuation), its condition and where it came from.
    condition: Mapped[str] = mapped_column(String(8), default="new", server_default="new", index=True)
    odometer_km: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    valuation_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    condition_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    source: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Yard map (库房定址定位, dp0009): the zone, row and slot the vehicle stands in; `location` shows them
    # as "ZONE-RR-SS". A vehicle placed by a free code (before the yard map) has no zone.
    yard_zone: Mapped[str | None] = mapped_column(String(8))
    yard_row: Mapped[int | None] = mapped_column(Integer)
    yard_slot: Mapped[int | None] = mapped_column(Integer)
    documents: Mapped[list[StockDocument]] = relationship(order_by="StockDocument.id")


class StockDocument(Base):
    """A paper of a stock vehicle (certificate of conformity scan, invoice, customs papers)."""

    __tablename__ = "stock_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stock_vehicle_id: Mapped[int] = mapped_column(ForeignKey("stock_vehicles.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    uploaded_by: Mapped[str] = mapped_column(USERNAME)


class Shipment(Base):
    """A transport of new vehicles from the manufacturer to a dealer (its loading list: ShipmentItem)."""

    __tablename__ = "shipments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    waybill: Mapped[str] = mapped_column(String(40))
    carrier: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), index=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    eta: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_position: Mapped[str] = mapped_column(String(120), default="")
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    accepted_by: Mapped[str | None] = mapped_column(USERNAME)
    freight_cents: Mapped[int | None] = mapped_column(Integer)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    settled_by: Mapped[str | None] = mapped_column(USERNAME)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(USERNAME)
    items: Mapped[list[ShipmentItem]] = relationship(order_by="ShipmentItem.id")


class ShipmentItem(Base):
    """One vehicle of a loading list, and what was found on arrival (damage, transport claim)."""

    __tablename__ = "shipment_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    stock_vehicle_id: Mapped[int] = mapped_column(ForeignKey("stock_vehicles.id"), index=True)
    damage: Mapped[str] = mapped_column(Text, default="")
    claim_cents: Mapped[int] = mapped_column(Integer, default=0)
    claim_status: Mapped[str] = mapped_column(String(16), default="none")
    vehicle: Mapped[StockVehicle] = relationship()


class SalesLead(Base):
    """A customer's interest in a new vehicle, owned by the salesperson who took it."""

    __tablename__ = "sales_leads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    salesperson: Mapped[str] = mapped_column(USERNAME)
    interest: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SalesQuote(Base):
    """An offer on a stock vehicle: list price + options - discount - trade-in value = total."""

    __tablename__ = "sales_quotes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("sales_leads.id"), index=True)
    stock_vehicle_id: Mapped[int] = mapped_column(ForeignKey("stock_vehicles.id"))
    price_cents: Mapped[int] = mapped_column(Integer)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    discount_status: Mapped[str] = mapped_column(String(16), default="none")
    discount_decided_by: Mapped[str | None] = mapped_column(USERNAME)
    trade_in_vin: Mapped[str] = mapped_column(String(17), default="")
    trade_in_description: Mapped[str] = mapped_column(String(200), default="")
    trade_in_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(USERNAME)
    # A promotion applied on the quote (dp0009): its amount as it was on the day of the quote.
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotions.id"))
    promotion_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    promotion: Mapped[Promotion | None] = relationship()
    options: Mapped[list[QuoteOption]] = relationship(order_by="QuoteOption.id")
    vehicle: Mapped[StockVehicle] = relationship()
    lead: Mapped[SalesLead] = relationship()

    @property
    def options_cents(self) -> int:
        return sum(o.price_cents for o in self.options)

    @property
    def total_cents(self) -> int:
        return (
            self.price_cents
            + self.options_cents
            - self.discount_cents
            - self.promotion_cents
            - self.trade_in_cents
        )


class QuoteOption(Base):
    """An extra on a quote (floor mats, tow bar, extended warranty), priced in cents."""

    __tablename__ = "sales_quote_options"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("sales_quotes.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    price_cents: Mapped[int] = mapped_column(Integer)


class SalesOrder(Base):
    """The signed contract of a quote: reserves its vehicle, then PDI, then delivery with a handover."""

    __tablename__ = "sales_orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("sales_leads.id"))
    quote_id: Mapped[int] = mapped_column(ForeignKey("sales_quotes.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    stock_vehicle_id: Mapped[int] = mapped_column(ForeignKey("stock_vehicles.id"), index=True)
    salesperson: Mapped[str] = mapped_column(USERNAME)
    status: Mapped[str] = mapped_column(String(16), index=True)
    total_cents: Mapped[int] = mapped_column(Integer)
    deposit_cents: Mapped[int] = mapped_column(Integer, default=0)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    handover: Mapped[str] = mapped_column(Text, default="")
    vehicle_id: Mapped[str | None] = mapped_column(VEHICLE_ID)
    cancelled_reason: Mapped[str] = mapped_column(String(200), default="")
    # The manufacturer confirmed the order (an `orders` record of an exchange file it sent back; dp0007).
    manufacturer_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    quote: Mapped[SalesQuote] = relationship()
    lead: Mapped[SalesLead] = relationship()
    vehicle: Mapped[StockVehicle] = relationship()


class DealerCredit(Base):
    """A dealer's credit line with the manufacturer (经销商授信): new vehicles ordered and not yet sold
    count against it (dp0005)."""

    __tablename__ = "dealer_credit"
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), primary_key=True)
    limit_cents: Mapped[int] = mapped_column(Integer)
    warn_pct: Mapped[int] = mapped_column(Integer, default=90)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(USERNAME)


class YardZone(Base):
    """A zone of a dealer's yard (库房定址): `rows` x `slots` parking places, drawn as a grid (dp0009)."""

    __tablename__ = "yard_zones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(80), default="")
    rows: Mapped[int] = mapped_column(Integer)
    slots: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Promotion(Base):
    """A manufacturer's (dealer_code NULL: every dealer) or a dealer's promotion (促销): a fixed amount
    off the price of the eligible models, from `valid_from` to `valid_to` inclusive (dp0009)."""

    __tablename__ = "promotions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str | None] = mapped_column(ForeignKey("dealers.code"), index=True)
    sponsor: Mapped[str] = mapped_column(String(16))  # "manufacturer" | "dealer"
    name: Mapped[str] = mapped_column(String(120))
    amount_cents: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    models: Mapped[str] = mapped_column(Text)  # one model per line
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(USERNAME)

    @property
    def model_list(self) -> list[str]:
        return [m.strip() for m in self.models.splitlines() if m.strip()]


class UsedCarAppraisal(Base):
    """A used car offered by a private seller (二手车收购, 评估): inspection checklist, condition grade,
    the price offered, the appraiser; above the approval limit a sales manager approves; bought, it
    enters the used-car stock (dp0009)."""

    __tablename__ = "used_car_appraisals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    seller_name: Mapped[str] = mapped_column(String(120))
    seller_phone: Mapped[str] = mapped_column(String(40), default="")
    vin: Mapped[str] = mapped_column(String(17), index=True)
    model: Mapped[str] = mapped_column(String(80))
    first_registered: Mapped[int] = mapped_column(Integer)  # year
    odometer_km: Mapped[int] = mapped_column(Integer)
    checklist: Mapped[str] = mapped_column(Text, default="")  # "key=ok|defect" lines
    grade: Mapped[str] = mapped_column(String(1))
    offered_cents: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    appraiser: Mapped[str] = mapped_column(USERNAME)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_by: Mapped[str | None] = mapped_column(USERNAME)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stock_vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("stock_vehicles.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FinanceApplication(Base):
    """A customer's loan application for a sales order (汽车金融): lender, down payment, term, yearly
    rate, the monthly payment computed, and the lender's answer (dp0009)."""

    __tablename__ = "finance_applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    lender: Mapped[str] = mapped_column(String(120))
    down_payment_cents: Mapped[int] = mapped_column(Integer)
    financed_cents: Mapped[int] = mapped_column(Integer)
    term_months: Mapped[int] = mapped_column(Integer)
    rate_bp: Mapped[int] = mapped_column(Integer)  # yearly rate in hundredths of a percent
    monthly_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # submitted | approved | declined
    decided_by: Mapped[str | None] = mapped_column(USERNAME)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(USERNAME)


class FloorPlan(Base):
    """A stock vehicle financed by the dealer's inventory lender (经销商融资, floor plan): interest runs
    per day from `started_on` until it is repaid (dp0009)."""

    __tablename__ = "floor_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stock_vehicle_id: Mapped[int] = mapped_column(ForeignKey("stock_vehicles.id"), unique=True)
    dealer_code: Mapped[str] = mapped_column(ForeignKey("dealers.code"), index=True)
    lender: Mapped[str] = mapped_column(String(120))
    principal_cents: Mapped[int] = mapped_column(Integer)
    rate_bp: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[date] = mapped_column(Date)
    repaid_on: Mapped[date | None] = mapped_column(Date)
    interest_paid_cents: Mapped[int | None] = mapped_column(Integer)
    # How it was closed (dp0010): "repaid" by hand, or "sold" (paid off at the vehicle's delivery).
    payoff: Mapped[str | None] = mapped_column(String(16))
    payoff_order: Mapped[str | None] = mapped_column(String(24))  # the sales order that paid it off
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(USERNAME)
    vehicle: Mapped[StockVehicle] = relationship()


SALES_TABLES = [
    t.__table__
    for t in (
        DealerCredit,
        StockVehicle,
        StockDocument,
        Shipment,
        ShipmentItem,
        SalesLead,
        SalesQuote,
        QuoteOption,
        SalesOrder,
        YardZone,
        Promotion,
        UsedCarAppraisal,
        FinanceApplication,
        FloorPlan,
    )
]
