"""The fleet board's read model: one row per vehicle from the gateway's live projection, open alerts,
and the dispatcher's acknowledgement of an alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dealer_portal.records import audit
from dealer_portal.records.actor import Actor, NotFound
from dms.errors import UserError
from gateway.db.models import Alert, Vehicle, VehicleLiveStatus

EVENT_LABELS = {
    "microsleep": "Microsleep",
    "sleep": "Asleep",
    "drowsiness": "Drowsy",
    "yawning": "Yawning",
    "long_distraction": "Distracted",
    "vats": "Distracted (repeated glances)",
    "phone_use": "Phone use",
    "unresponsive": "Unresponsive",
    "not_monitoring": "Not monitored",
    "repeated_fatigue": "Repeated fatigue",
}


@dataclass(frozen=True)
class BoardRow:
    vehicle: Vehicle
    live: VehicleLiveStatus | None
    online: bool
    open_alerts: int

    @property
    def driver_state(self) -> str:
        """A short human label of the latest driver-state summary."""
        state = (self.live.driver_state if self.live else None) or {}
        if not state:
            return "—"
        events = state.get("active_events") or []
        if events:
            return ", ".join(EVENT_LABELS.get(e, e) for e in events)
        if state.get("monitoring") is False:
            return "Not monitored"
        return "Attentive" if state.get("is_eyes_on_road", True) else "Eyes off road"

    @property
    def position(self) -> tuple[float, float] | None:
        if self.live and self.live.latitude is not None and self.live.longitude is not None:
            return self.live.latitude, self.live.longitude
        return None


def _visible_vehicles(actor: Actor):
    query = select(Vehicle).where(Vehicle.archived.is_(False), Vehicle.status != "retired")
    if not actor.sees_all_dealers:
        query = query.where(Vehicle.dealer_code == actor.dealer_code)
    return query


def is_online(live: VehicleLiveStatus | None, now: datetime, offline_after_s: float) -> bool:
    """Online when the vehicle said so last and was heard from recently (a lost last-will is not trusted)."""
    if live is None or live.presence != "online" or live.last_seen is None:
        return False
    return now - live.last_seen <= timedelta(seconds=offline_after_s)


def board(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    offline_after_s: float,
    text: str = "",
    online: str = "",
    alerts_only: bool = False,
) -> list[BoardRow]:
    """Rows for the board. `online` is '' (all), 'online' or 'offline'."""
    actor.require("fleet")
    query = _visible_vehicles(actor).order_by(Vehicle.vehicle_id)
    if text.strip():
        like = f"%{text.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Vehicle.vehicle_id).like(like),
                func.lower(Vehicle.plate).like(like),
                func.lower(Vehicle.model).like(like),
            )
        )
    vehicles = list(session.scalars(query))
    ids = [v.vehicle_id for v in vehicles]
    lives = {
        lv.vehicle_id: lv
        for lv in session.scalars(select(VehicleLiveStatus).where(VehicleLiveStatus.vehicle_id.in_(ids)))
    }
    alert_counts = dict(
        session.execute(
            select(Alert.vehicle_id, func.count())
            .where(Alert.vehicle_id.in_(ids), Alert.acknowledged_at.is_(None))
            .group_by(Alert.vehicle_id)
        ).all()
    )
    rows = [
        BoardRow(
            v,
            lives.get(v.vehicle_id),
            is_online(lives.get(v.vehicle_id), now, offline_after_s),
            alert_counts.get(v.vehicle_id, 0),
        )
        for v in vehicles
    ]
    if online in ("online", "offline"):
        rows = [r for r in rows if r.online == (online == "online")]
    if alerts_only:
        rows = [r for r in rows if r.open_alerts]
    return rows


def open_alerts(session: Session, actor: Actor, limit: int = 30) -> list[Alert]:
    actor.require("fleet")
    visible = _visible_vehicles(actor).with_only_columns(Vehicle.vehicle_id)
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.acknowledged_at.is_(None), Alert.vehicle_id.in_(visible))
            .order_by(Alert.opened_at.desc())
            .limit(limit)
        )
    )


def acknowledge(session: Session, actor: Actor, alert_id: int, now: datetime) -> Alert:
    actor.require("fleet")
    alert = session.get(Alert, alert_id)
    visible = (
        alert is not None
        and session.scalar(_visible_vehicles(actor).where(Vehicle.vehicle_id == alert.vehicle_id)) is not None
    )
    if not visible:
        raise NotFound(f"no alert {alert_id}")
    if alert.acknowledged_at is not None:
        raise UserError(f"alert {alert_id} was already acknowledged by {alert.acknowledged_by}")
    alert.acknowledged_by, alert.acknowledged_at = actor.username, now
    audit.record(session, actor, now, "acknowledge", "alert", alert_id, f"{alert.vehicle_id} {alert.type}")
    audit.announce(session, "alert", now, alert.vehicle_id, alert_id)
    return alert
