"""Counter sales of parts (配件柜台销售): parts sold to a walk-in customer without a work order. The sale
takes the stock (fullest bins first, all or nothing, moves of kind "sale"), issues an invoice with the
same numbering, VAT and currency as a settlement, and records the payment when the customer pays at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dealer_portal.messages import N_, Text
from dealer_portal.records import audit, invoices, parts
from dealer_portal.records import customers as crm
from dealer_portal.records.actor import Actor
from dealer_portal.records.aftersales_tables import Invoice, InvoiceLine
from dms.errors import UserError

MAX_LINES = 20


def sell(
    session: Session,
    actor: Actor,
    lines: list[tuple[int, float]],
    now: datetime,
    *,
    customer_id: int | None = None,
    customer_name: str = "",
    customer_phone: str = "",
    paid_by: str = "",
    dealer_code: str | None = None,
) -> Invoice:
    """Sell (part id, quantity) lines; `paid_by` (a payment method) records the full payment at once."""
    actor.require("parts")
    dealer = actor.own_dealer(dealer_code)
    wanted: dict[int, float] = {}
    for part_id, qty in lines:
        if qty <= 0:
            raise UserError(N_("Quantity: more than 0"))
        wanted[part_id] = wanted.get(part_id, 0) + qty
    if not wanted:
        raise UserError(N_("add at least one part to the sale"))
    if len(wanted) > MAX_LINES:
        raise UserError(Text(N_("at most {n} parts in one sale"), n=MAX_LINES))
    chosen = {pid: parts.get_part(session, actor, pid) for pid in wanted}
    if any(p.dealer_code != dealer for p in chosen.values()):
        raise UserError(N_("every part of a sale comes from the dealer's own store"))
    short = [f"{p.number} ({p.on_hand:g} in stock)" for pid, p in chosen.items() if p.on_hand < wanted[pid]]
    if short:
        raise UserError(Text(N_("not enough stock: {parts}"), parts="; ".join(short)))
    customer = None
    if customer_id is not None:
        customer = crm.get(session, actor, customer_id)
        if customer.dealer_code != dealer:
            raise crm.NotFound(Text(N_("no customer {id}"), id=customer_id))
    elif customer_name.strip() or customer_phone.strip():
        customer, _ = crm.find_or_create(
            session,
            actor,
            dealer_code=dealer,
            name=customer_name or customer_phone,
            phone=customer_phone,
            email="",
            now=now,
        )
    gross = sum(round(wanted[pid] * p.unit_price_cents) for pid, p in chosen.items())
    invoice = invoices.new_invoice(session, actor, dealer, gross, now, customer=customer)
    number = invoice.number
    for pid, part in chosen.items():
        parts.issue(session, actor, part, wanted[pid], None, now, kind="sale", note=f"counter sale {number}")
        invoice.lines.append(
            InvoiceLine(
                kind="part",
                description=f"{part.number} {part.name}",
                quantity=wanted[pid],
                unit_cents=part.unit_price_cents,
                total_cents=round(wanted[pid] * part.unit_price_cents),
            )
        )
    audit.record(
        session,
        actor,
        now,
        "invoice:counter_sale",
        "invoice",
        invoice.id,
        f"{number}: " + ", ".join(f"{p.number} x{wanted[pid]:g}" for pid, p in chosen.items()),
        dealer_code=dealer,
    )
    if paid_by:
        session.flush()
        invoices.record_payment(session, actor, invoice.id, amount_cents=gross, method=paid_by, now=now)
    return invoice
