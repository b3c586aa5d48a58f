"""Admin-only views: the dead letters."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.api.context import get_db, require_roles
from gateway.api.schemas import DeadLetterOut, Items
from gateway.api.views import dead_letter_view
from gateway.db.models import DeadLetter, User

router = APIRouter(prefix="/api", tags=["admin"])


@router.get("/dead-letters", response_model=Items[DeadLetterOut])
def dead_letters(
    reason: str | None = None,
    limit: int = Query(500, ge=1, le=10_000),
    user: User = Depends(require_roles("admin")),
    db: Session = Depends(get_db),
) -> dict:
    query = select(DeadLetter)
    if reason is not None:
        query = query.where(DeadLetter.reason == reason)
    rows = db.scalars(query.order_by(DeadLetter.id.desc()).limit(limit))
    return {"items": [dead_letter_view(d) for d in rows]}
