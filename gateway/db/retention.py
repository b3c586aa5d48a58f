"""Bounded growth of the msg_id de-duplication keys.

`housekeeping` runs in the gateway's periodic job (at start, then every `calendar_check_s`) and in
`dms gateway prune`: it deletes `processed_messages` rows older than `processed_retention_days` (in
chunks, one transaction each, so no long lock and no huge transaction).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.db.models import ProcessedMessage
from gateway.db.session import session_scope
from gateway.settings import GatewaySettings

CHUNK_ROWS = 20_000


@dataclass
class HousekeepingResult:
    keys_pruned: int = 0

    def summary(self) -> str:
        return f"{self.keys_pruned} de-duplication keys pruned"


def prune_processed(db: sessionmaker[Session] | Engine, older_than: datetime, *,
                    max_chunks: int | None = None) -> int:
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


def housekeeping(db: sessionmaker[Session] | Engine, settings: GatewaySettings, now: datetime, *,
                 max_chunks: int | None = None) -> HousekeepingResult:
    cutoff = now - timedelta(days=settings.processed_retention_days)
    return HousekeepingResult(prune_processed(db, cutoff, max_chunks=max_chunks))
