"""Live updates: GET /api/stream (server-sent events) and GET /api/changes (the same, polled).

Both read the change log that ingest and the API write in the same transaction as their changes, so
they work across processes. A dealer's staff receive only changes of their dealer's vehicles; changes
not about one vehicle (dead letters, ...) go to fleet-wide staff only.
"""

from __future__ import annotations

import asyncio
import json

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from gateway.api.context import MAX_ROW_ID, ApiContext, api_context, current_user, get_db, visible_vehicles
from gateway.api.schemas import Changes
from gateway.changes import ChangeFeed, ChangeRow, latest_change_id
from gateway.db.models import User, Vehicle
from gateway.observability import sse_client

router = APIRouter(prefix="/api", tags=["live"])


def _filter(db: Session, user: User, rows: list[ChangeRow]) -> list[ChangeRow]:
    if user.dealer_code is None or not rows:
        return rows
    ids = {r.vehicle_id for r in rows if r.vehicle_id}
    mine = (
        set(
            db.scalars(
                visible_vehicles(user)
                .with_only_columns(Vehicle.vehicle_id)
                .where(Vehicle.vehicle_id.in_(ids))
            )
        )
        if ids
        else set()
    )
    return [r for r in rows if r.vehicle_id in mine]


@router.get("/changes", response_model=Changes)
def changes(
    after: int | None = Query(
        None, ge=-MAX_ROW_ID, le=MAX_ROW_ID, description="last change id seen; omitted: only the latest id"
    ),
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    if after is None:
        return {"items": [], "last_id": latest_change_id(db)}
    feed = ChangeFeed(last_id=after)
    rows = feed.poll(db, now=ctx.clock())
    return {"items": [r.as_json() for r in _filter(db, user, rows)], "last_id": feed.last_id}


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."}},
)
async def stream(
    request: Request,
    limit: int | None = Query(None, ge=1, description="end after this many events"),
    last_event_id: int | None = Header(None, alias="Last-Event-ID", ge=-MAX_ROW_ID, le=MAX_ROW_ID),
    user: User = Depends(current_user),
    ctx: ApiContext = Depends(api_context),
):
    """Server-sent events, one per change: `event` is the kind, `data` the change as JSON, `id` its id
    (a reconnecting EventSource sends Last-Event-ID and resumes after it)."""
    username = user.username

    def start() -> ChangeFeed:
        with ctx.sessions() as db:
            return ChangeFeed(last_id=last_event_id if last_event_id is not None else latest_change_id(db))

    feed = await anyio.to_thread.run_sync(start)

    def poll() -> list[ChangeRow]:
        with ctx.sessions() as db:
            viewer = db.scalar(select(User).where(User.username == username))
            if viewer is None or not viewer.active:
                return []
            return _filter(db, viewer, feed.poll(db, now=ctx.clock()))

    async def events():
        sent = 0
        with sse_client(ctx.metrics, "api"):
            yield ServerSentEvent(event="ready", data=json.dumps({"last_id": feed.last_id}))
            while limit is None or sent < limit:
                if await request.is_disconnected():
                    return
                for row in await anyio.to_thread.run_sync(poll):
                    yield ServerSentEvent(id=str(row.id), event=row.kind, data=json.dumps(row.as_json()))
                    sent += 1
                    if limit is not None and sent >= limit:
                        return
                await asyncio.sleep(ctx.settings.sse_poll_s)

    return EventSourceResponse(events(), ping=15)
