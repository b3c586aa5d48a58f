"""Invoices, payments and receivables (财务管理: 销售开票, 应收账款).

Settlement (service_flow.settle) issues the invoice of the customer-pay lines in the same transaction:
numbered per dealer and calendar year without gaps (`D1-2026-000042`: the next number is the year's
highest plus one, and the unique constraint on (dealer, year, sequence) refuses a second invoice with the
same number should two settlements race; invoices are never deleted). Prices include VAT, as a Chinese
customer sees them (含税价); the invoice is in the dealer's currency and shows the VAT contained at the
dealer's rate (records/dealer_settings: CNY and 13 % unless the dealer's admin set others), both copied
onto the invoice when it is issued. An order the customer pays nothing for (warranty, internal work) gets
no invoice.

Payments are recorded against an invoice, never more than is outstanding; the receivables list is every
invoice with money outstanding, with its age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer_portal.i18n import gettext as tr
from dealer_portal.messages import AUDIT_INVOICED, AUDIT_PAID, N_, PAYMENT_METHODS, Text
from dealer_portal.records import audit, dealer_settings
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.aftersales_tables import Invoice, InvoiceLine, Payment
from dealer_portal.records.tables import Customer, ServiceItem, ServiceOrder
from dms.errors import UserError

CURRENCY = dealer_settings.DEFAULT_CURRENCY  # a dealer's own settings take precedence
TAX_RATE_BP = dealer_settings.DEFAULT_TAX_RATE_BP
METHODS = ("cash", "card", "transfer", "wechat", "alipay")
# An invoice of neither a work order nor a vehicle sale: parts sold over the counter.
IS_COUNTER_SALE = Invoice.order_id.is_(None) & Invoice.sales_order_id.is_(None)
METHOD_LABELS = {method: PAYMENT_METHODS[method] for method in METHODS}  # the payment form's choices


# Lines of a vehicle sale's invoice (records/sales_invoices): their kind is shown as a translated word,
# the description holds what is specific (the vehicle, the option's or promotion's name, the trade-in).
SALE_LINE_LABELS = {
    "vehicle": N_("Vehicle"),
    "option": N_("Option"),
    "discount": N_("Discount"),
    "promo": N_("Promotion"),
    "tradein": N_("Trade-in credit"),
}


def line_text(line: InvoiceLine) -> str:
    """An invoice line as the reader reads it: a vehicle sale's kind in their language, then its detail."""
    word = SALE_LINE_LABELS.get(line.kind)
    if word is None:
        return line.description
    return f"{tr(word)}: {line.description}" if line.description else tr(word)


def tax_in(gross_cents: int, rate_bp: int) -> int:
    """The VAT contained in a tax-inclusive amount, rounded half up to the cent."""
    tax = Decimal(gross_cents) * rate_bp / (10_000 + rate_bp)
    return int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def next_number(session: Session, dealer_code: str, year: int) -> tuple[int, str]:
    highest = session.scalar(
        select(func.max(Invoice.seq)).where(Invoice.dealer_code == dealer_code, Invoice.year == year)
    )
    seq = (highest or 0) + 1
    return seq, f"{dealer_code}-{year}-{seq:06d}"


def new_invoice(
    session: Session,
    actor: Actor,
    dealer_code: str,
    gross_cents: int,
    now: datetime,
    *,
    order_id: int | None = None,
    sales_order_id: int | None = None,
    customer: Customer | None = None,
) -> Invoice:
    """A new invoice (flushed, no lines yet): the next number, the dealer's currency and VAT rate. One
    sequence per dealer and year for every invoice: work orders, counter sales and vehicle sales."""
    seq, number = next_number(session, dealer_code, now.year)
    terms = dealer_settings.effective(session, dealer_code)
    invoice = Invoice(
        dealer_code=dealer_code,
        order_id=order_id,
        sales_order_id=sales_order_id,
        customer_id=customer.id if customer else None,
        customer_name=customer.name if customer else "",
        year=now.year,
        seq=seq,
        number=number,
        issued_at=now,
        issued_by=actor.username,
        currency=terms.currency,
        tax_rate_bp=terms.tax_rate_bp,
        gross_cents=gross_cents,
        tax_cents=tax_in(gross_cents, terms.tax_rate_bp),
    )
    session.add(invoice)
    session.flush()
    return invoice


def issue_for_order(
    session: Session, actor: Actor, order: ServiceOrder, lines: list[ServiceItem], now: datetime
) -> Invoice | None:
    """The invoice of the order's customer-pay lines (called by settlement); None when there are none."""
    billed = [item for item in lines if item.pay_type == "customer" and item.total_cents]
    if not billed:
        return None
    gross = sum(item.total_cents for item in billed)
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    invoice = new_invoice(session, actor, order.dealer_code, gross, now, order_id=order.id, customer=customer)
    for item in billed:
        invoice.lines.append(
            InvoiceLine(
                kind=item.kind,
                description=item.description,
                quantity=item.quantity,
                unit_cents=item.unit_cents,
                total_cents=item.total_cents,
            )
        )
    audit.record(
        session,
        actor,
        now,
        "invoice:issue",
        "invoice",
        invoice.id,
        AUDIT_INVOICED.format(
            invoice=invoice.number, order=order.id, amount=f"{gross / 100:.2f}", currency=invoice.currency
        ),
        dealer_code=order.dealer_code,
    )
    return invoice


