"""The downsampled status history: one `status_minutes` row per vehicle and UTC minute.

The ingest merges each batch's status samples into their minutes in the batch's transaction
(`merge_minutes`): counts add up, the mean speed is weighted by the samples that had one, maxima and
minima combine, and the other columns come from the latest sample of the minute, whichever batch brought
it (a vehicle's outbox may deliver an old minute late). One upsert statement per batch, rows in key order
(concurrent gateways lock the same rows in the same order).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from gateway.db.models import StatusMinute
from gateway.db.upsert import bulk_insert

LAST = ("driver_id", "latitude", "longitude", "odometer_km", "fuel_pct", "engine_hours")
"""Columns taken from the minute's latest sample (None there keeps the earlier value)."""


def minute_of(ts: datetime) -> datetime:
    return ts.replace(second=0, microsecond=0)


def minute_rows(samples: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`status_samples` rows (dicts) -> one `status_minutes` row per (vehicle_id, minute), key order."""
    out: dict[tuple[str, datetime], dict[str, Any]] = {}
    for s in sorted(samples, key=lambda s: s["ts"]):
        key = (s["vehicle_id"], minute_of(s["ts"]))
        row = out.get(key)
        if row is None:
            row = out[key] = {
                "vehicle_id": key[0],
                "minute": key[1],
                "samples": 0,
                "speed_n": 0,
                "speed_mean_kmh": None,
                "speed_max_kmh": None,
                "battery_min_v": None,
                **dict.fromkeys(LAST),
            }
        row["samples"] += 1
        row["last_ts"] = s["ts"]
        for name in LAST:
            if s[name] is not None:
                row[name] = s[name]
        speed, volts = s["speed_kmh"], s["battery_v"]
        if speed is not None:
            n = row["speed_n"]
            row["speed_mean_kmh"] = ((row["speed_mean_kmh"] or 0.0) * n + speed) / (n + 1)
            row["speed_n"] = n + 1
            row["speed_max_kmh"] = speed if row["speed_max_kmh"] is None else max(row["speed_max_kmh"], speed)
        if volts is not None:
            row["battery_min_v"] = volts if row["battery_min_v"] is None else min(row["battery_min_v"], volts)
    return [out[k] for k in sorted(out)]


@lru_cache(maxsize=2)
def _merge_sql(dialect: str) -> str:
    """What `ON CONFLICT` does with a minute already stored: the batch's part merged into it."""
    most, least = ("GREATEST", "LEAST") if dialect == "postgresql" else ("max", "min")
    t, e = "status_minutes", "excluded"
    newer = f"{e}.last_ts >= {t}.last_ts"
    sets = [
        f"samples = {t}.samples + {e}.samples",
        f"speed_n = {t}.speed_n + {e}.speed_n",
        f"speed_mean_kmh = CASE WHEN {t}.speed_n + {e}.speed_n = 0 THEN NULL ELSE "
        f"(COALESCE({t}.speed_mean_kmh, 0) * {t}.speed_n + COALESCE({e}.speed_mean_kmh, 0) * {e}.speed_n)"
        f" / ({t}.speed_n + {e}.speed_n) END",
        f"speed_max_kmh = {most}(COALESCE({t}.speed_max_kmh, {e}.speed_max_kmh), "
        f"COALESCE({e}.speed_max_kmh, {t}.speed_max_kmh))",
        f"battery_min_v = {least}(COALESCE({t}.battery_min_v, {e}.battery_min_v), "
        f"COALESCE({e}.battery_min_v, {t}.battery_min_v))",
        *(
            f"{c} = CASE WHEN {newer} THEN COALESCE({e}.{c}, {t}.{c}) ELSE COALESCE({t}.{c}, {e}.{c}) END"
            for c in LAST
        ),
        f"last_ts = {most}({t}.last_ts, {e}.last_ts)",
    ]
    return f"(vehicle_id, minute) DO UPDATE SET {', '.join(sets)}"


def merge_minutes(db: Session, rows: list[dict[str, Any]]) -> int:
    """Merge minute rows (`minute_rows` of the batch's samples) into the stored minutes, in the
    caller's transaction; rows written."""
    # One INSERT .. SELECT FROM unnest(..) on PostgreSQL: an executemany of one upsert per minute row was
    # the largest part of a batch's client and server time when every vehicle starts a minute.
    bulk_insert(db, StatusMinute.__table__, rows, on_conflict=_merge_sql(db.get_bind().dialect.name))
    return len(rows)
