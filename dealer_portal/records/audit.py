"""The audit log: one row per change made through the portal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from dealer_portal.records.actor import Actor
from dealer_portal.records.tables import AuditEntry
from gateway.changes import record_changes


def record(
    session: Session,
    actor: Actor,
    now: datetime,
    action: str,
    entity: str,
    entity_id: object,
    detail: str = "",
    dealer_code: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now,
        actor=actor.username,
        dealer_code=dealer_code or actor.dealer_code,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        detail=detail[:2000],
    )
    session.add(entry)
    return entry


def announce(
    session: Session, kind: str, now: datetime, vehicle_id: str | None = None, ref_id: object = None
) -> None:
    """Add a row to the gateway's change log in the same transaction, so live pages refresh."""
    record_changes(session, [(kind, vehicle_id, None if ref_id is None else str(ref_id))], now=now)


# The audit page's sort orders: name -> ORDER BY.
SORTS = {
    "newest": (AuditEntry.id.desc(),),
    "oldest": (AuditEntry.id.asc(),),
    "who": (AuditEntry.actor.asc(), AuditEntry.id.desc()),
    "record": (AuditEntry.entity.asc(), AuditEntry.entity_id.asc(), AuditEntry.id.desc()),
}


def query(actor: Actor, *, entity: str = "", who: str = "", text: str = "", sort: str = "newest") -> Select:
    """The entries the actor may read, filtered (entity type, user, text in the record or detail), sorted."""
    actor.require("audit")
    found = select(AuditEntry).order_by(*SORTS.get(sort, SORTS["newest"]))
    if not actor.sees_all_dealers:
        found = found.where(AuditEntry.dealer_code == actor.dealer_code)
    if entity:
        found = found.where(AuditEntry.entity == entity)
    if who.strip():
        found = found.where(AuditEntry.actor == who.strip())
    if text.strip():
        like = f"%{text.strip().lower()}%"
        found = found.where(
            or_(func.lower(AuditEntry.detail).like(like), func.lower(AuditEntry.entity_id).like(like))
        )
    return found
