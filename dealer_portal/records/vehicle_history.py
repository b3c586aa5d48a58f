"""A vehicle's past as the vehicle page shows it: its trips rebuilt from the stored status history (found
on the per-minute rows; a chosen trip replayed from its raw rows while they are kept), and one time-ordered timeline of its
alerts, driver events, trips and service visits.

A trip is a run of movement; it ends at a stop (no speed above `STOP_SPEED_KMH` for `STOP_AFTER`) or
at a gap in the history as long as that (the vehicle was off)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal import i18n, messages
from dealer_portal.messages import N_, Text, label_msgid
from dealer_portal.paging import Page
from dealer_portal.records.actor import Actor
from dealer_portal.records.fleet import EVENT_LABELS
from dealer_portal.records.tables import ServiceOrder
from gateway.db.models import Alert, DriverEventRecord, StatusMinute, StatusSample

STOP_SPEED_KMH = 3.0
STOP_AFTER = timedelta(minutes=5)
MIN_TRIP_KM = 0.05
MAX_ROUTE_POINTS = 2000
"""A day's route on the page keeps at most this many points (evenly thinned, ends kept)."""


@dataclass(frozen=True)
class Sample:
    ts: datetime
    lat: float
    lon: float
    speed_kmh: float | None


@dataclass
class Trip:
    points: list[Sample] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return self.points[0].ts

    @property
    def end(self) -> datetime:
        return self.points[-1].ts

    @property
    def distance_km(self) -> float:
        return sum(_km(a, b) for a, b in zip(self.points, self.points[1:], strict=False))

    @property
    def max_speed_kmh(self) -> float | None:
        speeds = [p.speed_kmh for p in self.points if p.speed_kmh is not None]
        return max(speeds) if speeds else None


def _km(a: Sample, b: Sample) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def raw_history(session: Session, vehicle_id: str, since: datetime, until: datetime) -> list[Sample]:
    """Positions of the raw status rows in [since, until) (kept for days only), oldest first."""
    return [
        Sample(r.ts, r.latitude, r.longitude, r.speed_kmh)
        for r in session.execute(
            select(StatusSample.ts, StatusSample.latitude, StatusSample.longitude, StatusSample.speed_kmh)
            .where(
                StatusSample.vehicle_id == vehicle_id,
                StatusSample.ts >= since,
                StatusSample.ts < until,
                StatusSample.latitude.is_not(None),
                StatusSample.longitude.is_not(None),
            )
            .order_by(StatusSample.ts)
        )
    ]


def minute_history(
    session: Session, vehicle_id: str, since: datetime, until: datetime, moving_only: bool = False
) -> list[Sample]:
    """Positions of the per-minute rows whose minute lies in [since, until) (kept a year): each the
    minute's latest sample, with the minute's mean speed. `moving_only`: the minutes that moved (or
    have no speed), enough to find trips, whose stops are then the gaps."""
    moving = (
        (StatusMinute.speed_max_kmh > STOP_SPEED_KMH) | StatusMinute.speed_max_kmh.is_(None)
        if moving_only
        else True
    )
    return [
        Sample(r.last_ts, r.latitude, r.longitude, r.speed_mean_kmh)
        for r in session.execute(
            select(
                StatusMinute.last_ts,
                StatusMinute.latitude,
                StatusMinute.longitude,
                StatusMinute.speed_mean_kmh,
            )
            .where(
                StatusMinute.vehicle_id == vehicle_id,
                StatusMinute.minute >= since,
                StatusMinute.minute < until,
                StatusMinute.latitude.is_not(None),
                StatusMinute.longitude.is_not(None),
                moving,
            )
            .order_by(StatusMinute.minute)
        )
    ]


def history(session: Session, vehicle_id: str, since: datetime, until: datetime) -> list[Sample]:
    """Positions in [since, until), oldest first, as fine as still stored: the raw status rows where
    kept, and the per-minute rows for the minutes before the first raw row (raw rows go first)."""
    raw = raw_history(session, vehicle_id, since, until)
    minutes_until = raw[0].ts.replace(second=0, microsecond=0) if raw else until
    return minute_history(session, vehicle_id, since, minutes_until) + raw


def _moving(prev: Sample | None, s: Sample) -> bool:
    if s.speed_kmh is not None:
        return s.speed_kmh > STOP_SPEED_KMH
    return prev is not None and _km(prev, s) > 0.02  # no speed reported: moved more than 20 m


def _stopped(s: Sample) -> bool:
    return s.speed_kmh is not None and s.speed_kmh <= STOP_SPEED_KMH


def split_trips(samples: list[Sample]) -> list[Trip]:
    """Trips in a position history (oldest first): split at stops and gaps of STOP_AFTER or more."""
    trips: list[Trip] = []
    current: Trip | None = None
    last_moving: Sample | None = None
    prev: Sample | None = None
    for s in samples:
        gap = prev is not None and s.ts - prev.ts >= STOP_AFTER
        if current is not None and (gap or (last_moving and s.ts - last_moving.ts >= STOP_AFTER)):
            trips.append(current)
            current = None
        if _moving(None if gap else prev, s):
            if current is None:
                current = Trip([prev] if prev is not None and not gap else [])
            current.points.append(s)
            last_moving = s
        elif current is not None:
            current.points.append(s)  # a short halt (traffic light) stays in the trip
        prev = s
    if current is not None:
        trips.append(current)
    for t in trips:  # the trip ends where it stopped: the stop's later samples are not the trip
        while len(t.points) > 2 and _stopped(t.points[-1]) and _stopped(t.points[-2]):
            t.points.pop()
    return [t for t in trips if len(t.points) >= 2 and t.distance_km >= MIN_TRIP_KM]


