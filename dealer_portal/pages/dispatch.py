"""Dispatch console: bookings of a day range, new booking, check-out and return."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal import i18n, messages
from dealer_portal.charts import Bar, timeline
from dealer_portal.forms import FieldError, number, utc_datetime
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.records import dispatch, fatigue, scrapping, vehicle_records
from dealer_portal.web import Ctx, page, state
from dms.errors import UserError

router = page_router()
DispatchPage = Annotated[Ctx, Depends(page("dispatch"))]


@router.get("/dispatch", response_class=HTMLResponse)
def dispatch_board(ctx: DispatchPage, day: str = "", days: int = 7, vehicle: str = ""):
    here = i18n.current()  # days run midnight to midnight in the user's zone
    try:
        first = datetime.fromisoformat(day).date() if day else here.local(ctx.now).date()
        start = datetime.combine(first, time(), here.tz).astimezone(UTC)
    except ValueError:
        raise UserError(Text(N_("day: use the form 2026-03-02"))) from None
    days = min(max(days, 1), 31)
    bookings = dispatch.bookings(ctx.db, ctx.actor, start, start + timedelta(days=days))
    vehicles = vehicle_records.search(ctx.db, ctx.actor)
    bars = [
        Bar(b.vehicle_id, b.starts_at, b.ends_at, f"#{b.id} {b.driver}", b.status)
        for b in bookings
        if b.status != "cancelled"
    ]
    chart = timeline(
        [v.vehicle_id for v in vehicles if v.status != "retired"], bars, start, start + timedelta(days=days)
    )
    return ctx.render(
        "dispatch.html",
        rested=_rested_for_refused_form(ctx),
        bookings=bookings,
        vehicles=vehicles,
        start=start,
        days=days,
        timeline=chart,
        selected=vehicle,
        due_for_scrapping={
            f.vehicle.vehicle_id for f in scrapping.flagged(ctx.db, ctx.actor, ctx.now.date())
        },
        default_start=(ctx.now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0),
    )


@router.get("/dispatch/driver-check", response_class=HTMLResponse)
def driver_check(ctx: DispatchPage, driver: str = "", starts_at: str = "", ends_at: str = ""):
    """The fatigue warning while the dispatcher types a driver's name (htmx), before booking."""
    settings = state(ctx.request).settings.fatigue
    name = driver.strip()[:120]
    warning, rested = "", []
    if name:
        tired = fatigue.assess(ctx.db, name, ctx.now, settings)
        if tired.warns:
            try:
                starts = utc_datetime(starts_at, N_("Start"), field="starts_at")
                ends = utc_datetime(ends_at, N_("End"), field="ends_at")
            except UserError:
                starts, ends = ctx.now, ctx.now + timedelta(hours=1)
            rested = fatigue.rested_drivers(
                ctx.db, ctx.actor, ctx.now, settings, starts_at=starts, ends_at=ends, exclude=name
            )
            warning = messages.localize_error(fatigue.FatigueWarning(tired, rested, settings))
    return ctx.render("_fatigue_hint.html", warning=warning, rested=rested)


def _rested_for_refused_form(ctx: Ctx) -> list[str]:
    """Rested drivers to offer when the booking form came back with a fatigue warning."""
    f = ctx.form("/dispatch/bookings")
    if not f.error("override_reason"):
        return []
    try:
        starts = utc_datetime(str(f.value("starts_at")), N_("Start"), field="starts_at")
        ends = utc_datetime(str(f.value("ends_at")), N_("End"), field="ends_at")
    except UserError:
        return []
    return fatigue.rested_drivers(
        ctx.db,
        ctx.actor,
        ctx.now,
        state(ctx.request).settings.fatigue,
        starts_at=starts,
        ends_at=ends,
        exclude=str(f.value("driver")),
    )


@router.post("/dispatch/bookings")
def book(
    ctx: DispatchPage,
    vehicle_id: Annotated[str, Form()] = "",
    driver: Annotated[str, Form()] = "",
    starts_at: Annotated[str, Form()] = "",
    ends_at: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    book_anyway: Annotated[str, Form()] = "",
    override_reason: Annotated[str, Form()] = "",
):
    vehicle = vehicle_records.get(ctx.db, ctx.actor, vehicle_id)
    due = scrapping.flag_reasons(vehicle, vehicle_records.latest_odometer(ctx.db, vehicle_id), ctx.now.date())
    if due and book_anyway != "1":  # a warning the dispatcher confirms, not a refusal
        reasons = "; ".join(messages.localize(r) for r in due)
        raise FieldError(
            {"vehicle_id": messages.Text(messages.DUE_FOR_SCRAPPING, vehicle=vehicle_id, reasons=reasons)}
        )
    starts, ends = (
        utc_datetime(starts_at, N_("Start"), field="starts_at"),
        utc_datetime(ends_at, N_("End"), field="ends_at"),
    )
    try:
        booking = dispatch.book(
            ctx.db,
            ctx.actor,
            vehicle_id=vehicle_id,
            driver=driver,
            starts_at=starts,
            ends_at=ends,
            purpose=purpose,
            now=ctx.now,
            warnings_overridden=tuple(f"due for scrapping ({r})" for r in due),
            fatigue_policy=state(ctx.request).settings.fatigue,
            override_reason=override_reason,
        )
    except fatigue.FatigueWarning as exc:  # a warning the dispatcher answers with a reason, or another driver
        raise FieldError(
            {
                "driver": exc.args[0] if exc.args else str(exc),
                "override_reason": Text(messages.OVERRIDE_REASON_NEEDED, driver=exc.fatigue.driver),
            }
        ) from None
    return ctx.done(
        f"/dispatch?day={i18n.current().local(booking.starts_at):%Y-%m-%d}",
        N_("booking #{id} saved"),
        id=booking.id,
    )


@router.post("/dispatch/bookings/{booking_id}/cancel")
def cancel(ctx: DispatchPage, booking_id: int):
    dispatch.cancel(ctx.db, ctx.actor, booking_id, ctx.now)
    return ctx.done("/dispatch", N_("booking #{id} cancelled"), id=booking_id)


# declared after /cancel, which this pattern would otherwise catch
STEPS = {
    "checkout": (dispatch.check_out, N_("booking #{id} checked out")),
    "return": (dispatch.return_vehicle, N_("booking #{id} returned")),
}


@router.post("/dispatch/bookings/{booking_id}/{step}")
def hand_over(
    ctx: DispatchPage,
    booking_id: int,
    step: str,
    odometer_km: Annotated[str, Form()] = "",
    fuel_pct: Annotated[str, Form()] = "",
):
    """Check-out or return, both with odometer and fuel readings."""
    if step not in STEPS:
        raise UserError(Text(N_("unknown step {step}"), step=repr(step)))
    action, done = STEPS[step]
    km, fuel = (
        number(odometer_km, N_("Odometer"), field="odometer_km"),
        number(fuel_pct, N_("Fuel"), field="fuel_pct"),
    )
    action(ctx.db, ctx.actor, booking_id, odometer_km=km, fuel_pct=fuel, now=ctx.now)
    return ctx.done("/dispatch", done, id=booking_id)
