"""Supplier invoices and payables (供应商发票, 应付账款).

A supplier's invoice is recorded against a purchase order's receipts: for each line, the quantity
invoiced (never more than was received and not yet invoiced on earlier invoices of the order) and the
unit price the supplier charged. It is matched against what was ordered at what cost: an invoice whose
amount equals the same quantities at the order's costs is 'matched' and can be paid; one that differs is
held ('difference') until an admin accepts the difference. Payments never exceed what is outstanding.
The payables list is every invoice with money outstanding, aged by its due date."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.messages import N_, Text
from dealer_portal.records import audit, dealer_settings, invoices, purchasing
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.aftersales_tables import PurchaseOrder
from dealer_portal.records.workshop_tables import SupplierInvoice, SupplierInvoiceLine, SupplierPayment
from dms.errors import UserError

STATUS_LABELS = {
    "difference": N_("difference to check"),
    "open": N_("open"),
    "part_paid": N_("partly paid"),
    "paid": N_("paid"),
}
AGE_LABELS = {"not_due": N_("not yet due"), "0-30": "1-30", "31-60": "31-60", "61-90": "61-90", "90+": "90+"}


def invoiced_qty(session: Session, order: PurchaseOrder) -> dict[int, float]:
    """Quantity of each purchase-order line already on a supplier invoice."""
    totals: dict[int, float] = defaultdict(float)
    query = (
        select(SupplierInvoiceLine).join(SupplierInvoice).where(SupplierInvoice.purchase_order_id == order.id)
    )
    for line in session.scalars(query):
        totals[line.po_line_id] += line.quantity
    return dict(totals)


def record(
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    number: str,
    invoice_date: date,
    due_date: date,
    lines: dict[int, tuple[float, int]],  # purchase-order line id -> (quantity, unit price in cents)
    now: datetime,
) -> SupplierInvoice:
    actor.require("invoices")
    order = purchasing.get(session, actor, order_id)
    number = number.strip()
    if not number:
        raise UserError(N_("Invoice number: fill this in (the supplier's number)"))
    if due_date < invoice_date:
        raise UserError(N_("Due date: on or after the invoice date"))
    if session.scalar(
        select(SupplierInvoice.id).where(
            SupplierInvoice.dealer_code == order.dealer_code,
            SupplierInvoice.supplier == order.supplier,
            SupplierInvoice.number == number,
        )
    ):
        raise UserError(
            Text(
                N_("invoice {number} of {supplier} is already recorded"),
                number=number,
                supplier=order.supplier,
            )
        )
    wanted = {lid: (qty, unit) for lid, (qty, unit) in lines.items() if qty > 0}
    if not wanted:
        raise UserError(N_("enter the quantity invoiced on at least one line"))
    by_id = {ln.id: ln for ln in order.lines}
    parts = purchasing.parts_by_id(session, order)
    already = invoiced_qty(session, order)
    for line_id, (qty, unit) in wanted.items():
        line = by_id.get(line_id)
        if line is None:
            raise NotFound(
                Text(N_("no line {id} on purchase order {number}"), id=line_id, number=order.number)
            )
        free = line.received_qty - already.get(line_id, 0.0)
        if qty > free + 1e-9:
            raise UserError(
                Text(
                    N_("{part}: {qty:g} invoiced, but only {free:g} received and not yet invoiced"),
                    part=parts[line.part_id].number,
                    qty=qty,
                    free=max(free, 0.0),
                )
            )
        if unit < 0:
            raise UserError(N_("prices cannot be negative"))
    invoice = SupplierInvoice(
        dealer_code=order.dealer_code,
        purchase_order_id=order.id,
        supplier=order.supplier,
        number=number,
        invoice_date=invoice_date,
        due_date=due_date,
        gross_cents=sum(round(qty * unit) for qty, unit in wanted.values()),
        expected_cents=sum(round(qty * by_id[lid].unit_cost_cents) for lid, (qty, _) in wanted.items()),
        currency=dealer_settings.effective(session, order.dealer_code).currency,
        recorded_at=now,
        recorded_by=actor.username,
    )
    session.add(invoice)
    session.flush()
    for line_id, (qty, unit) in wanted.items():
        invoice.lines.append(
            SupplierInvoiceLine(
                po_line_id=line_id, quantity=qty, unit_cents=unit, total_cents=round(qty * unit)
            )
        )
    audit.record(
        session,
        actor,
        now,
        "supplier_invoice:recorded",
        "supplier_invoice",
        invoice.id,
        f"{order.supplier} {number} on {order.number}: {invoices.money(invoice.gross_cents)}"
        f" (order prices {invoices.money(invoice.expected_cents)})",
        dealer_code=order.dealer_code,
    )
    return invoice


def get(session: Session, actor: Actor, invoice_id: int) -> SupplierInvoice:
    actor.require("invoices")
    invoice = session.get(SupplierInvoice, invoice_id)
    if invoice is None or not actor.sees_dealer(invoice.dealer_code):
        raise NotFound(Text(N_("no supplier invoice {id}"), id=invoice_id))
    return invoice


def status(invoice: SupplierInvoice) -> str:
    if invoice.difference_cents and invoice.accepted_at is None:
        return "difference"
    if invoice.outstanding_cents <= 0:
        return "paid"
    return "part_paid" if invoice.payments else "open"


def accept_difference(session: Session, actor: Actor, invoice_id: int, now: datetime) -> SupplierInvoice:
    invoice = get(session, actor, invoice_id)
    actor.require("payables_approval")
    if status(invoice) != "difference":
        raise UserError(N_("this invoice has no difference to accept"))
    invoice.accepted_at, invoice.accepted_by = now, actor.username
    audit.record(
        session,
        actor,
        now,
        "supplier_invoice:difference_accepted",
        "supplier_invoice",
        invoice.id,
        f"{invoice.supplier} {invoice.number}: {invoices.money(invoice.difference_cents)}",
        dealer_code=invoice.dealer_code,
    )
    return invoice


def pay(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    amount_cents: int,
    method: str,
    now: datetime,
    reference: str = "",
) -> SupplierPayment:
    invoice = get(session, actor, invoice_id)
    if status(invoice) == "difference":
        raise UserError(
            Text(
                N_(
                    "the invoice differs from the order by {amount}: an admin must accept the difference first"
                ),
                amount=invoices.money(invoice.difference_cents),
            )
        )
    return invoices.take_payment(
        session,
        actor,
        invoice,
        payment_class=SupplierPayment,
        entity="supplier_invoice",
        title=f"{invoice.supplier} {invoice.number}",
        amount_cents=amount_cents,
        method=method,
        reference=reference,
        now=now,
    )


def of_order(session: Session, actor: Actor, order_id: int) -> list[SupplierInvoice]:
    order = purchasing.get(session, actor, order_id)
    if not actor.may("invoices"):
        return []
    query = select(SupplierInvoice).where(SupplierInvoice.purchase_order_id == order.id)
    return list(session.scalars(query.order_by(SupplierInvoice.id)))


def listing(session: Session, actor: Actor, *, only_open: bool = True) -> list[SupplierInvoice]:
    actor.require("invoices")
    query = select(SupplierInvoice).order_by(SupplierInvoice.due_date, SupplierInvoice.id)
    if not actor.sees_all_dealers:
        query = query.where(SupplierInvoice.dealer_code == actor.dealer_code)
    found = list(session.scalars(query))
    return [i for i in found if i.outstanding_cents > 0] if only_open else found


@dataclass(frozen=True)
class Payables:
    invoices: list[SupplierInvoice]
    by_currency: dict[str, dict[str, int]]  # currency -> AGE_LABELS key -> outstanding cents (never added)

    def total_cents(self, currency: str) -> int:
        return sum(self.by_currency.get(currency, {}).values())

    @property
    def currencies(self) -> list[str]:
        return sorted(self.by_currency)


def payables(session: Session, actor: Actor, now: datetime) -> Payables:
    """The open supplier invoices aged by days past their due date, per currency."""
    open_ = listing(session, actor, only_open=True)
    by_currency: dict[str, dict[str, int]] = {}
    for invoice in open_:
        overdue = (now.date() - invoice.due_date).days
        label = "not_due" if overdue <= 0 else invoices.age_bucket(overdue)
        by_currency.setdefault(invoice.currency, dict.fromkeys(AGE_LABELS, 0))[label] += (
            invoice.outstanding_cents
        )
    return Payables(open_, dict(sorted(by_currency.items())))
