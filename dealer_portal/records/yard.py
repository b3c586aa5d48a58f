"""The yard map (库房定址定位): a dealer's yard in zones of rows x slots; every vehicle standing at the
dealer (in stock, PDI done, reserved) in one slot, at most one vehicle per slot. Moving a vehicle sets
its zone, row and slot and its location code "ZONE-RR-SS" (the code the stock list, acceptance and the
trade-in intake show). Vehicles placed by a free code before the map are listed as not on the map."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import N_, Text, label_msgid
from dealer_portal.records import audit, stock
from dealer_portal.records.actor import Actor
from dealer_portal.records.sales_tables import StockVehicle, YardZone
from dms.errors import UserError

ZONE_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,3}$")
MAX_ROWS, MAX_SLOTS = 30, 40


def code(zone: str, row: int, slot: int) -> str:
    return f"{zone}-{row:02d}-{slot:02d}"


def zones(session: Session, actor: Actor, dealer_code: str | None = None) -> list[YardZone]:
    actor.require("stock")
    query = select(YardZone).order_by(YardZone.dealer_code, YardZone.code)
    dealer = actor.dealer_code or dealer_code
    if dealer:
        query = query.where(YardZone.dealer_code == dealer)
    return list(session.scalars(query))


def add_zone(
    session: Session,
    actor: Actor,
    *,
    zone: str,
    name: str,
    rows: int | None,
    slots: int | None,
    now: datetime,
    dealer_code: str | None = None,
) -> YardZone:
    actor.require("stock_edit")
    dealer = actor.own_dealer(dealer_code)
    zone = zone.strip().upper()
    errors: dict[str, str] = {}
    if not ZONE_CODE.match(zone):
        errors["zone"] = N_("Zone: a letter, then up to three letters or digits (A, B2, EV)")
    elif session.scalar(select(YardZone.id).where(YardZone.dealer_code == dealer, YardZone.code == zone)):
        errors["zone"] = Text(N_("Zone: {zone} exists already"), zone=zone)
    if rows is None or not 1 <= rows <= MAX_ROWS:
        errors["rows"] = Text(N_("Rows: from 1 to {limit}"), limit=MAX_ROWS)
    if slots is None or not 1 <= slots <= MAX_SLOTS:
        errors["slots"] = Text(N_("Slots per row: from 1 to {limit}"), limit=MAX_SLOTS)
    if errors:
        raise FieldError(errors)
    found = YardZone(
        dealer_code=dealer, code=zone, name=name.strip()[:80], rows=rows, slots=slots, created_at=now
    )
    session.add(found)
    session.flush()
    audit.record(session, actor, now, "create", "yard_zone", zone, f"{rows} x {slots}", dealer)
    return found


def _occupant(session: Session, dealer: str, zone: str, row: int, slot: int) -> StockVehicle | None:
    return session.scalar(
        select(StockVehicle).where(
            StockVehicle.dealer_code == dealer,
            StockVehicle.yard_zone == zone,
            StockVehicle.yard_row == row,
            StockVehicle.yard_slot == slot,
            StockVehicle.status.in_(stock.ON_YARD),
        )
    )


def move(
    session: Session,
    actor: Actor,
    stock_id: int,
    *,
    zone: str,
    row: int | None,
    slot: int | None,
    now: datetime,
) -> StockVehicle:
    """Move a vehicle standing at the dealer to a free slot of one of the dealer's zones."""
    actor.require("stock_edit")
    vehicle = stock.get(session, actor, stock_id)
    if vehicle.status not in stock.ON_YARD:
        raise UserError(
            Text(
                N_("{vin} is not in the yard ({status})"),
                vin=vehicle.vin,
                status=Text(label_msgid(vehicle.status)),
            )
        )
    zone = zone.strip().upper()
    found = session.scalar(
        select(YardZone).where(YardZone.dealer_code == vehicle.dealer_code, YardZone.code == zone)
    )
    if found is None:
        raise FieldError({"zone": Text(N_("Zone: the yard has no zone {zone}"), zone=zone or "—")})
    if row is None or not 1 <= row <= found.rows:
        raise FieldError(
            {"row": Text(N_("Row: from 1 to {limit} in zone {zone}"), limit=found.rows, zone=zone)}
        )
    if slot is None or not 1 <= slot <= found.slots:
        raise FieldError(
            {"slot": Text(N_("Slot: from 1 to {limit} in zone {zone}"), limit=found.slots, zone=zone)}
        )
    occupant = _occupant(session, vehicle.dealer_code, zone, row, slot)
    if occupant is not None and occupant.id != vehicle.id:
        raise FieldError(
            {
                "slot": Text(
                    N_("Slot: {place} is taken by {vin}"), place=code(zone, row, slot), vin=occupant.vin
                )
            }
        )
    before = vehicle.location
    vehicle.yard_zone, vehicle.yard_row, vehicle.yard_slot = zone, row, slot
    vehicle.location, vehicle.updated_at = code(zone, row, slot), now
    audit.record(
        session,
        actor,
        now,
        "move",
        "stock_vehicle",
        vehicle.vin,
        f"{before or '-'} -> {vehicle.location}",
        vehicle.dealer_code,
    )
    return vehicle


@dataclass(frozen=True)
class ZoneMap:
    zone: YardZone
    grid: list[list[StockVehicle | None]]  # [row][slot]
    used: int


@dataclass(frozen=True)
class YardMap:
    zones: list[ZoneMap]
    unplaced: list[StockVehicle]


def yard_map(session: Session, actor: Actor, dealer_code: str | None = None) -> YardMap:
    """Every zone as a grid of its slots with the vehicle standing there, and the vehicles at the dealer
    that are on no slot."""
    layout = zones(session, actor, dealer_code)
    dealer = actor.dealer_code or dealer_code
    standing = select(StockVehicle).where(StockVehicle.status.in_(stock.ON_YARD)).order_by(StockVehicle.vin)
    if dealer:
        standing = standing.where(StockVehicle.dealer_code == dealer)
    vehicles = list(session.scalars(standing))
    placed = {(v.dealer_code, v.yard_zone, v.yard_row, v.yard_slot): v for v in vehicles if v.yard_zone}
    maps = []
    for z in layout:
        grid = [
            [placed.get((z.dealer_code, z.code, r, s)) for s in range(1, z.slots + 1)]
            for r in range(1, z.rows + 1)
        ]
        maps.append(ZoneMap(z, grid, sum(1 for row in grid for v in row if v is not None)))
    known = {(z.dealer_code, z.code) for z in layout}
    unplaced = [v for v in vehicles if (v.dealer_code, v.yard_zone) not in known]
    return YardMap(maps, unplaced)
