"""Rows -> JSON-ready dicts (one shape per resource, shared by list and detail endpoints)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from gateway.db.models import (
    Alert,
    DeadLetter,
    DriverEventRecord,
    MaintenanceRule,
    ServiceAppointment,
    Vehicle,
    VehicleLiveStatus,
)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def is_online(live: VehicleLiveStatus | None, now: datetime, offline_after_s: float) -> bool:
    """Heard from recently, and not gone offline since its last status or driver state."""
    if live is None or live.last_seen is None or now - live.last_seen > timedelta(seconds=offline_after_s):
        return False
    if live.presence == "offline" and live.presence_ts is not None:
        latest_data = max((t for t in (live.status_ts, live.driver_state_ts) if t is not None), default=None)
        return latest_data is not None and latest_data > live.presence_ts
    return True


def vehicle_view(
    v: Vehicle,
    live: VehicleLiveStatus | None,
    open_alerts: list[Alert],
    now: datetime,
    offline_after_s: float,
) -> dict[str, Any]:
    out = {
        "vehicle_id": v.vehicle_id,
        "vin": v.vin,
        "plate": v.plate,
        "model": v.model,
        "purchase_date": _iso(v.purchase_date),
        "service_life_years": v.service_life_years,
        "mileage_limit_km": v.mileage_limit_km,
        "dealer_code": v.dealer_code,
        "status": v.status,
        "archived": v.archived,
        "created_at": _iso(v.created_at),
        "updated_at": _iso(v.updated_at),
        "online": is_online(live, now, offline_after_s),
    }
    live_fields = (
        "presence",
        "presence_ts",
        "last_seen",
        "status_ts",
        "latitude",
        "longitude",
        "heading",
        "speed_kmh",
        "odometer_km",
        "fuel_pct",
        "battery_soc_pct",
        "battery_v",
        "engine_hours",
        "dtcs",
        "driver_id",
        "driver_state",
        "driver_state_ts",
    )
    for name in live_fields:
        value = getattr(live, name) if live is not None else None
        out[name] = _iso(value) if isinstance(value, datetime) else value
    out["open_alerts"] = [alert_view(a) for a in open_alerts]
    return out


def event_view(e: DriverEventRecord) -> dict[str, Any]:
    return {
        "id": e.id,
        "msg_id": e.msg_id,
        "vehicle_id": e.vehicle_id,
        "ts": _iso(e.ts),
        "type": e.type,
        "phase": e.phase,
        "level": e.level,
        "episode_id": e.episode_id,
        "driver_id": e.driver_id,
        "driver_session_id": e.driver_session_id,
        "speed_kmh": e.speed_kmh,
        "latitude": e.latitude,
        "longitude": e.longitude,
        "details": e.details,
        "t": e.t,
        "onset_t": e.onset_t,
        "received_at": _iso(e.received_at),
    }


def alert_view(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "vehicle_id": a.vehicle_id,
        "driver_id": a.driver_id,
        "driver_session_id": a.driver_session_id,
        "type": a.type,
        "level": a.level,
        "detail": a.detail,
        "opened_at": _iso(a.opened_at),
        "ended_at": _iso(a.ended_at),
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": _iso(a.acknowledged_at),
    }


def appointment_view(a: ServiceAppointment) -> dict[str, Any]:
    return {
        "id": a.id,
        "vehicle_id": a.vehicle_id,
        "dealer_code": a.dealer_code,
        "source": a.source,
        "rule_id": a.rule_id,
        "due_key": a.due_key,
        "reason": a.reason,
        "due_odometer_km": a.due_odometer_km,
        "due_engine_hours": a.due_engine_hours,
        "due_date": _iso(a.due_date),
        "status": a.status,
        "created_at": _iso(a.created_at),
        "updated_at": _iso(a.updated_at),
    }


def rule_view(r: MaintenanceRule) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "model": r.model,
        "vehicle_id": r.vehicle_id,
        "type": r.type,
        "start": r.start,
        "period": r.period,
        "lead": r.lead,
        "active": r.active,
        "created_at": _iso(r.created_at),
    }


def dead_letter_view(d: DeadLetter) -> dict[str, Any]:
    return {
        "id": d.id,
        "topic": d.topic,
        "reason": d.reason,
        "detail": d.detail,
        "payload_size": d.payload_size,
        "payload_text": d.payload.decode("utf-8", errors="replace"),
        "payload_b64": base64.b64encode(d.payload).decode("ascii"),
        "received_at": _iso(d.received_at),
    }
