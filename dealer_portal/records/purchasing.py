"""Purchasing (配件订货) and the part master (价格管理): purchase orders made from the reorder list, one
per supplier, received against line by line into bins; and editing a part's name, cost, selling price,
reorder levels and supplier (the part number stays; every change is audited, lines already on a work
order keep the price they were given).

    ordered --receive (part)--> partly_received --receive (rest)--> received
    ordered --cancel--> cancelled          (only before anything was received)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer_portal.messages import AUDIT_ORDERED_FROM, N_, Text, label_msgid
from dealer_portal.records import audit, parts
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.aftersales_tables import PurchaseOrder, PurchaseOrderLine
from dealer_portal.records.tables import Part
from dms.errors import UserError

STATES = ("ordered", "partly_received", "received", "cancelled")
LABELS = {
    "ordered": N_("Ordered"),
    "partly_received": N_("Partly received"),
    "received": N_("Received"),
    "cancelled": N_("Cancelled"),
}
OPEN = frozenset({"ordered", "partly_received"})


def update_part(
    session: Session,
    actor: Actor,
    part_id: int,
    *,
    name: str,
    unit_cost_cents: int,
    unit_price_cents: int,
    reorder_point: int,
    reorder_qty: int,
    supplier: str,
    now: datetime,
) -> Part:
    """The part master edited (its number is its identity and stays)."""
    part = parts.get_part(session, actor, part_id)
    if not name.strip():
        raise UserError(N_("Name: fill this in"))
    if reorder_point < 0 or reorder_qty < 0:
        raise UserError(N_("reorder point and quantity cannot be negative"))
    if unit_cost_cents < 0 or unit_price_cents < 0:
        raise UserError(N_("prices cannot be negative"))
    new = {
        "name": name.strip(),
        "unit_cost_cents": unit_cost_cents,
        "unit_price_cents": unit_price_cents,
        "reorder_point": reorder_point,
        "reorder_qty": reorder_qty,
        "supplier": supplier.strip(),
    }
    changes = [f"{k}: {getattr(part, k)!r} -> {v!r}" for k, v in new.items() if getattr(part, k) != v]
    for key, value in new.items():
        setattr(part, key, value)
    if changes:
        audit.record(
            session,
            actor,
            now,
            "part:edit",
            "part",
            part.id,
            f"{part.number}: " + "; ".join(changes),
            dealer_code=part.dealer_code,
        )
    return part


def on_order(session: Session, dealer_code: str) -> dict[int, float]:
    """Quantity of each part ordered and not yet received, on the dealer's open purchase orders."""
    query = (
        select(PurchaseOrderLine)
        .join(PurchaseOrder)
        .where(PurchaseOrder.dealer_code == dealer_code, PurchaseOrder.state.in_(OPEN))
    )
    totals: dict[int, float] = defaultdict(float)
    for line in session.scalars(query):
        totals[line.part_id] += line.open_qty
    return dict(totals)


@dataclass(frozen=True)
class Need:
    part: Part
    on_hand: float
    on_order: float
    quantity: float

    @property
    def cost_cents(self) -> int:
        return round(self.quantity * self.part.unit_cost_cents)


def needs(session: Session, actor: Actor) -> list[Need]:
    """The reorder list less what is already on order."""
    out = []
    ordered: dict[str, dict[int, float]] = {}
    for suggestion in parts.reorder_suggestions(session, actor):
        dealer = suggestion.part.dealer_code
        if dealer not in ordered:
            ordered[dealer] = on_order(session, dealer)
        coming = ordered[dealer].get(suggestion.part.id, 0.0)
        if suggestion.quantity - coming > 0:
            out.append(Need(suggestion.part, suggestion.on_hand, coming, suggestion.quantity - coming))
    return out


def _next_number(session: Session, dealer_code: str, year: int) -> str:
    count = session.scalar(
        select(func.count())
        .select_from(PurchaseOrder)
        .where(PurchaseOrder.dealer_code == dealer_code, PurchaseOrder.number.like(f"PO-{year}-%"))
    )
    return f"PO-{year}-{count + 1:05d}"


