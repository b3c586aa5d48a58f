"""Bounded growth of the big tables: what each keeps, and for how long (settings with their reasons).

| table                | kept                                      | how                                          |
|----------------------|-------------------------------------------|----------------------------------------------|
| `processed_messages` | `processed_retention_days` (14)           | DELETE in chunks, by `received_at`           |
| `status_samples`     | today + `raw_retention_days` (7)          | PostgreSQL: DROP of day partitions; SQLite: DELETE |
| `odometer_log`       | telemetry readings older than the raw rows: the last per vehicle and UTC day | DELETE per day |
| `status_minutes`     | `history_retention_days` (366)            | PostgreSQL: DROP of month partitions; SQLite: DELETE |
| `changes`            | `changes_retention_h` (1)                 | DELETE (gateway/changes.py)                  |

`housekeeping` runs in the gateway's periodic job (at start, then every `calendar_check_s`) and in
`dms gateway prune`; on PostgreSQL it also creates the coming day and month partitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import partitions
from gateway.db.models import AppSetting, OdometerReading, ProcessedMessage, StatusMinute, StatusSample
from gateway.db.session import session_scope
from gateway.settings import GatewaySettings

CHUNK_ROWS = 20_000
ODOMETER_MARK = "odometer_thinned_until"
"""app_settings key: telemetry odometer readings before this day are thinned already."""
THIN_DAYS_PER_RUN = 31
"""Days of odometer readings thinned per run at most (a first run on old history catches up over runs)."""


@dataclass
class HousekeepingResult:
    keys_pruned: int = 0
    partitions_created: list[str] = field(default_factory=list)
    partitions_dropped: list[str] = field(default_factory=list)
    rows_deleted: int = 0
    """Raw and per-minute rows deleted by age where no partition does it (SQLite), and the odometer
    readings thinned."""

    def summary(self) -> str:
        return (
            f"{self.keys_pruned} de-duplication keys pruned, {len(self.partitions_created)} history "
            f"partitions created, {len(self.partitions_dropped)} dropped, {self.rows_deleted} history "
            "rows deleted"
        )


def prune_processed(
    db: sessionmaker[Session] | Engine, older_than: datetime, *, max_chunks: int | None = None
) -> int:
    """Delete the msg_ids received before `older_than`, CHUNK_ROWS per transaction, at most `max_chunks`
    transactions (None: until done); how many were deleted."""
    table = ProcessedMessage.__table__
    doomed = select(table.c.msg_id).where(table.c.received_at < older_than).limit(CHUNK_ROWS)
    total = chunks = 0
    while max_chunks is None or chunks < max_chunks:
        with session_scope(db) as session:
            deleted = session.execute(delete(table).where(table.c.msg_id.in_(doomed))).rowcount
        total, chunks = total + deleted, chunks + 1
        if deleted < CHUNK_ROWS:
            break
    return total


def raw_cutoff(settings: GatewaySettings, now: datetime) -> datetime | None:
    """Raw rows before this instant (a UTC midnight) are expired; None: kept for ever."""
    if settings.raw_retention_days is None:
        return None
    return partitions.STATUS_SAMPLES.start(now) - timedelta(days=settings.raw_retention_days)


def history_cutoff(settings: GatewaySettings, now: datetime) -> datetime | None:
    """Per-minute rows before this instant (a month's start, so whole months go) are expired."""
    if settings.history_retention_days is None:
        return None
    return partitions.month_start(now - timedelta(days=settings.history_retention_days))


def _expire(conn: Connection, spec: partitions.PartitionedTable, table, cutoff: datetime, out) -> None:
    """Drop the partitions before `cutoff` (PostgreSQL) or delete the rows (a plain table)."""
    if partitions.is_partitioned(conn, spec.table):
        out.partitions_dropped += partitions.drop_before(conn, spec, cutoff)
    else:
        out.rows_deleted += conn.execute(delete(table).where(table.c[spec.column] < cutoff)).rowcount


def thin_odometer(session: Session, until: datetime, *, max_days: int = THIN_DAYS_PER_RUN) -> int:
    """Keep the last telemetry reading per vehicle and UTC day before `until` (a midnight), one day per
    statement, from where the previous run stopped; readings entered in the portal stay. Rows deleted."""
    log = OdometerReading.__table__
    telemetry = log.c.source == "telemetry"
    mark = session.get(AppSetting, ODOMETER_MARK)
    if mark is not None:
        day = datetime.fromisoformat(mark.value)
    else:
        first = session.scalar(select(func.min(log.c.ts)).where(telemetry))
        if first is None:
            return 0
        day = partitions.STATUS_SAMPLES.start(first)
    day = max(day, until - timedelta(days=max_days))  # a mark years old: older days stay as they are
    deleted = 0
    while day < until:
        nxt = day + timedelta(days=1)
        of_day = (telemetry, log.c.ts >= day, log.c.ts < nxt)
        last = select(func.max(log.c.id)).where(*of_day).group_by(log.c.vehicle_id)
        deleted += session.execute(delete(log).where(*of_day, log.c.id.not_in(last))).rowcount
        day = nxt
    session.merge(AppSetting(key=ODOMETER_MARK, value=until.isoformat()))
    return deleted


def housekeeping(
    db: sessionmaker[Session] | Engine,
    settings: GatewaySettings,
    now: datetime,
    *,
    max_chunks: int | None = None,
) -> HousekeepingResult:
    cutoff = now - timedelta(days=settings.processed_retention_days)
    result = HousekeepingResult(prune_processed(db, cutoff, max_chunks=max_chunks))
    with session_scope(db) as session:
        conn = session.connection()
        result.partitions_created += partitions.ensure_ahead(
            conn, partitions.STATUS_SAMPLES, now, settings.raw_partitions_ahead_days
        )
        result.partitions_created += partitions.ensure_ahead(
            conn, partitions.STATUS_MINUTES, now, settings.history_partitions_ahead_months
        )
        raw = raw_cutoff(settings, now)
        if raw is not None:
            _expire(conn, partitions.STATUS_SAMPLES, StatusSample.__table__, raw, result)
            result.rows_deleted += thin_odometer(session, raw)
        history = history_cutoff(settings, now)
        if history is not None:
            _expire(conn, partitions.STATUS_MINUTES, StatusMinute.__table__, history, result)
    return result
