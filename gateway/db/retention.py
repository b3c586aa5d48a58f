"""Bounded growth of the two big tables: the msg_id de-duplication keys and the status history.

`housekeeping` runs in the gateway's periodic job (at start, then every `calendar_check_s`) and in
`dms gateway prune`: it deletes `processed_messages` rows older than `processed_retention_days` (in
chunks, one transaction each, so no long lock and no huge transaction), and on PostgreSQL creates the
coming months' status partitions and drops those older than `status_retention_months`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import partitions
from gateway.db.models import ProcessedMessage
from gateway.db.session import session_scope
from gateway.settings import GatewaySettings

CHUNK_ROWS = 20_000


@dataclass
class HousekeepingResult:
    keys_pruned: int = 0
    months_created: list[str] = field(default_factory=list)
    months_dropped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.keys_pruned} de-duplication keys pruned, {len(self.months_created)} status "
            f"partitions created, {len(self.months_dropped)} dropped"
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
        result.months_created = partitions.ensure_months(conn, now, settings.status_partitions_ahead)
        if settings.status_retention_months is not None:
            first_kept = partitions.add_months(partitions.month_start(now), -settings.status_retention_months)
            result.months_dropped = partitions.drop_months_before(conn, first_kept)
    return result
