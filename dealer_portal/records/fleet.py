"""The fleet board's read model: one row per vehicle from the gateway's live projection (its values
marked stale when the vehicle is offline or they are old), the alert feed, and the dispatcher's
acknowledgement of an alert (who and when, shown in the feed).

An alert is *ongoing* until its episode ends or someone acknowledges it; an ended alert that nobody
acknowledged leaves the ongoing feed for a list of its own, so a microsleep of two seconds is still
seen, but not as if it were happening now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dealer_portal.i18n import gettext as _
from dealer_portal.messages import N_, Text
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor, NotFound
from dms.errors import UserError
from gateway.db.models import Alert, Vehicle, VehicleLiveStatus

EVENT_LABELS = {
    "microsleep": N_("Microsleep"),
    "sleep": N_("Asleep"),
    "drowsiness": N_("Drowsy"),
    "yawning": N_("Yawning"),
    "long_distraction": N_("Distracted"),
    "vats": N_("Distracted (repeated glances)"),
    "phone_use": N_("Phone use"),
    "unresponsive": N_("Unresponsive"),
    "not_monitoring": N_("Not monitored"),
    "repeated_fatigue": N_("Repeated fatigue"),
}

CAMERA_HEALTH_LABELS = {
    "camera_dark": N_("Camera: picture dark"),
    "illuminator_failure": N_("Camera: infrared light failed"),
    "lens_covered": N_("Camera: lens covered"),
    "camera_misaimed": N_("Camera: badly aimed"),
    "lens_dirty": N_("Camera: lens dirty"),
    "sunglasses": N_("Camera: eyes hidden by sunglasses"),
}
"""The driver camera's health as the vehicle reports it (DriverState.camera_health), when not 'ok'."""


ONGOING = (Alert.acknowledged_at.is_(None), Alert.ended_at.is_(None))
ENDED_UNACKNOWLEDGED = (Alert.acknowledged_at.is_(None), Alert.ended_at.is_not(None))


@dataclass(frozen=True)
class BoardRow:
    vehicle: Vehicle
    live: VehicleLiveStatus | None
    online: bool
    open_alerts: int
    status_current: bool = False
    """Speed and position are recent and the vehicle online: shown as now, not as last known."""
    state_current: bool = False
    """The driver state likewise."""

    @property
    def driver_state(self) -> str:
        """A short human label of the latest driver-state summary."""
        state = (self.live.driver_state if self.live else None) or {}
        if not state:
            return "—"
        events = state.get("active_events") or []
        if events:
            return ", ".join(_(EVENT_LABELS.get(e, e)) for e in events)
        if state.get("monitoring") is False:
            return _(N_("Not monitored"))
        return _(N_("Attentive")) if state.get("is_eyes_on_road", True) else _(N_("Eyes off road"))

    @property
    def camera_health(self) -> str | None:
        """Why the vehicle's driver camera cannot (well) see the driver, as a label; None when it can or
        the vehicle does not say."""
        state = (self.live.driver_state if self.live else None) or {}
        health = state.get("camera_health")
        return None if health in (None, "ok") else CAMERA_HEALTH_LABELS.get(health, health)

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


def _current(online: bool, ts: datetime | None, now: datetime, stale_after_s: float) -> bool:
    return online and ts is not None and now - ts <= timedelta(seconds=stale_after_s)


def board(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    offline_after_s: float,
    stale_after_s: float = 120.0,
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
            .where(Alert.vehicle_id.in_(ids), *ONGOING)
            .group_by(Alert.vehicle_id)
        ).all()
    )
    rows = []
    for v in vehicles:
        live = lives.get(v.vehicle_id)
        online_now = is_online(live, now, offline_after_s)
        rows.append(
            BoardRow(
                v,
                live,
                online_now,
                alert_counts.get(v.vehicle_id, 0),
                status_current=_current(online_now, live and live.status_ts, now, stale_after_s),
                state_current=_current(online_now, live and live.driver_state_ts, now, stale_after_s),
            )
        )
    if online in ("online", "offline"):
        rows = [r for r in rows if r.online == (online == "online")]
    if alerts_only:
        rows = [r for r in rows if r.open_alerts]
    return rows


def _alerts(session: Session, actor: Actor, where, order, limit: int) -> list[Alert]:
    actor.require("fleet")
    visible = _visible_vehicles(actor).with_only_columns(Vehicle.vehicle_id)
    return list(
        session.scalars(
            select(Alert).where(*where, Alert.vehicle_id.in_(visible)).order_by(order.desc()).limit(limit)
        )
    )


def open_alerts(session: Session, actor: Actor, limit: int = 30) -> list[Alert]:
    """Alerts going on now (not ended, not acknowledged), newest first."""
    return _alerts(session, actor, ONGOING, Alert.opened_at, limit)


def ended_alerts(session: Session, actor: Actor, limit: int = 30) -> list[Alert]:
    """Alerts whose episode ended before anyone acknowledged them: still to review."""
    return _alerts(session, actor, ENDED_UNACKNOWLEDGED, Alert.opened_at, limit)


def acknowledged_alerts(session: Session, actor: Actor, limit: int = 10) -> list[Alert]:
    """The latest acknowledgements, with who and when."""
    return _alerts(session, actor, (Alert.acknowledged_at.is_not(None),), Alert.acknowledged_at, limit)


def acknowledge(session: Session, actor: Actor, alert_id: int, now: datetime) -> Alert:
    actor.require("fleet")
    alert = session.get(Alert, alert_id)
    visible = (
        alert is not None
        and session.scalar(_visible_vehicles(actor).where(Vehicle.vehicle_id == alert.vehicle_id)) is not None
    )
    if not visible:
        raise NotFound(Text(N_("no alert {id}"), id=alert_id))
    if alert.acknowledged_at is not None:
        raise UserError(
            Text(N_("alert {id} was already acknowledged by {user}"), id=alert_id, user=alert.acknowledged_by)
        )
    alert.acknowledged_by, alert.acknowledged_at = actor.username, now
    audit.record(session, actor, now, "acknowledge", "alert", alert_id, f"{alert.vehicle_id} {alert.type}")
    audit.announce(session, "alert", now, alert.vehicle_id, alert_id)
    return alert
