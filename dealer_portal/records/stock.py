"""New-vehicle stock of a dealer (车辆库存, 库房定址定位, 合格证, 车辆状态, PDI检查): every vehicle by VIN,
from the manufacturer's order to the handover, with its yard location, certificate of conformity,
documents, PDI checklist and days in stock.

Status: ordered -> in_transit (on a shipment) -> in_stock (accepted on arrival) -> pdi_done -> reserved
(a signed sales order) -> delivered. A reserved vehicle may have its PDI after the reservation; delivery
needs both.

VINs: 17 characters without I, O, Q (ISO 3779), and position 9 must be the check digit (ISO 3779 Annex /
GB 16735 make it mandatory for vehicles built for China and North America, the new vehicles this stock
holds). Imported European VINs without a check digit are accepted on the fleet side, not here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import AUDIT_DOCUMENT, AUDIT_MODEL_STATUS, N_, Text, joined, label_msgid
from dealer_portal.records import audit, credit
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.local_day import local_date
from dealer_portal.records.sales_tables import StockDocument, StockVehicle
from dealer_portal.records.uploads import document_fields
from dms.errors import UserError

STATUSES = ("ordered", "in_transit", "in_stock", "pdi_done", "reserved", "delivered")
STATUS_LABELS = {
    "ordered": N_("Ordered"),
    "in_transit": N_("In transit"),
    "in_stock": N_("In stock"),
    "pdi_done": N_("PDI done"),
    "reserved": N_("Reserved"),
    "delivered": N_("Delivered"),
}
ON_YARD = ("in_stock", "pdi_done", "reserved")
"""Statuses of a vehicle standing at the dealer: these age."""

PDI_ITEMS = {
    "exterior": N_("Paint and body without damage"),
    "interior": N_("Interior clean and complete"),
    "fluids": N_("Fluid levels (oil, coolant, brake, washer)"),
    "tyres": N_("Tyre pressures set"),
    "electrics": N_("Lights, horn, wipers, infotainment"),
    "battery": N_("Battery charged, transport mode off"),
    "test_drive": N_("Short test drive: brakes, steering, noises"),
    "papers": N_("Certificate, manuals and keys present"),
}

_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) a 17-character VIN must carry: '0'-'9' or 'X'."""
    total = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def check_vin(text: str, field: str = "vin") -> str:
    """The VIN in capitals, or a FieldError saying what is wrong with it."""
    vin = text.strip().upper()
    if not _VIN.match(vin):
        raise FieldError({field: N_("VIN: 17 letters or digits, without I, O or Q")})
    if vin[8] != vin_check_digit(vin):
        raise FieldError(
            {
                field: Text(
                    N_("VIN: the check digit (9th character) should be {digit}; check for a typing error"),
                    digit=vin_check_digit(vin),
                )
            }
        )
    return vin


def get(session: Session, actor: Actor, stock_id: int) -> StockVehicle:
    actor.require("stock")
    vehicle = session.get(StockVehicle, stock_id)
    if vehicle is None or not actor.sees_dealer(vehicle.dealer_code):
        raise NotFound(Text(N_("no stock vehicle {id}"), id=stock_id))
    return vehicle


def by_vin(session: Session, actor: Actor, vin: str) -> StockVehicle:
    actor.require("stock")
    vehicle = session.scalar(select(StockVehicle).where(StockVehicle.vin == vin.strip().upper()))
    if vehicle is None or not actor.sees_dealer(vehicle.dealer_code):
        raise NotFound(Text(N_("no stock vehicle with VIN {vin}"), vin=vin.strip().upper()))
    return vehicle


def _set_status(vehicle: StockVehicle, status: str, now: datetime) -> None:
    vehicle.status = status
    vehicle.updated_at = now


