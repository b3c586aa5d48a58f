"""Warranty claims to the manufacturer (索赔管理), made from the warranty lines of a work order.

    draft --submit--> submitted --accept--> accepted --credit (amount received)--> credited
                      submitted --reject (reason)--> rejected --reopen--> draft

Parts of a claim go back to the manufacturer: their return is recorded (date, shipping reference) and a
claim with parts is credited only after they went back. `export` gives the claim as JSON for the
manufacturer (a simple format of our own until the manufacturer exchange schema exists)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer_portal.messages import AUDIT_CLAIM_DRAFTED, AUDIT_PARTS_RETURNED, N_, Text, label_msgid
from dealer_portal.records import audit
from dealer_portal.records import service_flow as flow
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.aftersales_tables import WarrantyClaim, WarrantyClaimLine
from dealer_portal.records.tables import Part, ServiceOrder
from dms.errors import UserError
from gateway.db.models import Vehicle

STATES = ("draft", "submitted", "accepted", "rejected", "credited")
LABELS = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "credited": N_("Credited"),
}
TRANSITIONS = {
    "draft": frozenset({"submitted"}),
    "submitted": frozenset({"accepted", "rejected"}),
    "accepted": frozenset({"credited"}),
    "rejected": frozenset({"draft"}),
    "credited": frozenset(),
}
CLAIMABLE_ORDER_STATES = frozenset({"checked", "settled"})
EXPORT_FORMAT = "dms.warranty_claim/1"
CURRENCY = "CNY"


def _move(
    session: Session, actor: Actor, claim: WarrantyClaim, to: str, now: datetime, note: str = ""
) -> None:
    if to not in TRANSITIONS[claim.state]:
        raise UserError(
            Text(
                N_("claim {number} is {state}: it cannot become {to}"),
                number=claim.number,
                state=Text(label_msgid(claim.state)),
                to=Text(label_msgid(to)),
            )
        )
    audit.record(
        session,
        actor,
        now,
        f"warranty:{to}",
        "warranty_claim",
        claim.id,
        f"{claim.number}: {claim.state} -> {to}" + (f": {note}" if note else ""),
        dealer_code=claim.dealer_code,
    )
    claim.state = to


def get(session: Session, actor: Actor, claim_id: int) -> WarrantyClaim:
    actor.require("warranty")
    claim = session.get(WarrantyClaim, claim_id)
    if claim is None or not actor.sees_dealer(claim.dealer_code):
        raise NotFound(Text(N_("no warranty claim {id}"), id=claim_id))
    return claim


def claims(session: Session, actor: Actor, state: str = "") -> list[WarrantyClaim]:
    actor.require("warranty")
    query = select(WarrantyClaim).order_by(WarrantyClaim.id.desc())
    if not actor.sees_all_dealers:
        query = query.where(WarrantyClaim.dealer_code == actor.dealer_code)
    if state in STATES:
        query = query.where(WarrantyClaim.state == state)
    return list(session.scalars(query))


def _claimed_items(session: Session):
    return select(WarrantyClaimLine.item_id)


def claimable(session: Session, actor: Actor) -> list[ServiceOrder]:
    """Orders past the quality check with warranty lines not yet in a claim."""
    actor.require("warranty")
    query = select(ServiceOrder).where(ServiceOrder.state.in_(CLAIMABLE_ORDER_STATES))
    if not actor.sees_all_dealers:
        query = query.where(ServiceOrder.dealer_code == actor.dealer_code)
    taken = set(session.scalars(_claimed_items(session)))
    return [
        order
        for order in session.scalars(query.order_by(ServiceOrder.id.desc()))
        if any(i.pay_type == "warranty" and i.id not in taken for i in flow.live_items(order))
    ]


def create(session: Session, actor: Actor, order_id: int, now: datetime) -> WarrantyClaim:
    """A draft claim of every warranty line of the order that no claim holds yet."""
    actor.require("warranty")
    order = flow._desk_order(session, actor, order_id)
    if order.state not in CLAIMABLE_ORDER_STATES:
        raise UserError(N_("a warranty claim is made after the quality check of the work order"))
    taken = set(session.scalars(_claimed_items(session)))
    lines = [i for i in flow.live_items(order) if i.pay_type == "warranty" and i.id not in taken]
    if not lines:
        raise UserError(Text(N_("work order {id} has no warranty line left to claim"), id=order.id))
    year = now.year
    count = session.scalar(
        select(func.count())
        .select_from(WarrantyClaim)
        .where(WarrantyClaim.dealer_code == order.dealer_code, WarrantyClaim.number.like(f"WC-{year}-%"))
    )
    claim = WarrantyClaim(
        dealer_code=order.dealer_code,
        order_id=order.id,
        number=f"WC-{year}-{count + 1:05d}",
        state="draft",
        claimed_cents=sum(i.total_cents for i in lines),
        created_at=now,
        created_by=actor.username,
        decision_note="",
        parts_return_ref="",
    )
    session.add(claim)
    session.flush()
    for item in lines:
        part = session.get(Part, item.part_id) if item.part_id else None
        claim.lines.append(
            WarrantyClaimLine(
                item_id=item.id,
                kind=item.kind,
                description=item.description,
                part_number=part.number if part else "",
                quantity=item.quantity,
                amount_cents=item.total_cents,
            )
        )
    audit.record(
        session,
        actor,
        now,
        "warranty:draft",
        "warranty_claim",
        claim.id,
        AUDIT_CLAIM_DRAFTED.format(
            claim=claim.number, order=order.id, amount=f"{claim.claimed_cents / 100:.2f}"
        ),
        dealer_code=claim.dealer_code,
    )
    return claim


def submit(session: Session, actor: Actor, claim_id: int, now: datetime) -> WarrantyClaim:
    claim = get(session, actor, claim_id)
    _move(session, actor, claim, "submitted", now)
    claim.submitted_at = now
    return claim


def decide(
    session: Session, actor: Actor, claim_id: int, *, accepted: bool, note: str, now: datetime
) -> WarrantyClaim:
    """The manufacturer's answer; a rejection needs its reason."""
    claim = get(session, actor, claim_id)
    if claim.state != "submitted":
        _move(session, actor, claim, "accepted" if accepted else "rejected", now)  # raises the state error
    if not accepted and not note.strip():
        raise UserError(N_("Reason: write down why the manufacturer rejected the claim"))
    _move(session, actor, claim, "accepted" if accepted else "rejected", now, note.strip())
    claim.decided_at, claim.decision_note = now, note.strip()
    return claim


