"""The audit log: one row per change made through the portal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
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


def recent(session: Session, actor: Actor, limit: int = 200, entity: str | None = None) -> list[AuditEntry]:
    actor.require("audit")
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if not actor.sees_all_dealers:
        query = query.where(AuditEntry.dealer_code == actor.dealer_code)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    return list(session.scalars(query))
