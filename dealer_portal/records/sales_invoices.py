"""The invoice of a vehicle sale (整车销售: 销售开票).

A sales manager (or an admin) invoices a delivered sales order once: the invoice takes the next number of
the dealer's one invoice sequence (records/invoices.new_invoice, the same as work orders and counter
sales), the dealer's currency and VAT rate, and shows the contract as lines: the vehicle at its list
price, each option, the approved discount, the promotion and the trade-in credit (negative lines), adding
up to the contract total in integer cents. The deposit taken at signing is credited as a payment, so the
receivable is the balance; it is then paid on /invoices like any other invoice.

Why only once delivered: the vehicle's invoice is what the buyer registers the vehicle with, and a signed
order can still be cancelled (no credit notes here). A second invoice for the same order is refused (the
unique `invoices.sales_order_id` holds should two requests race)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.messages import AUDIT_VEHICLE_INVOICED, N_, Text, label_msgid
from dealer_portal.records import audit, invoices, sales
from dealer_portal.records.actor import Actor
from dealer_portal.records.aftersales_tables import Invoice, InvoiceLine
from dealer_portal.records.sales_tables import SalesOrder, SalesQuote
from dealer_portal.records.tables import Customer
from dms.errors import UserError


def lines_of(quote: SalesQuote) -> list[InvoiceLine]:
    """The contract as invoice lines (kind, detail, amount); they add up to the quote's total."""
    vehicle = quote.vehicle
    what = " ".join(x for x in (vehicle.model, vehicle.configuration, vehicle.colour) if x)
    found = [("vehicle", f"{what}, VIN {vehicle.vin}".strip(", "), quote.price_cents)]
    found += [("option", option.name, option.price_cents) for option in quote.options]
    if quote.discount_cents:
        found.append(("discount", "", -quote.discount_cents))
    if quote.promotion_cents:
        found.append(("promo", quote.promotion.name if quote.promotion else "", -quote.promotion_cents))
    if quote.trade_in_cents:
        detail = " ".join(x for x in (quote.trade_in_description, quote.trade_in_vin) if x)
        found.append(("tradein", detail, -quote.trade_in_cents))
    return [
        InvoiceLine(kind=kind, description=text[:200], quantity=1, unit_cents=cents, total_cents=cents)
        for kind, text, cents in found
    ]


def of_order(session: Session, order: SalesOrder) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.sales_order_id == order.id))


def issue(session: Session, actor: Actor, order_id: int, now: datetime) -> Invoice:
    """Invoice a delivered sales order of the actor's dealer (once)."""
    actor.require("sales_invoice")
    order = sales.get_order(session, actor, order_id)  # another dealer's order: not found
    if order.status != "delivered":
        raise UserError(
            Text(
                N_("order {number} is {status}: a vehicle sale is invoiced once delivered"),
                number=order.number,
                status=Text(label_msgid(order.status)),
            )
        )
    if (existing := of_order(session, order)) is not None:
        raise UserError(
            Text(
                N_("order {number} is invoiced already: {invoice}"),
                number=order.number,
                invoice=existing.number,
            )
        )
    lines = lines_of(order.quote)
    gross = sum(line.total_cents for line in lines)
    if gross != order.total_cents or gross <= 0:  # a contract changed after signing, or nothing to bill
        raise UserError(
            Text(N_("order {number}: its lines do not add up to the contract total"), number=order.number)
        )
    customer = session.get(Customer, order.customer_id)
    invoice = invoices.new_invoice(
        session, actor, order.dealer_code, gross, now, sales_order_id=order.id, customer=customer
    )
    invoice.lines.extend(lines)
    audit.record(
        session,
        actor,
        now,
        "invoice:issue",
        "invoice",
        invoice.id,
        AUDIT_VEHICLE_INVOICED.format(
            invoice=invoice.number,
            order=order.number,
            amount=invoices.money(gross),
            currency=invoice.currency,
        ),
        dealer_code=order.dealer_code,
    )
    if order.deposit_cents:
        invoices.add_payment(
            session,
            actor,
            invoice,
            payment_class=invoices.Payment,
            entity="invoice",
            title=invoice.number,
            amount_cents=order.deposit_cents,
            method="deposit",
            reference=order.number,
            now=now,
        )
    session.flush()
    return invoice