def reopen(session: Session, actor: Actor, claim_id: int, now: datetime) -> WarrantyClaim:
    claim = get(session, actor, claim_id)
    _move(session, actor, claim, "draft", now)
    claim.submitted_at = claim.decided_at = None
    return claim


def has_parts(claim: WarrantyClaim) -> bool:
    return any(line.kind == "part" for line in claim.lines)


def parts_returned(
    session: Session, actor: Actor, claim_id: int, reference: str, now: datetime
) -> WarrantyClaim:
    claim = get(session, actor, claim_id)
    if not has_parts(claim):
        raise UserError(N_("this claim has no parts to return"))
    if claim.state not in ("submitted", "accepted"):
        raise UserError(N_("parts go back once the claim is submitted"))
    if claim.parts_returned_at is not None:
        raise UserError(N_("the parts of this claim were already returned"))
    if not reference.strip():
        raise UserError(N_("Shipping reference: fill this in"))
    claim.parts_returned_at, claim.parts_return_ref = now, reference.strip()
    audit.record(
        session,
        actor,
        now,
        "warranty:parts_returned",
        "warranty_claim",
        claim.id,
        AUDIT_PARTS_RETURNED.format(claim=claim.number, reference=reference.strip()),
        dealer_code=claim.dealer_code,
    )
    return claim


def credit(
    session: Session, actor: Actor, claim_id: int, credited_cents: int, now: datetime
) -> WarrantyClaim:
    """The manufacturer's credit note arrived (it may be less than claimed, never more)."""
    claim = get(session, actor, claim_id)
    if claim.state == "accepted" and has_parts(claim) and claim.parts_returned_at is None:
        raise UserError(N_("return the claim's parts to the manufacturer before booking the credit"))
    if not 0 <= credited_cents <= claim.claimed_cents:
        raise UserError(
            Text(
                N_("Credited: between 0 and the claimed {amount}"), amount=f"{claim.claimed_cents / 100:.2f}"
            )
        )
    _move(session, actor, claim, "credited", now, f"{credited_cents / 100:.2f}")
    claim.credited_cents, claim.credited_at = credited_cents, now
    return claim


def _money(cents: int | None) -> str | None:
    return None if cents is None else str(Decimal(cents).scaleb(-2))


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export(session: Session, actor: Actor, claim_id: int) -> dict:
    """The claim as the manufacturer receives it (amounts as decimal strings, times in ISO 8601 UTC)."""
    claim = get(session, actor, claim_id)
    order = session.get(ServiceOrder, claim.order_id)
    vehicle = session.get(Vehicle, order.vehicle_id)
    return {
        "format": EXPORT_FORMAT,
        "dealer_code": claim.dealer_code,
        "claim_number": claim.number,
        "state": claim.state,
        "currency": CURRENCY,
        "claimed_amount": _money(claim.claimed_cents),
        "credited_amount": _money(claim.credited_cents),
        "created_at": _time(claim.created_at),
        "submitted_at": _time(claim.submitted_at),
        "vehicle": {
            "vin": vehicle.vin if vehicle else None,
            "model": vehicle.model if vehicle else None,
            "fleet_id": order.vehicle_id,
        },
        "repair": {
            "work_order": order.id,
            "received_at": _time(order.received_at),
            "odometer_km": order.odometer_km,
            "complaint": order.complaint,
            "quality_check": order.qc_note,
        },
        "lines": [
            {
                "kind": line.kind,
                "description": line.description,
                "part_number": line.part_number or None,
                "quantity": line.quantity,
                "amount": _money(line.amount_cents),
            }
            for line in claim.lines
        ],
        "parts_returned_at": _time(claim.parts_returned_at),
        "parts_return_reference": claim.parts_return_ref or None,
    }
