"""Fatigue-aware dispatch: which drivers had fatigue episodes (microsleep, sleep, drowsiness) in their
recent drives, and which are rested.

An alert is attributed to a driver through the booking active on its vehicle when the drive began:
the time of the first event of the alert's driver session when it has one (a drive that started during
a booking is that booking's driver's, even past the booking's end), else the alert's own time. A booking
is active from its check-out (or start) to its return (or end; still out: until now). The driver id the
vehicle reported with the alert counts as well. Names compare without case and surrounding spaces."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer_portal import messages
from dealer_portal.messages import Text
from dealer_portal.records.actor import Actor
from dealer_portal.records.tables import Booking
from dealer_portal.settings import FatigueSettings
from dms.errors import UserError
from gateway.db.models import Alert, DriverEventRecord, Vehicle


def _key(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


@dataclass(frozen=True)
class Episode:
    type: str
    at: datetime
    vehicle_id: str
    alert_id: int


@dataclass
class DriverFatigue:
    """A driver's fatigue episodes in the window and whether they warn under the settings."""

    driver: str
    since: datetime
    episodes: list[Episode] = field(default_factory=list)
    severe: int = 0
    drowsy: int = 0
    warns: bool = False

    def describe(self) -> str:
        counts = Counter(e.type for e in self.episodes)
        latest = max(self.episodes, key=lambda e: e.at)
        kinds = messages.joined(
            [
                Text(messages.EPISODES_OF_TYPE, count=n, type=Text(messages.label_msgid(t)))
                for t, n in sorted(counts.items())
            ],
            ", ",
        )
        return Text(
            messages.FATIGUE_DETAIL,
            kinds=kinds,
            type=Text(messages.label_msgid(latest.type)),
            at=f"{latest.at:%Y-%m-%d %H:%M}",
            vehicle=latest.vehicle_id,
        )


class FatigueWarning(UserError):
    """Booking a driver with recent fatigue episodes, without an override reason."""

    def __init__(self, fatigue: DriverFatigue, rested: list[str], settings: FatigueSettings):
        suggestion = Text(messages.RESTED_DRIVERS, names=", ".join(rested)) if rested else ""
        super().__init__(
            Text(
                messages.DRIVER_FATIGUED,
                driver=fatigue.driver,
                episodes=Text(messages.EPISODE_COUNT, count=len(fatigue.episodes)),
                hours=f"{settings.window_h:g}",
                detail=fatigue.describe(),
                suggestion=suggestion,
            )
        )
        self.fatigue, self.rested = fatigue, rested


def _active_booking_drivers(session: Session, vehicle_ids: set[str], since: datetime, now: datetime):
    """Per vehicle, the (from, to, driver) of its bookings that may have been driving since `since`."""
    rows = session.scalars(
        select(Booking).where(
            Booking.vehicle_id.in_(vehicle_ids),
            Booking.status.in_(("checked_out", "returned")),
            Booking.starts_at < now,
        )
    )
    spans: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for b in rows:
        begin = b.out_at or b.starts_at
        end = b.back_at or (now if b.status == "checked_out" else b.ends_at)
        if end >= since - timedelta(days=1):  # a session may have started a little before the window
            spans.setdefault(b.vehicle_id, []).append((begin, end, b.driver))
    return spans