def create(
    session: Session,
    actor: Actor,
    *,
    vin: str,
    model: str,
    configuration: str = "",
    colour: str = "",
    location: str = "",
    status: str = "ordered",
    coc_number: str = "",
    list_price_cents: int = 0,
    now: datetime,
    dealer_code: str | None = None,
) -> StockVehicle:
    """A vehicle ordered from the manufacturer (or, when taken over from elsewhere, already in stock)."""
    actor.require("stock_edit")
    dealer = actor.own_dealer(dealer_code)
    vin = check_vin(vin)
    if not model.strip():
        raise FieldError({"model": N_("Model: fill this in")})
    if status not in ("ordered", "in_stock"):
        raise UserError(N_("a new stock vehicle is either ordered or already in stock"))
    if status == "in_stock" and not location.strip():
        raise FieldError({"location": N_("Location: say where in the yard the vehicle stands")})
    if session.scalar(select(StockVehicle.id).where(StockVehicle.vin == vin)) is not None:
        raise FieldError({"vin": Text(N_("VIN: {vin} is already in stock records"), vin=vin)})
    if status == "ordered":  # an order to the manufacturer, financed by the dealer's credit line
        credit.check_order(session, dealer, list_price_cents)
    vehicle = StockVehicle(
        dealer_code=dealer,
        vin=vin,
        model=model.strip(),
        configuration=configuration.strip(),
        colour=colour.strip(),
        location=location.strip().upper(),
        status=status,
        coc_number=coc_number.strip().upper(),
        list_price_cents=list_price_cents,
        arrived_at=now if status == "in_stock" else None,
        pdi_checklist="",
        created_at=now,
        updated_at=now,
    )
    session.add(vehicle)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "create",
        "stock_vehicle",
        vin,
        AUDIT_MODEL_STATUS.format(model=model, status=status),
        dealer_code=dealer,
    )
    return vehicle


def update(
    session: Session,
    actor: Actor,
    stock_id: int,
    *,
    location: str,
    coc_number: str,
    list_price_cents: int,
    now: datetime,
) -> StockVehicle:
    """Yard location, certificate of conformity number and list price (the rest comes with the vehicle)."""
    actor.require("stock_edit")
    vehicle = get(session, actor, stock_id)
    if vehicle.status == "delivered":
        raise UserError(Text(N_("{vin} is delivered; its stock record is closed"), vin=vehicle.vin))
    if vehicle.status in ON_YARD and not location.strip():
        raise FieldError({"location": N_("Location: a vehicle in the yard needs its place")})
    changes = []
    for name, value in (
        ("location", location.strip().upper()),
        ("coc_number", coc_number.strip().upper()),
        ("list_price_cents", list_price_cents),
    ):
        if getattr(vehicle, name) != value:
            changes.append(f"{name}: {getattr(vehicle, name)} -> {value}")
            setattr(vehicle, name, value)
            if name == "location":  # a place typed by hand is not a slot of the yard map
                vehicle.yard_zone = vehicle.yard_row = vehicle.yard_slot = None
    if changes:
        vehicle.updated_at = now
        audit.record(
            session,
            actor,
            now,
            "update",
            "stock_vehicle",
            vehicle.vin,
            "; ".join(changes),
            vehicle.dealer_code,
        )
    return vehicle


def record_pdi(
    session: Session, actor: Actor, stock_id: int, checked: set[str], note: str, now: datetime
) -> StockVehicle:
    """The pre-delivery inspection: every item of the checklist ticked, or it is not done."""
    actor.require("stock_edit")
    vehicle = get(session, actor, stock_id)
    if vehicle.status not in ("in_stock", "pdi_done", "reserved"):
        raise UserError(
            Text(
                N_("{vin} is not in the yard ({status}); PDI happens after arrival"),
                vin=vehicle.vin,
                status=Text(label_msgid(vehicle.status)),
            )
        )
    missing = [label for key, label in PDI_ITEMS.items() if key not in checked]
    if missing:
        raise UserError(Text(N_("PDI not passed, still open: {items}"), items=joined(missing)))
    vehicle.pdi_at, vehicle.pdi_by = now, actor.username
    vehicle.pdi_checklist = "\n".join(
        [*(f"[x] {label}" for label in PDI_ITEMS.values()), note.strip()]
    ).strip()
    if vehicle.status == "in_stock":
        _set_status(vehicle, "pdi_done", now)
    vehicle.updated_at = now
    audit.record(session, actor, now, "pdi", "stock_vehicle", vehicle.vin, note.strip(), vehicle.dealer_code)
    return vehicle