def trips_between(
    session: Session, vehicle_id: str, since: datetime, until: datetime, moving_only: bool = False
) -> list[Trip]:
    """Trips found on the per-minute rows (at most 1,440 a day); the raw rows only where a range has
    no minute rows at all. `moving_only` reads only the minutes that moved (the timeline's summary:
    each trip then ends at its last moving minute, without the arrival)."""
    minutes = minute_history(session, vehicle_id, since, until, moving_only)
    return split_trips(minutes or raw_history(session, vehicle_id, since, until))


def trip_detail(session: Session, vehicle_id: str, trip: Trip) -> list[Sample]:
    """A trip's positions as fine as still stored: its raw rows while kept (a minute row stands for
    the minute before its time), else its per-minute points."""
    raw = raw_history(
        session, vehicle_id, trip.start - timedelta(seconds=70), trip.end + timedelta(seconds=10)
    )
    return raw if len(raw) >= 2 else trip.points


def thin(points: list[Sample], limit: int = MAX_ROUTE_POINTS) -> list[Sample]:
    if len(points) <= limit:
        return points
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


# ---- timeline ----------------------------------------------------------------------------------

TIMELINE_PAGE = 20
TIMELINE_DAYS = 14
"""Trips older than this are not in the timeline (the day's route view reaches further back)."""


KIND_LABELS = {"alert": N_("alert"), "event": N_("event"), "trip": N_("trip"), "service": N_("service")}


@dataclass(frozen=True)
class TimelineItem:
    ts: datetime
    kind: str  # 'alert' | 'event' | 'trip' | 'service'
    title: str
    detail: tuple[object, ...] = ()
    """Parts shown joined by " · " (a Text or a label msgid reads in the reader's language)."""
    href: str = ""


def timeline(
    session: Session,
    actor: Actor,
    vehicle_id: str,
    now: datetime,
    *,
    page: int = 1,
    params: dict[str, str] | None = None,
    size: int = TIMELINE_PAGE,
) -> Page:
    """Alerts, driver events that raised no alert (level 0), trips of the last TIMELINE_DAYS and service
    visits (for who may see the workshop), newest first, one page of them. The caller has checked
    that the actor may see the vehicle."""
    items: list[TimelineItem] = []
    alerts = list(session.scalars(select(Alert).where(Alert.vehicle_id == vehicle_id)))
    alert_keys = {a.alert_key for a in alerts}
    for a in alerts:
        detail = [Text(messages.ALERT_LEVEL, level=a.level), a.driver_id or ""]
        if a.acknowledged_by:
            detail.append(Text(messages.ACKNOWLEDGED_BY, user=a.acknowledged_by))
        items.append(
            TimelineItem(
                a.opened_at, "alert", EVENT_LABELS.get(a.type, a.type), tuple(d for d in detail if d)
            )
        )
    events = session.scalars(
        select(DriverEventRecord).where(
            DriverEventRecord.vehicle_id == vehicle_id,
            DriverEventRecord.phase == "start",
            DriverEventRecord.type != "driver_change",
        )
    )
    for e in events:
        if f"event:{vehicle_id}:{e.episode_id}" in alert_keys:
            continue  # shown as its alert
        detail = (e.driver_id,) if e.driver_id else ()
        items.append(TimelineItem(e.ts, "event", EVENT_LABELS.get(e.type, label_msgid(e.type)), detail))
    for i, t in enumerate(
        trips_between(session, vehicle_id, now - timedelta(days=TIMELINE_DAYS), now, moving_only=True)
    ):
        top = (
            (Text(messages.TRIP_TOP_SPEED, speed=f"{t.max_speed_kmh:.0f}"),)
            if t.max_speed_kmh is not None
            else ()
        )
        local = i18n.current().local
        items.append(
            TimelineItem(
                t.start,
                "trip",
                f"{t.distance_km:.1f} km",
                (
                    Text(messages.TRIP_SPAN, start=f"{local(t.start):%H:%M}", end=f"{local(t.end):%H:%M}"),
                    *top,
                ),
                f"/vehicles/{vehicle_id}?day={local(t.start):%Y-%m-%d}&trip={t.start:%H%M}#route",
            )
        )
    if actor.may("service"):
        for o in session.scalars(select(ServiceOrder).where(ServiceOrder.vehicle_id == vehicle_id)):
            if actor.sees_dealer(o.dealer_code):
                items.append(
                    TimelineItem(
                        o.received_at or o.scheduled_at or o.created_at,
                        "service",
                        f"#{o.id} {o.reason or o.complaint or o.kind}"[:120],
                        (Text(label_msgid(o.state)),),
                        f"/service/{o.id}",
                    )
                )
    items.sort(key=lambda it: it.ts, reverse=True)
    pages = max(1, -(-len(items) // size))
    number = min(max(page, 1), pages)
    rows = items[(number - 1) * size : number * size]
    return Page(rows, number, size, len(items), f"/vehicles/{vehicle_id}", params or {})


# ---- odometer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OdometerRun:
    """Consecutive readings of the same value and source, shown as one row."""

    first: datetime
    last: datetime
    km: float
    source: str
    count: int


def collapse_odometer(readings: list) -> list[OdometerRun]:
    """Readings (newest first) with runs of identical km and source folded into one row."""
    runs: list[OdometerRun] = []
    for r in readings:
        last = runs[-1] if runs else None
        if last and round(last.km) == round(r.odometer_km) and last.source == r.source:
            runs[-1] = OdometerRun(r.ts, last.last, last.km, last.source, last.count + 1)
        else:
            runs.append(OdometerRun(r.ts, r.ts, r.odometer_km, r.source, 1))
    return runs