def order_from_reorder_list(
    session: Session, actor: Actor, now: datetime, part_ids: set[int] | None = None
) -> list[PurchaseOrder]:
    """Purchase orders for the reorder list (or the chosen parts of it), one per dealer and supplier."""
    actor.require("parts")
    wanted = [n for n in needs(session, actor) if part_ids is None or n.part.id in part_ids]
    if not wanted:
        raise UserError(N_("nothing to order: every part is above its reorder point or already on order"))
    groups: dict[tuple[str, str], list[Need]] = defaultdict(list)
    for need in wanted:
        groups[(need.part.dealer_code, need.part.supplier or N_("(no supplier)"))].append(need)
    made = []
    for (dealer, supplier), group in sorted(groups.items()):
        order = PurchaseOrder(
            dealer_code=dealer,
            number=_next_number(session, dealer, now.year),
            supplier=supplier,
            state="ordered",
            created_at=now,
            created_by=actor.username,
            note="",
        )
        session.add(order)
        session.flush()
        for need in group:
            order.lines.append(
                PurchaseOrderLine(
                    part_id=need.part.id,
                    quantity=need.quantity,
                    received_qty=0,
                    unit_cost_cents=need.part.unit_cost_cents,
                )
            )
        audit.record(
            session,
            actor,
            now,
            "purchase:ordered",
            "purchase_order",
            order.id,
            AUDIT_ORDERED_FROM.format(
                order=order.number,
                supplier=supplier,
                lines=", ".join(f"{n.part.number} x{n.quantity:g}" for n in group),
            ),
            dealer_code=dealer,
        )
        made.append(order)
    session.flush()
    return made


def get(session: Session, actor: Actor, order_id: int) -> PurchaseOrder:
    actor.require("parts")
    order = session.get(PurchaseOrder, order_id)
    if order is None or not actor.sees_dealer(order.dealer_code):
        raise NotFound(Text(N_("no purchase order {id}"), id=order_id))
    return order


def orders(session: Session, actor: Actor, only_open: bool = False) -> list[PurchaseOrder]:
    actor.require("parts")
    query = select(PurchaseOrder).order_by(PurchaseOrder.id.desc())
    if not actor.sees_all_dealers:
        query = query.where(PurchaseOrder.dealer_code == actor.dealer_code)
    if only_open:
        query = query.where(PurchaseOrder.state.in_(OPEN))
    return list(session.scalars(query))


def receive(
    session: Session,
    actor: Actor,
    order_id: int,
    line_id: int,
    *,
    qty: float,
    bin_code: str,
    now: datetime,
    unit_cost_cents: int | None = None,
) -> PurchaseOrder:
    """Goods of one line received into a bin (never more than is still open on the line)."""
    order = get(session, actor, order_id)
    if order.state not in OPEN:
        raise UserError(
            Text(
                N_("purchase order {number} is {state}"),
                number=order.number,
                state=Text(label_msgid(order.state)),
            )
        )
    line = next((ln for ln in order.lines if ln.id == line_id), None)
    if line is None:
        raise NotFound(Text(N_("no line {id} on purchase order {number}"), id=line_id, number=order.number))
    if qty <= 0:
        raise UserError(N_("Quantity: more than 0"))
    if qty > line.open_qty:
        raise UserError(Text(N_("Quantity: at most the {qty:g} still open on this line"), qty=line.open_qty))
    parts.receive(
        session, actor, line.part_id, bin_code, qty, now, unit_cost_cents=unit_cost_cents, note=order.number
    )
    line.received_qty += qty
    before = order.state
    order.state = "received" if all(ln.open_qty == 0 for ln in order.lines) else "partly_received"
    if order.state == "received":
        order.closed_at = now
    if order.state != before:
        audit.record(
            session,
            actor,
            now,
            f"purchase:{order.state}",
            "purchase_order",
            order.id,
            order.number,
            dealer_code=order.dealer_code,
        )
    return order


def cancel(session: Session, actor: Actor, order_id: int, note: str, now: datetime) -> PurchaseOrder:
    order = get(session, actor, order_id)
    if order.state != "ordered":
        raise UserError(N_("only a purchase order nothing was received on can be cancelled"))
    if not note.strip():
        raise UserError(N_("Reason: write down why the order is cancelled"))
    order.state, order.closed_at, order.note = "cancelled", now, note.strip()
    audit.record(
        session,
        actor,
        now,
        "purchase:cancelled",
        "purchase_order",
        order.id,
        f"{order.number}: {note.strip()}",
        dealer_code=order.dealer_code,
    )
    return order


def parts_by_id(session: Session, order: PurchaseOrder) -> dict[int, Part]:
    return {ln.part_id: session.get(Part, ln.part_id) for ln in order.lines}
