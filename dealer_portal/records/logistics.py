"""Vehicle logistics (车辆发运配板, 在途车辆跟踪, 车辆验收, 运输索赔, 运费结算): a shipment from the manufacturer
carries a loading list of ordered stock vehicles; while in transit its position and arrival estimate are
updated; on arrival each vehicle is accepted into a yard location, with any transport damage recorded and
claimed from the carrier; finally the freight is settled (payable = freight - claims).

Shipment status: in_transit -> arrived -> settled. Claim of a vehicle (运输索赔) with the carrier:
none | noted (damage without a claim) | claimed (submitted to the carrier) -> accepted (perhaps for a
lower amount) | rejected; an accepted claim is paid by the carrier directly (paid), or an open or
accepted one is taken off the freight at settlement (deducted). Rejected and paid claims are not
deducted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import (
    AUDIT_DAMAGE_CLAIM,
    AUDIT_FREIGHT,
    AUDIT_RECEIVED,
    AUDIT_RECEIVED_DAMAGED,
    N_,
    Text,
    label_msgid,
)
from dealer_portal.records import audit, stock
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.sales_tables import Shipment, ShipmentItem, StockVehicle
from dms.errors import UserError

STATUSES = ("in_transit", "arrived", "settled")
STATUS_LABELS = {"in_transit": N_("In transit"), "arrived": N_("Arrived"), "settled": N_("Settled")}
CLAIM_LABELS = {
    "none": N_("none"),
    "noted": N_("damage noted"),
    "claimed": N_("submitted"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "paid": N_("paid by the carrier"),
    "deducted": N_("deducted from the freight"),
}
WITHHELD = ("claimed", "accepted", "deducted")
"""Claims taken (or to be taken) off the freight."""


def parse_vins(text: str) -> list[str]:
    """A loading list as pasted: VINs separated by lines, commas or spaces, each checked."""
    vins = [v for v in re.split(r"[\s,;]+", text.strip().upper()) if v]
    if not vins:
        raise FieldError({"vins": N_("Loading list: at least one VIN")})
    for vin in vins:
        stock.check_vin(vin, field="vins")
    if len(set(vins)) != len(vins):
        raise FieldError({"vins": N_("Loading list: a VIN appears twice")})
    return vins


def create(
    session: Session,
    actor: Actor,
    *,
    waybill: str,
    carrier: str,
    vins: list[str],
    eta: datetime | None,
    now: datetime,
    dealer_code: str | None = None,
) -> Shipment:
    """A shipment leaves the manufacturer: its vehicles (ordered, of this dealer) go in transit."""
    actor.require("logistics")
    dealer = actor.own_dealer(dealer_code)
    if not waybill.strip():
        raise FieldError({"waybill": N_("Waybill: fill this in")})
    if not carrier.strip():
        raise FieldError({"carrier": N_("Carrier: fill this in")})
    vehicles = []
    for vin in vins:
        vehicle = session.scalar(select(StockVehicle).where(StockVehicle.vin == vin))
        if vehicle is None or vehicle.dealer_code != dealer:
            raise FieldError(
                {"vins": Text(N_("Loading list: {vin} is not on order for {dealer}"), vin=vin, dealer=dealer)}
            )
        if vehicle.status != "ordered":
            raise FieldError(
                {
                    "vins": Text(
                        N_("Loading list: {vin} is {status}, not waiting for shipment"),
                        vin=vin,
                        status=Text(label_msgid(vehicle.status)),
                    )
                }
            )
        vehicles.append(vehicle)
    shipment = Shipment(
        dealer_code=dealer,
        waybill=waybill.strip().upper(),
        carrier=carrier.strip(),
        status="in_transit",
        shipped_at=now,
        eta=eta,
        last_position="",
        created_at=now,
        created_by=actor.username,
    )
    shipment.items = [
        ShipmentItem(stock_vehicle_id=v.id, damage="", claim_cents=0, claim_status="none") for v in vehicles
    ]
    session.add(shipment)
    for v in vehicles:
        v.status, v.updated_at = "in_transit", now
    session.flush()
    audit.record(
        session, actor, now, "ship", "shipment", shipment.id, f"{shipment.waybill}: {', '.join(vins)}", dealer
    )
    return shipment


def get(session: Session, actor: Actor, shipment_id: int) -> Shipment:
    actor.require("logistics")
    shipment = session.get(Shipment, shipment_id)
    if shipment is None or not actor.sees_dealer(shipment.dealer_code):
        raise NotFound(Text(N_("no shipment {id}"), id=shipment_id))
    return shipment


def query(actor: Actor, status: str = "") -> Select:
    actor.require("logistics")
    found = select(Shipment).order_by(Shipment.id.desc())
    if not actor.sees_all_dealers:
        found = found.where(Shipment.dealer_code == actor.dealer_code)
    if status in STATUSES:
        found = found.where(Shipment.status == status)
    return found


def track(
    session: Session, actor: Actor, shipment_id: int, position: str, eta: datetime | None, now: datetime
) -> Shipment:
    """In-transit tracking: where the truck or train is and when it is expected."""
    shipment = get(session, actor, shipment_id)
    if shipment.status != "in_transit":
        raise UserError(N_("the shipment has already arrived"))
    shipment.last_position = position.strip()[:120]
    if eta is not None:
        shipment.eta = eta
    audit.record(
        session, actor, now, "track", "shipment", shipment.id, shipment.last_position, shipment.dealer_code
    )
    return shipment


@dataclass(frozen=True)
class Finding:
    """What the acceptance found on one vehicle of the loading list."""

    location: str
    damage: str = ""
    claim_cents: int = 0


def receive(
    session: Session, actor: Actor, shipment_id: int, findings: dict[int, Finding], now: datetime
) -> Shipment:
    """Acceptance on arrival: every vehicle of the loading list gets a yard location; a damaged one gets
    its damage written down and a transport claim against the carrier for the repair amount."""
    shipment = get(session, actor, shipment_id)
    if shipment.status != "in_transit":
        raise UserError(N_("the shipment was already received"))
    errors = {}
    for item in shipment.items:
        found = findings.get(item.id)
        if found is None or not found.location.strip():
            errors[f"location_{item.id}"] = Text(
                N_("Location of {vin}: where is it parked?"), vin=item.vehicle.vin
            )
        elif len(found.location.strip()) > 20:
            errors[f"location_{item.id}"] = Text(
                N_("Location of {vin}: at most 20 characters"), vin=item.vehicle.vin
            )
        elif found.claim_cents and not found.damage.strip():
            errors[f"damage_{item.id}"] = Text(
                N_("Damage of {vin}: describe what the claim is for"), vin=item.vehicle.vin
            )
    if errors:
        raise FieldError(errors)
    damaged = []
    for item in shipment.items:
        found = findings[item.id]
        vehicle = item.vehicle
        vehicle.status, vehicle.arrived_at, vehicle.updated_at = "in_stock", now, now
        vehicle.location = found.location.strip().upper()
        if found.damage.strip():
            item.damage = found.damage.strip()
            item.claim_cents = found.claim_cents
            item.claim_status = "claimed" if found.claim_cents else "noted"
            damaged.append(vehicle.vin)
            audit.record(
                session,
                actor,
                now,
                "damage",
                "stock_vehicle",
                vehicle.vin,
                AUDIT_DAMAGE_CLAIM.format(damage=item.damage, cents=found.claim_cents),
                shipment.dealer_code,
            )
    shipment.status, shipment.arrived_at, shipment.accepted_by = "arrived", now, actor.username
    audit.record(
        session,
        actor,
        now,
        "receive",
        "shipment",
        shipment.id,
        (AUDIT_RECEIVED_DAMAGED if damaged else AUDIT_RECEIVED).format(
            count=len(shipment.items), damaged=", ".join(damaged)
        ),
        shipment.dealer_code,
    )
    return shipment


def claims_cents(shipment: Shipment) -> int:
    """Transport claims of the shipment (open, or deducted from its freight)."""
    return sum(i.claim_cents for i in shipment.items if i.claim_status in WITHHELD)


def _item(session: Session, actor: Actor, item_id: int) -> ShipmentItem:
    item = session.get(ShipmentItem, item_id)
    if item is None:
        raise NotFound(Text(N_("no shipment item {id}"), id=item_id))
    get(session, actor, item.shipment_id)  # another dealer's: not found
    return item


def decide_claim(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    accept: bool,
    amount_cents: int | None,
    note: str,
    now: datetime,
) -> ShipmentItem:
    """The carrier's answer to a submitted claim: accepted (for the claimed amount, or less), or rejected
    (a reason is required)."""
    item = _item(session, actor, item_id)
    if item.claim_status != "claimed":
        raise UserError(
            Text(
                N_("the claim on {vin} is {status}, not waiting for the carrier"),
                vin=item.vehicle.vin,
                status=CLAIM_LABELS[item.claim_status],
            )
        )
    before = item.claim_cents
    if accept:
        if amount_cents is not None and not 0 < amount_cents <= item.claim_cents:
            raise FieldError({"amount": N_("Accepted amount: more than zero and at most the claim")})
        item.claim_cents = item.claim_cents if amount_cents is None else amount_cents
        item.claim_status = "accepted"
    else:
        if not note.strip():
            raise FieldError({"note": N_("Reason: say why the carrier rejected the claim")})
        item.claim_status = "rejected"
    audit.record(
        session,
        actor,
        now,
        "claim_" + item.claim_status,
        "stock_vehicle",
        item.vehicle.vin,
        f"{before} -> {item.claim_cents} cents; {note.strip()}".strip("; "),
        item.vehicle.dealer_code,
    )
    return item


def claim_paid(session: Session, actor: Actor, item_id: int, note: str, now: datetime) -> ShipmentItem:
    """The carrier paid an accepted claim directly: it is no longer taken off the freight."""
    item = _item(session, actor, item_id)
    if item.claim_status != "accepted":
        raise UserError(N_("only an accepted claim can be paid"))
    item.claim_status = "paid"
    audit.record(
        session,
        actor,
        now,
        "claim_paid",
        "stock_vehicle",
        item.vehicle.vin,
        f"{item.claim_cents} cents; {note.strip()}".strip("; "),
        item.vehicle.dealer_code,
    )
    return item


def settle(session: Session, actor: Actor, shipment_id: int, freight_cents: int, now: datetime) -> Shipment:
    """Freight settlement with the carrier: the freight, less the transport claims of this shipment."""
    shipment = get(session, actor, shipment_id)
    if shipment.status != "arrived":
        raise UserError(N_("settle the freight after the shipment has been received"))
    if freight_cents < claims_cents(shipment):
        raise FieldError(
            {"freight": N_("Freight: smaller than the claims against it; settle the claims separately")}
        )
    for item in shipment.items:
        if item.claim_status in ("claimed", "accepted"):
            item.claim_status = "deducted"  # recovered from the carrier through the freight
    shipment.freight_cents, shipment.status = freight_cents, "settled"
    shipment.settled_at, shipment.settled_by = now, actor.username
    audit.record(
        session,
        actor,
        now,
        "settle",
        "shipment",
        shipment.id,
        AUDIT_FREIGHT.format(
            freight=freight_cents, claims=claims_cents(shipment), net=freight_cents - claims_cents(shipment)
        ),
        shipment.dealer_code,
    )
    return shipment
