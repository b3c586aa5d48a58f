"""Dispatch: book a vehicle for a time window (no overlaps), check it out and take it back with
odometer and fuel readings. A vehicle in the workshop or retired cannot be booked or checked out, and a
vehicle received into the workshop is back from its drive (`back_at_workshop`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.messages import (
    AUDIT_BOOKED,
    AUDIT_BOOKED_DESPITE,
    AUDIT_FATIGUE_OVERRIDE,
    AUDIT_ODOMETER_FUEL,
    AUDIT_RETURN_AT_WORKSHOP,
    N_,
    Text,
)
from dealer_portal.messages import label_msgid as _label
from dealer_portal.records import audit, fatigue, vehicle_records
from dealer_portal.records.actor import Actor
from dealer_portal.records.tables import Booking
from dealer_portal.settings import FatigueSettings
from dms.errors import UserError
from gateway.db.models import Vehicle

ACTIVE = ("booked", "checked_out")


def _bookable(vehicle: Vehicle) -> None:
    if vehicle.status == "retired":
        raise UserError(
            Text(N_("vehicle {vehicle} is retired and cannot be booked"), vehicle=vehicle.vehicle_id)
        )
    if vehicle.status == "in_maintenance":
        raise UserError(
            Text(N_("vehicle {vehicle} is in maintenance and cannot be booked"), vehicle=vehicle.vehicle_id)
        )
    if vehicle.archived:
        raise UserError(
            Text(N_("vehicle {vehicle} is archived and cannot be booked"), vehicle=vehicle.vehicle_id)
        )


def conflicts(
    session: Session, vehicle_id: str, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None
) -> list[Booking]:
    """Active bookings of the vehicle whose window overlaps [starts_at, ends_at) (touching ends do not)."""
    query = (
        select(Booking)
        .where(
            Booking.vehicle_id == vehicle_id,
            Booking.status.in_(ACTIVE),
            Booking.starts_at < ends_at,
            Booking.ends_at > starts_at,
        )
        .order_by(Booking.starts_at)
    )
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    return list(session.scalars(query))


def book(
    session: Session,
    actor: Actor,
    *,
    vehicle_id: str,
    driver: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    purpose: str = "",
    warnings_overridden: tuple[str, ...] = (),
    fatigue_policy: FatigueSettings | None = None,
    override_reason: str = "",
) -> Booking:
    """A booking; `warnings_overridden` are the warnings the dispatcher confirmed (kept in the audit).

    With a `fatigue_policy`, a driver whose recent drives raised fatigue episodes is refused with a
    `fatigue.FatigueWarning` (naming rested drivers) unless `override_reason` says why they may drive;
    the override is audited with its reason and the episodes."""
    actor.require("dispatch")
    vehicle = vehicle_records.get(session, actor, vehicle_id)
    _bookable(vehicle)
    if not driver.strip():
        raise UserError(Text(N_("name the driver")))
    if ends_at <= starts_at:
        raise UserError(Text(N_("a booking must end after it starts")))
    if ends_at <= now:
        raise UserError(Text(N_("this window is already over")))
    clash = conflicts(session, vehicle_id, starts_at, ends_at)
    if clash:
        other = clash[0]
        raise UserError(
            Text(
                N_("{vehicle} is already booked by {driver} from {start} to {end} UTC (booking #{id})"),
                vehicle=vehicle_id,
                driver=other.driver,
                start=f"{other.starts_at:%Y-%m-%d %H:%M}",
                end=f"{other.ends_at:%Y-%m-%d %H:%M}",
                id=other.id,
            )
        )
    tired = None
    if fatigue_policy is not None:
        tired = fatigue.check(
            session,
            actor,
            driver,
            now,
            fatigue_policy,
            starts_at=starts_at,
            ends_at=ends_at,
            override_reason=override_reason,
        )
        if tired.warns:
            warnings_overridden = (
                *warnings_overridden,
                f"driver fatigue ({len(tired.episodes)} episodes in {fatigue_policy.window_h:g} h: "
                f"{tired.describe()}; reason: {override_reason.strip()})",
            )
    booking = Booking(
        vehicle_id=vehicle_id,
        driver=driver.strip(),
        purpose=purpose.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        status="booked",
        booked_by=actor.username,
    )
    session.add(booking)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "book",
        "booking",
        booking.id,
        AUDIT_BOOKED.format(
            vehicle=vehicle_id,
            starts=f"{starts_at:%Y-%m-%d %H:%M}",
            ends=f"{ends_at:%Y-%m-%d %H:%M}",
            driver=booking.driver,
        )
        + "".join(AUDIT_BOOKED_DESPITE.format(warning=w) for w in warnings_overridden),
        dealer_code=vehicle.dealer_code,
    )
    if tired is not None and tired.warns:
        audit.record(
            session,
            actor,
            now,
            "fatigue_override",
            "booking",
            booking.id,
            AUDIT_FATIGUE_OVERRIDE.format(
                driver=booking.driver,
                episodes=tired.describe(),
                alerts=", ".join(f"#{e.alert_id}" for e in tired.episodes),
                reason=override_reason.strip(),
            ),
            dealer_code=vehicle.dealer_code,
        )
    audit.announce(session, "booking", now, vehicle_id, booking.id)
    return booking


def get_booking(session: Session, actor: Actor, booking_id: int) -> Booking:
    actor.require("dispatch")
    return vehicle_records.vehicle_row(session, actor, Booking, booking_id, "booking")


def _booking_in(session: Session, actor: Actor, booking_id: int, status: str, otherwise: str) -> Booking:
    booking = get_booking(session, actor, booking_id)
    if booking.status != status:
        raise UserError(
            Text(
                N_("booking #{id} is {status}, {otherwise}"),
                id=booking_id,
                status=Text(_label(booking.status)),
                otherwise=Text(otherwise),
            )
        )
    return booking


def _log_reading(
    session: Session,
    actor: Actor,
    booking: Booking,
    step: str,
    odometer_km: float,
    fuel_pct: float,
    now: datetime,
    note: str = "",
) -> None:
    """Odometer and fuel at check-out or return: the odometer goes to the vehicle's log."""
    if not 0 <= fuel_pct <= 100:
        raise UserError(Text(N_("fuel level is a percentage between 0 and 100")))
    vehicle_records.record_odometer(session, actor, booking.vehicle_id, odometer_km, now, source=step)
    audit.record(
        session,
        actor,
        now,
        step,
        "booking",
        booking.id,
        AUDIT_ODOMETER_FUEL.format(km=f"{odometer_km:.0f}", note=note, fuel=f"{fuel_pct:g}"),
    )
    audit.announce(session, "booking", now, booking.vehicle_id, booking.id)