def get(session: Session, actor: Actor, invoice_id: int) -> Invoice:
    actor.require("invoices")
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or not actor.sees_dealer(invoice.dealer_code):
        raise NotFound(Text(N_("no invoice {id}"), id=invoice_id))
    return invoice


def for_order(session: Session, actor: Actor, order_id: int) -> Invoice | None:
    if not actor.may("invoices"):
        return None
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    return invoice if invoice is not None and actor.sees_dealer(invoice.dealer_code) else None


def record_payment(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    amount_cents: int,
    method: str,
    now: datetime,
    reference: str = "",
) -> Payment:
    invoice = get(session, actor, invoice_id)
    return take_payment(
        session,
        actor,
        invoice,
        payment_class=Payment,
        entity="invoice",
        title=invoice.number,
        amount_cents=amount_cents,
        method=method,
        reference=reference,
        now=now,
    )


def take_payment(
    session: Session,
    actor: Actor,
    invoice,  # an Invoice or a SupplierInvoice: payments, outstanding_cents, currency, dealer_code
    *,
    payment_class: type,
    entity: str,
    title: str,
    amount_cents: int,
    method: str,
    reference: str,
    now: datetime,
):
    """Money received (an invoice) or paid (a supplier invoice): never more than is outstanding, with
    the same checks and the same audit row (`<entity>:payment`, AUDIT_PAID) for both."""
    if method not in METHODS:
        raise UserError(N_("Method: choose one of the offered values"))
    if amount_cents <= 0:
        raise UserError(N_("Amount: more than 0"))
    if amount_cents > invoice.outstanding_cents:
        raise UserError(
            Text(N_("Amount: at most the {amount} outstanding"), amount=money(invoice.outstanding_cents))
        )
    return add_payment(
        session,
        actor,
        invoice,
        payment_class=payment_class,
        entity=entity,
        title=title,
        amount_cents=amount_cents,
        method=method,
        reference=reference.strip(),
        now=now,
    )


def add_payment(
    session: Session,
    actor: Actor,
    invoice,
    *,
    payment_class: type,
    entity: str,
    title: str,
    amount_cents: int,
    method: str,
    reference: str,
    now: datetime,
):
    """Book a payment already checked (`take_payment`, or the deposit taken at signing) with its
    audit row."""
    payment = payment_class(
        amount_cents=amount_cents, method=method, reference=reference, at=now, by=actor.username
    )
    invoice.payments.append(payment)
    audit.record(
        session,
        actor,
        now,
        f"{entity}:payment",
        entity,
        invoice.id,
        AUDIT_PAID.format(invoice=title, amount=money(amount_cents), currency=invoice.currency, method=method)
        + (f" ({reference})" if reference else ""),
        dealer_code=invoice.dealer_code,
    )
    return payment


def status(invoice: Invoice) -> str:
    if invoice.outstanding_cents <= 0:
        return "paid"
    return "part_paid" if invoice.payments else "open"


STATUS_LABELS = {"open": N_("open"), "part_paid": N_("partly paid"), "paid": N_("paid")}


def invoices(session: Session, actor: Actor, *, only_open: bool = False, limit: int = 500) -> list[Invoice]:
    actor.require("invoices")
    query = select(Invoice).order_by(Invoice.issued_at.desc(), Invoice.id.desc()).limit(limit)
    if not actor.sees_all_dealers:
        query = query.where(Invoice.dealer_code == actor.dealer_code)
    found = list(session.scalars(query))
    return [i for i in found if i.outstanding_cents > 0] if only_open else found


@dataclass(frozen=True)
class Receivables:
    invoices: list[Invoice]
    total_cents: int
    by_age: dict[str, int]  # "0-30", "31-60", "61-90", "90+" days -> outstanding cents


AGE_BUCKETS = ((30, "0-30"), (60, "31-60"), (90, "61-90"))


def age_bucket(days: int) -> str:
    """The ageing bucket of an amount `days` old: "0-30", "31-60", "61-90" or "90+"."""
    return next((label for limit, label in AGE_BUCKETS if days <= limit), "90+")


def receivables(session: Session, actor: Actor, now: datetime) -> Receivables:
    open_ = invoices(session, actor, only_open=True)
    by_age = {label: 0 for _, label in AGE_BUCKETS} | {"90+": 0}
    for invoice in open_:
        by_age[age_bucket((now - invoice.issued_at).days)] += invoice.outstanding_cents
    return Receivables(open_, sum(i.outstanding_cents for i in open_), by_age)


def money(cents: int) -> str:
    """Cents as an exact decimal text ("1234.50")."""
    return str(Decimal(cents).scaleb(-2))
