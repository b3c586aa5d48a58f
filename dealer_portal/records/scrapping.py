"""Scrapping: flag vehicles past their service life or mileage limit; a scrap request with disposal
method and paperwork is approved (or rejected) by an administrator, and approval retires the vehicle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.messages import N_, Text
from dealer_portal.messages import label_msgid as _label
from dealer_portal.records import audit, dispatch, vehicle_records
from dealer_portal.records.actor import Actor
from dealer_portal.records.tables import Booking, ScrapRequest
from dms.errors import UserError
from gateway.db.models import Vehicle

METHODS = ("recycle", "auction", "transfer")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Flag:
    vehicle: Vehicle
    odometer_km: float | None
    reasons: tuple[str, ...]


def flag_reasons(vehicle: Vehicle, odometer_km: float | None, today: date) -> tuple[str, ...]:
    reasons = []
    if vehicle.purchase_date and vehicle.service_life_years:
        end_of_life = _add_years(vehicle.purchase_date, vehicle.service_life_years)
        if today >= end_of_life:
            reasons.append(
                Text(
                    N_("service life of {years} years ended {date}"),
                    years=vehicle.service_life_years,
                    date=end_of_life.isoformat(),
                )
            )
    if odometer_km is not None and vehicle.mileage_limit_km and odometer_km >= vehicle.mileage_limit_km:
        reasons.append(
            Text(
                N_("{km} km reached the limit of {limit} km"),
                km=f"{odometer_km:,.0f}",
                limit=f"{vehicle.mileage_limit_km:,.0f}",
            )
        )
    return tuple(reasons)


def flagged(session: Session, actor: Actor, today: date) -> list[Flag]:
    out = []
    for vehicle in vehicle_records.search(session, actor, include_archived=True):
        if vehicle.status == "retired":
            continue
        km = vehicle_records.latest_odometer(session, vehicle.vehicle_id)
        reasons = flag_reasons(vehicle, km, today)
        if reasons:
            out.append(Flag(vehicle, km, reasons))
    return out


def request(
    session: Session,
    actor: Actor,
    *,
    vehicle_id: str,
    reason: str,
    method: str,
    paperwork: str,
    now: datetime,
) -> ScrapRequest:
    actor.require("scrapping")
    vehicle = vehicle_records.get(session, actor, vehicle_id)
    if vehicle.status == "retired":
        raise UserError(Text(N_("vehicle {vehicle} is already retired"), vehicle=vehicle_id))
    if method not in METHODS:
        raise UserError(Text(N_("disposal method must be one of {methods}"), methods=", ".join(METHODS)))
    if not reason.strip():
        raise UserError(Text(N_("give the reason for scrapping")))
    if not paperwork.strip():
        raise UserError(
            Text(N_("list the paperwork (e.g. deregistration certificate number, buyer or recycler)"))
        )
    pending = session.scalar(
        select(ScrapRequest).where(ScrapRequest.vehicle_id == vehicle_id, ScrapRequest.status == "requested")
    )
    if pending is not None:
        raise UserError(
            Text(
                N_("vehicle {vehicle} already has a pending scrap request (#{id})"),
                vehicle=vehicle_id,
                id=pending.id,
            )
        )
    item = ScrapRequest(
        vehicle_id=vehicle_id,
        reason=reason.strip(),
        method=method,
        paperwork=paperwork.strip(),
        status="requested",
        requested_by=actor.username,
        requested_at=now,
        decision_note="",
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "scrap:request",
        "vehicle",
        vehicle_id,
        f"#{item.id} {method}: {reason}",
        dealer_code=vehicle.dealer_code,
    )
    return item


def get_request(session: Session, actor: Actor, request_id: int) -> ScrapRequest:
    actor.require("scrapping")
    return vehicle_records.vehicle_row(session, actor, ScrapRequest, request_id, N_("scrap request"))


def decide(
    session: Session, actor: Actor, request_id: int, *, approve: bool, note: str, now: datetime
) -> ScrapRequest:
    """Approval retires the vehicle and cancels its bookings not yet checked out."""
    actor.require("scrap_approval")
    item = get_request(session, actor, request_id)
    if item.status != "requested":
        raise UserError(
            Text(
                N_("scrap request #{id} was already {status}"),
                id=request_id,
                status=Text(_label(item.status)),
            )
        )
    vehicle = vehicle_records.get(session, actor, item.vehicle_id)
    if approve:
        out = session.scalar(
            select(Booking).where(Booking.vehicle_id == vehicle.vehicle_id, Booking.status == "checked_out")
        )
        if out is not None:
            raise UserError(
                Text(
                    N_("{vehicle} is out on booking #{id}; take it back first"),
                    vehicle=vehicle.vehicle_id,
                    id=out.id,
                )
            )
        vehicle.status, vehicle.updated_at = "retired", now
        dispatch.cancel_future(session, actor, vehicle.vehicle_id, now, f"vehicle retired (scrap #{item.id})")
    item.status = "approved" if approve else "rejected"
    item.decided_by, item.decided_at, item.decision_note = actor.username, now, note.strip()
    audit.record(
        session,
        actor,
        now,
        f"scrap:{item.status}",
        "vehicle",
        vehicle.vehicle_id,
        f"#{item.id} {item.method}" + (f": {note.strip()}" if note.strip() else ""),
        dealer_code=vehicle.dealer_code,
    )
    audit.announce(session, "vehicle", now, vehicle.vehicle_id, vehicle.vehicle_id)
    return item


def requests(session: Session, actor: Actor) -> list[ScrapRequest]:
    actor.require("scrapping")
    query = select(ScrapRequest).join(Vehicle).order_by(ScrapRequest.id.desc())
    if not actor.sees_all_dealers:
        query = query.where(Vehicle.dealer_code == actor.dealer_code)
    return list(session.scalars(query))