def add_document(
    session: Session,
    actor: Actor,
    stock_id: int,
    title: str,
    filename: str,
    content_type: str,
    data: bytes,
    now: datetime,
    max_bytes: int,
) -> StockDocument:
    actor.require("stock_edit")
    vehicle = get(session, actor, stock_id)
    fields = document_fields(title, filename, content_type, data, max_bytes)
    document = StockDocument(
        stock_vehicle_id=vehicle.id, uploaded_at=now, uploaded_by=actor.username, **fields
    )
    session.add(document)
    audit.record(
        session,
        actor,
        now,
        "upload",
        "stock_vehicle",
        vehicle.vin,
        AUDIT_DOCUMENT.format(file=fields["filename"]),
        vehicle.dealer_code,
    )
    return document


def document(session: Session, actor: Actor, document_id: int) -> StockDocument:
    doc = session.get(StockDocument, document_id)
    if doc is None:
        raise NotFound(Text(N_("no document {id}"), id=document_id))
    get(session, actor, doc.stock_vehicle_id)
    return doc


def days_in_stock(vehicle: StockVehicle, now: datetime) -> int | None:
    """Calendar days since arrival, counted in the reader's time zone (records/local_day),
    for a vehicle standing at the dealer; None otherwise."""
    if vehicle.status not in ON_YARD or vehicle.arrived_at is None:
        return None
    return max(0, (local_date(now) - local_date(vehicle.arrived_at)).days)


SORTS = {
    "oldest": (StockVehicle.arrived_at.asc(), StockVehicle.id.asc()),
    "newest": (StockVehicle.id.desc(),),
    "model": (StockVehicle.model.asc(), StockVehicle.vin.asc()),
    "vin": (StockVehicle.vin.asc(),),
}


CONDITIONS = {"new": N_("New"), "used": N_("Used")}


def query(
    actor: Actor,
    *,
    status: str = "",
    model: str = "",
    text: str = "",
    sort: str = "oldest",
    dealer: str = "",
    condition: str = "",
) -> Select:
    """The stock the actor may see, filtered by status, model, condition (new or used) and text (VIN,
    colour, location, certificate)."""
    actor.require("stock")
    found = select(StockVehicle).order_by(*SORTS.get(sort, SORTS["oldest"]))
    if condition in CONDITIONS:
        found = found.where(StockVehicle.condition == condition)
    if not actor.sees_all_dealers:
        found = found.where(StockVehicle.dealer_code == actor.dealer_code)
    elif dealer:
        found = found.where(StockVehicle.dealer_code == dealer)
    if status == "on_yard":
        found = found.where(StockVehicle.status.in_(ON_YARD))
    elif status in STATUSES:
        found = found.where(StockVehicle.status == status)
    if model.strip():
        found = found.where(StockVehicle.model == model.strip())
    if text.strip():
        like = f"%{text.strip().lower()}%"
        found = found.where(
            or_(
                *(
                    func.lower(col).like(like)
                    for col in (
                        StockVehicle.vin,
                        StockVehicle.colour,
                        StockVehicle.location,
                        StockVehicle.coc_number,
                        StockVehicle.configuration,
                    )
                )
            )
        )
    return found


def models(session: Session, actor: Actor) -> list[str]:
    found = select(StockVehicle.model).distinct().order_by(StockVehicle.model)
    if not actor.sees_all_dealers:
        found = found.where(StockVehicle.dealer_code == actor.dealer_code)
    return list(session.scalars(found))


@dataclass(frozen=True)
class Ageing:
    """Vehicles in the yard by days in stock (0-30, 31-60, 61-90, over 90) and their list value."""

    buckets: dict[str, int]
    value_cents: int
    oldest_days: int


AGE_BUCKETS = ((30, "0–30"), (60, "31–60"), (90, "61–90"), (10**6, "> 90"))


def ageing(session: Session, actor: Actor, now: datetime, condition: str = "") -> Ageing:
    rows = session.scalars(query(actor, status="on_yard", condition=condition))
    buckets = {label: 0 for _, label in AGE_BUCKETS}
    value, oldest = 0, 0
    for v in rows:
        days = days_in_stock(v, now) or 0
        oldest = max(oldest, days)
        value += v.list_price_cents
        buckets[next(label for limit, label in AGE_BUCKETS if days <= limit)] += 1
    return Ageing(buckets, value, oldest)
