"""Driver events: history rows, one alert per episode for the dispatcher, repeated-fatigue flags."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from dms.contract import DriverEvent
from dms.contract.event_groups import FATIGUE
from gateway.db.models import Alert, DriverEventRecord
from gateway.db.upsert import bulk_insert, insert_ignore
from gateway.settings import GatewaySettings


def event_row(msg: DriverEvent, received_at: datetime) -> dict[str, Any]:
    loc = msg.location
    return {
        "msg_id": msg.msg_id,
        "vehicle_id": msg.vehicle_id,
        "ts": msg.ts,
        "type": msg.type,
        "phase": msg.phase,
        "level": msg.level,
        "episode_id": msg.episode_id,
        "driver_id": msg.driver_id,
        "speed_kmh": msg.speed_kmh,
        "latitude": loc.latitude if loc else None,
        "longitude": loc.longitude if loc else None,
        "details": dict(msg.details),
        "received_at": received_at,
        "t": msg.t,
        "onset_t": msg.onset_t,
        "driver_session_id": msg.driver_session_id,
    }


def store_events(db: Session, events: Sequence[DriverEvent], *, now: datetime) -> list[int]:
    """Insert the history rows; their ids in the order given."""
    rows = bulk_insert(
        db, DriverEventRecord.__table__, [event_row(m, now) for m in events], returning=("msg_id", "id")
    )
    ids = dict(rows)
    return [ids[m.msg_id] for m in events]


def _episode_key(msg: DriverEvent) -> str:
    return _alert_key(msg.vehicle_id, msg.episode_id)


def _alert_key(vehicle_id: str, episode_id: str) -> str:
    return f"event:{vehicle_id}:{episode_id}"


def _stored_ends(db: Session, episodes: dict[str, dict[str, Any]]) -> dict[str, datetime]:
    """When the episodes (by alert key) ended, from `end` events stored by an earlier batch."""
    msgs = [ep["msg"] for ep in episodes.values()]
    rows = db.execute(
        select(DriverEventRecord.vehicle_id, DriverEventRecord.episode_id, DriverEventRecord.ts).where(
            DriverEventRecord.phase == "end",
            DriverEventRecord.vehicle_id.in_(sorted({m.vehicle_id for m in msgs})),
            DriverEventRecord.episode_id.in_(sorted({m.episode_id for m in msgs})),
        )
    )
    return {key: ts for vehicle, episode, ts in rows if (key := _alert_key(vehicle, episode)) in episodes}


def update_alerts(db: Session, events: Sequence[DriverEvent]) -> list[tuple[int, str]]:
    """Open/escalate/end the alert of each episode; (alert id, vehicle id) of the alerts touched.

    Messages of one episode may arrive out of order (gateways sharing a subscription, a vehicle re-sending
    what the broker had no subscriber for): the alert opens at the earliest start or escalation seen and
    ends with an `end` stored before its start."""
    episodes: dict[str, dict[str, Any]] = {}
    for msg in events:  # in timestamp order
        ep = episodes.setdefault(_episode_key(msg), {"msg": msg, "level": 0, "opened": None, "ended": None})
        if msg.phase == "end":
            ep["ended"] = msg.ts
        elif msg.level > 0:
            ep["level"] = max(ep["level"], msg.level)
            ep["opened"] = ep["opened"] or msg.ts
    unended = {key: ep for key, ep in episodes.items() if ep["level"] > 0 and ep["ended"] is None}
    if unended:
        for key, ended in _stored_ends(db, unended).items():
            episodes[key]["ended"] = ended
    new_rows = [
        {
            "alert_key": key,
            "kind": "driver_event",
            "vehicle_id": ep["msg"].vehicle_id,
            "driver_id": ep["msg"].driver_id,
            "driver_session_id": ep["msg"].driver_session_id,
            "type": ep["msg"].type,
            "level": ep["level"],
            "opened_at": ep["opened"],
            "ended_at": ep["ended"],
            "detail": None,
        }
        for key, ep in episodes.items()
        if ep["level"] > 0
    ]
    insert_ignore(db, Alert.__table__, new_rows)
    for key, ep in episodes.items():
        values: dict[str, Any] = {}
        if ep["level"] > 0:
            values["level"] = case((Alert.level < ep["level"], ep["level"]), else_=Alert.level)
            opened = literal(ep["opened"], Alert.opened_at.type)
            values["opened_at"] = case((Alert.opened_at > opened, opened), else_=Alert.opened_at)
        if ep["ended"] is not None:
            values["ended_at"] = ep["ended"]
        if values:
            db.execute(update(Alert).where(Alert.alert_key == key).values(**values))
    if not episodes:
        return []
    return [
        tuple(r)
        for r in db.execute(select(Alert.id, Alert.vehicle_id).where(Alert.alert_key.in_(list(episodes))))
    ]


def flag_repeated_fatigue(
    db: Session, events: Sequence[DriverEvent], settings: GatewaySettings
) -> list[tuple[int, str]]:
    """Flag a driver with `fatigue_repeat_count` fatigue episodes within the window, once per window."""
    window = timedelta(days=settings.fatigue_repeat_window_days)
    flagged = []
    for msg in events:
        if msg.phase != "start" or msg.type not in FATIGUE or not msg.driver_id:
            continue
        count = db.scalar(
            select(func.count())
            .select_from(DriverEventRecord)
            .where(
                DriverEventRecord.driver_id == msg.driver_id,
                DriverEventRecord.phase == "start",
                DriverEventRecord.type.in_(FATIGUE),
                DriverEventRecord.ts > msg.ts - window,
                DriverEventRecord.ts <= msg.ts,
            )
        )
        if count < settings.fatigue_repeat_count:
            continue
        recent = db.scalar(
            select(Alert.id)
            .where(
                Alert.kind == "repeated_fatigue",
                Alert.driver_id == msg.driver_id,
                Alert.opened_at > msg.ts - window,
            )
            .limit(1)
        )
        if recent is not None:
            continue
        detail = f"{count} fatigue episodes within {settings.fatigue_repeat_window_days:g} days"
        ids = insert_ignore(
            db,
            Alert.__table__,
            [
                {
                    "alert_key": f"fatigue:{msg.driver_id}:{msg.ts.isoformat()}",
                    "kind": "repeated_fatigue",
                    "vehicle_id": msg.vehicle_id,
                    "driver_id": msg.driver_id,
                    "driver_session_id": msg.driver_session_id,
                    "type": "repeated_fatigue",
                    "level": 1,
                    "detail": detail,
                    "opened_at": msg.ts,
                    "ended_at": None,
                }
            ],
            returning=Alert.id,
        )
        flagged.extend((i, msg.vehicle_id) for i in ids)
    return flagged