def check_out(
    session: Session, actor: Actor, booking_id: int, *, odometer_km: float, fuel_pct: float, now: datetime
) -> Booking:
    booking = _booking_in(session, actor, booking_id, "booked", N_("not waiting for check-out"))
    _bookable(vehicle_records.get(session, actor, booking.vehicle_id))
    other_out = [
        b
        for b in conflicts(session, booking.vehicle_id, now, booking.ends_at, booking_id)
        if b.status == "checked_out"
    ]
    if other_out:
        raise UserError(
            Text(
                N_("{vehicle} is still out on booking #{id}"), vehicle=booking.vehicle_id, id=other_out[0].id
            )
        )
    _log_reading(session, actor, booking, "checkout", odometer_km, fuel_pct, now)
    booking.status, booking.out_at, booking.out_km, booking.out_fuel_pct = (
        "checked_out",
        now,
        odometer_km,
        fuel_pct,
    )
    return booking


def return_vehicle(
    session: Session, actor: Actor, booking_id: int, *, odometer_km: float, fuel_pct: float, now: datetime
) -> Booking:
    booking = _booking_in(session, actor, booking_id, "checked_out", N_("not checked out"))
    driven = odometer_km - (booking.out_km if booking.out_km is not None else odometer_km)
    _log_reading(session, actor, booking, "return", odometer_km, fuel_pct, now, f" ({driven:.0f} km driven)")
    booking.status, booking.back_at, booking.back_km, booking.back_fuel_pct = (
        "returned",
        now,
        odometer_km,
        fuel_pct,
    )
    return booking


def back_at_workshop(
    session: Session, actor: Actor, vehicle_id: str, *, odometer_km: float, now: datetime, order_id: int
) -> list[Booking]:
    """The vehicle was received into the workshop, so it is back from any drive: a booking still
    checked out ends there, returned with the reception's odometer (fuel not read). The workshop's
    staff do this without dispatch rights: the reception is the evidence."""
    out = list(
        session.scalars(
            select(Booking).where(Booking.vehicle_id == vehicle_id, Booking.status == "checked_out")
        )
    )
    for booking in out:
        booking.status, booking.back_at, booking.back_km = "returned", now, odometer_km
        audit.record(
            session,
            actor,
            now,
            "return",
            "booking",
            booking.id,
            AUDIT_RETURN_AT_WORKSHOP.format(km=f"{odometer_km:.0f}", order=order_id),
        )
        audit.announce(session, "booking", now, vehicle_id, booking.id)
    return out


def cancel(session: Session, actor: Actor, booking_id: int, now: datetime, why: str = "") -> Booking:
    booking = _booking_in(session, actor, booking_id, "booked", N_("it can no longer be cancelled"))
    booking.status = "cancelled"
    audit.record(session, actor, now, "cancel", "booking", booking.id, why)
    return booking


def bookings(session: Session, actor: Actor, since: datetime, until: datetime) -> list[Booking]:
    """Bookings overlapping a window, plus any vehicle still out."""
    actor.require("dispatch")
    query = (
        select(Booking)
        .join(Vehicle)
        .where(((Booking.starts_at < until) & (Booking.ends_at > since)) | (Booking.status == "checked_out"))
        .order_by(Booking.starts_at)
    )
    if not actor.sees_all_dealers:
        query = query.where(Vehicle.dealer_code == actor.dealer_code)
    return list(session.scalars(query))


def cancel_future(session: Session, actor: Actor, vehicle_id: str, now: datetime, why: str) -> int:
    """Cancel the vehicle's bookings not yet checked out (used when it is retired)."""
    open_ones = list(
        session.scalars(select(Booking).where(Booking.vehicle_id == vehicle_id, Booking.status == "booked"))
    )
    for booking in open_ones:
        booking.status = "cancelled"
        audit.record(session, actor, now, "cancel", "booking", booking.id, why)
    return len(open_ones)
