"""The change log: how a web process learns what another process (the gateway) just committed.

Writers call `record_changes` in the same transaction as the change, so a change is visible exactly
when its data is. Readers keep a `ChangeFeed` cursor and `poll` it (the SSE endpoint does, every
fraction of a second). Ids come from a sequence, and a transaction that took an id may commit after one
that took a later id: the feed therefore remembers the gaps it skipped and looks at them again for a
while (`gap_grace`), so a late commit is not missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from gateway.db.models import Change
from gateway.db.upsert import bulk_insert

MAX_GAPS = 1000


@dataclass(frozen=True)
class ChangeRow:
    id: int
    kind: str
    vehicle_id: str | None
    ref_id: str | None
    created_at: datetime

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "vehicle_id": self.vehicle_id,
            "ref_id": self.ref_id,
            "created_at": self.created_at.isoformat(),
        }


def record_changes(
    db: Session, changes: Iterable[tuple[str, str | None, str | None]], *, now: datetime
) -> None:
    """Append (kind, vehicle_id, ref_id) rows to the change log, in the caller's transaction."""
    rows = [
        {"kind": kind, "vehicle_id": vehicle_id, "ref_id": ref_id, "created_at": now}
        for kind, vehicle_id, ref_id in dict.fromkeys(changes)
    ]
    bulk_insert(db, Change.__table__, rows)


def latest_change_id(db: Session) -> int:
    return db.scalar(select(func.coalesce(func.max(Change.id), 0)))


@dataclass
class ChangeFeed:
    """A reader's cursor over the change log. Start at `latest_change_id` to see only what comes next."""

    last_id: int = 0
    gap_grace: timedelta = timedelta(seconds=5)
    batch: int = 500
    _gaps: dict[int, datetime] = field(default_factory=dict)

    def poll(self, db: Session, *, now: datetime) -> list[ChangeRow]:
        """Changes committed since the last poll, oldest first."""
        self._gaps = {i: seen for i, seen in self._gaps.items() if now - seen < self.gap_grace}
        cond = Change.id > self.last_id
        if self._gaps:
            cond = or_(cond, Change.id.in_(list(self._gaps)))
        rows = db.execute(select(Change).where(cond).order_by(Change.id).limit(self.batch)).scalars().all()
        out = []
        for row in rows:
            if row.id in self._gaps:
                del self._gaps[row.id]
            elif row.id > self.last_id + 1:
                # Remember at most MAX_GAPS ids: a large jump is a rolled-back burst, not pending commits.
                self._gaps.update({i: now for i in range(max(self.last_id + 1, row.id - MAX_GAPS), row.id)})
            self.last_id = max(self.last_id, row.id)
            out.append(ChangeRow(row.id, row.kind, row.vehicle_id, row.ref_id, row.created_at))
        return out


def prune_changes(db: Session, *, older_than: datetime) -> int:
    """Delete change-log rows created before `older_than` (readers only need the recent past)."""
    return db.execute(delete(Change).where(Change.created_at < older_than)).rowcount
