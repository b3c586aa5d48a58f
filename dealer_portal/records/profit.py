"""Margin per order and the profit and loss statement of a period (毛利, 损益表), from what the records
store:

- revenue is net of VAT (the VAT in an invoice is owed to the state, not earned): a work order's invoice
  (customer-pay lines) split into labour and parts, the parts' part of the VAT in proportion to their
  gross, plus the manufacturer's credit on its warranty claim; a counter sale's invoice;
- cost of parts: the stock moves that issued parts to the work order (at the cost they left the store
  at), or sold them over the counter (the moves noted "counter sale <invoice number>");
- labour cost: the minutes technicians clocked on the order at the dealer's labour cost per hour
  (records/dealer_settings; 0 until the dealer's admin enters it);
- gross margin = revenue - cost of parts - labour cost.

An order is in the period it was settled in, a counter sale in the period its invoice was issued in, so
the statement's gross margin is the sum of the margins listed. Vehicle sales have no invoice in the
portal (the sales contract is the document), so the statement has no vehicle-sales revenue.

Currencies are never added together: everything is grouped by currency. An invoice carries the currency
it was issued in, and its order's or sale's costs are counted in that currency; an order without an
invoice (warranty, internal) in the dealer's currency today; a supplier invoice in the currency it was
recorded in. All sums are integer cents; the labour cost of each order is rounded half up to a cent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer_portal.messages import N_
from dealer_portal.records import dealer_settings
from dealer_portal.records.actor import Actor
from dealer_portal.records.aftersales_tables import Invoice, LabourClock, WarrantyClaim
from dealer_portal.records.finance_kpis import Period, invoices_in, mine
from dealer_portal.records.invoices import IS_COUNTER_SALE
from dealer_portal.records.tables import Part, ServiceOrder, StockMove
from dealer_portal.records.workshop_tables import SupplierInvoice, SupplierPayment
from dms.errors import UserError

COUNTER_NOTE = "counter sale {number}"  # records/counter_sales writes it on the stock moves of a sale
BAD_MONTH = N_("Month: enter a month like 2026-03")
BAD_QUARTER = N_("Quarter: enter a quarter like 2026-Q1")


def month_days(text: str) -> tuple[date, date]:
    """'2026-03' -> (2026-03-01, 2026-03-31)."""
    try:
        year, month = (int(p) for p in text.strip().split("-")) if len(text.strip()) == 7 else (0, 0)
        first = date(year, month, 1)
    except ValueError:
        raise UserError(BAD_MONTH) from None
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def quarter_days(text: str) -> tuple[date, date]:
    """'2026-Q1' -> (2026-01-01, 2026-03-31)."""
    year, sep, number = text.strip().upper().partition("-Q")
    if not (sep and year.isdigit() and len(year) == 4 and number in ("1", "2", "3", "4")):
        raise UserError(BAD_QUARTER)
    first_month = 3 * (int(number) - 1) + 1
    first = date(int(year), first_month, 1)
    return first, month_days(f"{year}-{first_month + 2:02d}")[1]


@dataclass
class Margin:
    """One work order's or counter sale's revenue, costs and gross margin (cents of `currency`)."""

    kind: str  # "order" or "sale"
    ref: int  # the order's or the invoice's id
    title: str  # "#12 VAN-1" or the invoice number
    dealer_code: str
    currency: str
    at: datetime
    labour_cents: int = 0
    parts_cents: int = 0
    warranty_cents: int = 0
    parts_cost_cents: int = 0
    labour_cost_cents: int = 0
    minutes: float = 0.0

    @property
    def revenue_cents(self) -> int:
        return self.labour_cents + self.parts_cents + self.warranty_cents

    @property
    def margin_cents(self) -> int:
        return self.revenue_cents - self.parts_cost_cents - self.labour_cost_cents

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.revenue_cents:
            return None
        return (Decimal(100 * self.margin_cents) / self.revenue_cents).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Statement:
    """The profit and loss of a period in one currency (cents)."""

    currency: str
    labour_cents: int = 0
    parts_cents: int = 0
    warranty_cents: int = 0
    counter_cents: int = 0
    vat_cents: int = 0  # the VAT contained in the invoices, not revenue
    parts_cost_orders_cents: int = 0
    parts_cost_counter_cents: int = 0
    labour_cost_cents: int = 0
    orders: int = 0
    sales: int = 0
    payables_invoiced_cents: int = 0  # supplier invoices dated in the period
    payables_paid_cents: int = 0  # supplier payments made in the period
    payables_outstanding_cents: int = 0  # all supplier invoices' open amounts now
    # Vehicle-sale invoices, net of VAT: outside revenue and margin, as no purchase cost of a stock
    # vehicle is recorded (its margin would read as the whole price).
    vehicle_sales_cents: int = 0

    @property
    def revenue_cents(self) -> int:
        return self.labour_cents + self.parts_cents + self.warranty_cents + self.counter_cents

    @property
    def cost_cents(self) -> int:
        return self.parts_cost_orders_cents + self.parts_cost_counter_cents + self.labour_cost_cents

    @property
    def margin_cents(self) -> int:
        return self.revenue_cents - self.cost_cents


@dataclass
class Report:
    first: date  # the period's days, in the reader's time zone
    last: date
    period: Period
    margins: list[Margin] = field(default_factory=list)
    statements: dict[str, Statement] = field(default_factory=dict)  # by currency, sorted

    @property
    def currencies(self) -> list[str]:
        return sorted(self.statements)


def _net_split(invoice: Invoice) -> tuple[int, int]:
    """(labour, parts) of the invoice net of VAT: the parts carry VAT in proportion to their gross."""
    parts_gross = sum(line.total_cents for line in invoice.lines if line.kind == "part")
    if not invoice.gross_cents:
        return 0, 0
    parts_net = int(
        (Decimal(parts_gross) * invoice.net_cents / invoice.gross_cents).to_integral_value(ROUND_HALF_UP)
    )
    return invoice.net_cents - parts_net, parts_net


def _move_cost(session: Session, *conditions) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(-StockMove.delta * StockMove.unit_cost_cents), 0)).where(*conditions)
    )
    return int(Decimal(str(total)).to_integral_value(ROUND_HALF_UP))


def _order_margins(session: Session, actor: Actor, period: Period) -> list[Margin]:
    orders = session.scalars(
        mine(
            select(ServiceOrder)
            .where(
                ServiceOrder.state == "settled",
                ServiceOrder.settled_at >= period.start,
                ServiceOrder.settled_at < period.end,
            )
            .order_by(ServiceOrder.settled_at, ServiceOrder.id),
            actor,
            ServiceOrder.dealer_code,
        )
    ).all()
    settings: dict[str, dealer_settings.Effective] = {}
    out = []
    for order in orders:
        if order.dealer_code not in settings:
            settings[order.dealer_code] = dealer_settings.effective(session, order.dealer_code)
        terms = settings[order.dealer_code]
        invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
        margin = Margin(
            "order",
            order.id,
            f"#{order.id} {order.vehicle_id}",
            order.dealer_code,
            invoice.currency if invoice else terms.currency,
            order.settled_at,
        )
        if invoice is not None:
            margin.labour_cents, margin.parts_cents = _net_split(invoice)
        margin.warranty_cents = int(
            session.scalar(
                select(func.coalesce(func.sum(WarrantyClaim.credited_cents), 0)).where(
                    WarrantyClaim.order_id == order.id
                )
            )
        )
        margin.parts_cost_cents = _move_cost(session, StockMove.order_id == order.id)
        clocked = session.scalars(
            select(LabourClock).where(LabourClock.order_id == order.id, LabourClock.stopped_at.is_not(None))
        )
        margin.minutes = sum(c.minutes or 0 for c in clocked)
        cost = Decimal(str(margin.minutes)) * terms.labour_cost_cents_per_hour / 60
        margin.labour_cost_cents = int(cost.to_integral_value(ROUND_HALF_UP))
        out.append(margin)
    return out


def _sale_margins(session: Session, actor: Actor, period: Period) -> list[Margin]:
    sales = session.scalars(
        mine(
            select(Invoice)
            .where(IS_COUNTER_SALE, Invoice.issued_at >= period.start, Invoice.issued_at < period.end)
            .order_by(Invoice.issued_at, Invoice.id),
            actor,
            Invoice.dealer_code,
        )
    ).all()
    out = []
    for invoice in sales:
        margin = Margin(
            "sale", invoice.id, invoice.number, invoice.dealer_code, invoice.currency, invoice.issued_at
        )
        margin.parts_cents = invoice.net_cents
        margin.parts_cost_cents = _move_cost(
            session,
            StockMove.kind == "sale",
            StockMove.note == COUNTER_NOTE.format(number=invoice.number),
            StockMove.part_id.in_(select(Part.id).where(Part.dealer_code == invoice.dealer_code)),
        )
        out.append(margin)
    return out


def report(session: Session, actor: Actor, first: date, last: date, zone: ZoneInfo) -> Report:
    """Margins of the orders settled and counter sales made from `first` to `last` (days in `zone`), and
    the statement per currency."""
    actor.require("invoices")
    period = Period.of_dates(first, last, zone)
    out = Report(first, last, period)
    out.margins = _order_margins(session, actor, period) + _sale_margins(session, actor, period)
    statements: dict[str, Statement] = {}

    def of(currency: str) -> Statement:
        return statements.setdefault(currency, Statement(currency))

    for m in out.margins:
        s = of(m.currency)
        if m.kind == "order":
            s.orders += 1
            s.labour_cents += m.labour_cents
            s.parts_cents += m.parts_cents
            s.warranty_cents += m.warranty_cents
            s.parts_cost_orders_cents += m.parts_cost_cents
            s.labour_cost_cents += m.labour_cost_cents
        else:
            s.sales += 1
            s.counter_cents += m.parts_cents
            s.parts_cost_counter_cents += m.parts_cost_cents
    for invoice in invoices_in(session, actor, period):
        of(invoice.currency).vat_cents += invoice.tax_cents
        if invoice.sales_order_id is not None:
            of(invoice.currency).vehicle_sales_cents += invoice.net_cents
    _payables(session, actor, out, of)
    out.statements = dict(sorted(statements.items()))
    return out


def _payables(session: Session, actor: Actor, out: Report, of) -> None:
    """Supplier invoices dated in the period, paid in it, and outstanding now, by their currency."""
    first, last, period = out.first, out.last, out.period
    for invoice in session.scalars(mine(select(SupplierInvoice), actor, SupplierInvoice.dealer_code)):
        s = of(invoice.currency)
        if first <= invoice.invoice_date <= last:
            s.payables_invoiced_cents += invoice.gross_cents
        s.payables_outstanding_cents += max(invoice.outstanding_cents, 0)
    paid = session.execute(
        mine(
            select(SupplierInvoice.currency, func.sum(SupplierPayment.amount_cents))
            .join(SupplierInvoice, SupplierInvoice.id == SupplierPayment.invoice_id)
            .where(SupplierPayment.at >= period.start, SupplierPayment.at < period.end)
            .group_by(SupplierInvoice.currency),
            actor,
            SupplierInvoice.dealer_code,
        )
    )
    for currency, cents in paid:
        of(currency).payables_paid_cents += int(cents)