def episodes_by_driver(
    session: Session, since: datetime, now: datetime, types: tuple[str, ...]
) -> dict[str, list[Episode]]:
    """Fatigue episodes (alerts of these types opened in [since, now]) per driver (normalised name)."""
    alerts = list(
        session.scalars(
            select(Alert).where(
                Alert.kind == "driver_event",
                Alert.type.in_(types),
                Alert.opened_at >= since,
                Alert.opened_at <= now,
            )
        )
    )
    if not alerts:
        return {}
    session_ids = {a.driver_session_id for a in alerts if a.driver_session_id}
    drive_began = (
        dict(
            session.execute(
                select(DriverEventRecord.driver_session_id, func.min(DriverEventRecord.ts))
                .where(DriverEventRecord.driver_session_id.in_(session_ids))
                .group_by(DriverEventRecord.driver_session_id)
            ).all()
        )
        if session_ids
        else {}
    )
    spans = _active_booking_drivers(session, {a.vehicle_id for a in alerts}, since, now)
    found: dict[str, list[Episode]] = {}
    for a in alerts:
        at = drive_began.get(a.driver_session_id, a.opened_at) if a.driver_session_id else a.opened_at
        drivers = {_key(d) for begin, end, d in spans.get(a.vehicle_id, ()) if begin <= at <= end}
        if a.driver_id:
            drivers.add(_key(a.driver_id))
        for d in drivers - {""}:
            found.setdefault(d, []).append(Episode(a.type, a.opened_at, a.vehicle_id, a.id))
    return found


def assess(session: Session, driver: str, now: datetime, settings: FatigueSettings) -> DriverFatigue:
    since = now - timedelta(hours=settings.window_h)
    types = (*settings.severe_types, *settings.drowsy_types)
    episodes = sorted(
        episodes_by_driver(session, since, now, types).get(_key(driver), []), key=lambda e: e.at
    )
    severe = sum(e.type in settings.severe_types for e in episodes)
    drowsy = sum(e.type in settings.drowsy_types for e in episodes)
    return DriverFatigue(
        driver.strip(),
        since,
        episodes,
        severe,
        drowsy,
        warns=severe > settings.severe_max or drowsy > settings.drowsy_max,
    )


def rested_drivers(
    session: Session,
    actor: Actor,
    now: datetime,
    settings: FatigueSettings,
    *,
    starts_at: datetime,
    ends_at: datetime,
    exclude: str = "",
) -> list[str]:
    """Drivers booked lately (on vehicles the actor sees) with no fatigue episode in the window and no
    booking overlapping [starts_at, ends_at): the longest rested first (earliest last booking end)."""
    query = (
        select(Booking.driver, Booking.starts_at, Booking.ends_at, Booking.back_at, Booking.status)
        .join(Vehicle)
        .where(
            Booking.starts_at >= now - timedelta(days=settings.suggest_from_days),
            Booking.status != "cancelled",
        )
    )
    if not actor.sees_all_dealers:
        query = query.where(Vehicle.dealer_code == actor.dealer_code)
    names: dict[str, str] = {}
    last_end: dict[str, datetime] = {}
    busy: set[str] = set()
    for name, b_start, b_end, back, status in session.execute(query):
        k = _key(name)
        names.setdefault(k, " ".join(name.split()))
        end = back or b_end
        last_end[k] = max(last_end.get(k, end), end)
        if status in ("booked", "checked_out") and b_start < ends_at and b_end > starts_at:
            busy.add(k)
    since = now - timedelta(hours=settings.window_h)
    tired = set(episodes_by_driver(session, since, now, (*settings.severe_types, *settings.drowsy_types)))
    candidates = [k for k in names if k not in busy and k not in tired and k != _key(exclude)]
    candidates.sort(key=lambda k: (last_end[k], names[k]))
    return [names[k] for k in candidates[: settings.suggestions]]


def check(
    session: Session,
    actor: Actor,
    driver: str,
    now: datetime,
    settings: FatigueSettings,
    *,
    starts_at: datetime,
    ends_at: datetime,
    override_reason: str = "",
) -> DriverFatigue:
    """The driver's fatigue; a FatigueWarning (with rested drivers) when it warns and no reason is given."""
    fatigue = assess(session, driver, now, settings)
    if fatigue.warns and not override_reason.strip():
        rested = rested_drivers(
            session, actor, now, settings, starts_at=starts_at, ends_at=ends_at, exclude=driver
        )
        raise FatigueWarning(fatigue, rested, settings)
    return fatigue
