"""Stored status history of a drive, for the portal's trip and replay tests: per-minute rows
(status_minutes) for one trip and raw rows (status_samples) for another, as the retention leaves them."""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway.db.models import StatusMinute, StatusSample


def add_minute_trip(session, vehicle_id: str, start: datetime, minutes: int, lat: float, lon: float) -> None:
    """A trip heading east at ~60 km/h, one per-minute row a minute, then a stop of 40 minutes."""
    for i in range(minutes + 1):
        moving = i < minutes
        minute = start + timedelta(minutes=i)
        session.add(
            StatusMinute(
                vehicle_id=vehicle_id,
                minute=minute,
                samples=6,
                last_ts=minute + timedelta(seconds=50),
                latitude=lat,
                longitude=lon + 0.014 * min(i, minutes),
                speed_n=6,
                speed_mean_kmh=60.0 if moving else 0.0,
                speed_max_kmh=64.0 if moving else 0.0,
            )
        )


def add_raw_trip(session, vehicle_id: str, start: datetime, seconds: int, lat: float, lon: float) -> None:
    """A trip heading north at ~36 km/h, one raw status row every 10 s, and the per-minute rows the
    ingest writes beside them (`start` on a whole minute)."""
    minutes: dict = {}
    for k, s in enumerate(range(0, seconds + 1, 10)):
        ts = start + timedelta(seconds=s)
        row = StatusSample(
            msg_id=f"route-{vehicle_id}-{start:%H%M}-{k}",
            vehicle_id=vehicle_id,
            ts=ts,
            speed_kmh=36.0 if s < seconds else 0.0,
            latitude=lat + 0.0009 * k,
            longitude=lon,
            signals={},
        )
        session.add(row)
        minutes.setdefault(ts.replace(second=0, microsecond=0), []).append(row)
    for minute, rows in minutes.items():
        last = rows[-1]
        session.add(
            StatusMinute(
                vehicle_id=vehicle_id,
                minute=minute,
                samples=len(rows),
                last_ts=last.ts,
                latitude=last.latitude,
                longitude=last.longitude,
                speed_n=len(rows),
                speed_mean_kmh=sum(r.speed_kmh for r in rows) / len(rows),
                speed_max_kmh=max(r.speed_kmh for r in rows),
            )
        )
