"""The live fleet board: table, offline map and alert feed, refreshed over SSE from the change log."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sse_starlette.sse import EventSourceResponse

from dealer_portal.charts import MapPoint, fleet_map
from dealer_portal.messages import N_
from dealer_portal.pages import page_router
from dealer_portal.paging import Order, PageNumber, listed
from dealer_portal.records import fleet
from dealer_portal.web import Ctx, page, state
from gateway.changes import ChangeFeed, latest_change_id
from gateway.observability import sse_client

router = page_router()
FleetPage = Annotated[Ctx, Depends(page("fleet"))]
LIVE_KINDS = {"status", "presence", "driver_state", "event", "alert", "vehicle", "service_order", "booking"}
# The vehicle table's orders; the map and the counts always show every vehicle the filters leave.
TABLE_ORDERS = {
    "vehicle": Order(N_("vehicle"), lambda r: r.vehicle.vehicle_id),
    "alerts": Order(N_("most alerts"), lambda r: (-r.open_alerts, r.vehicle.vehicle_id)),
    "seen": Order(N_("last seen"), lambda r: (r.live is None or r.live.last_seen is None, _seen_key(r))),
}
TABLE_SIZE = 25


def _seen_key(row: fleet.BoardRow) -> float:
    """Most recently heard from first (a vehicle never seen sorts last, by the tuple's first item)."""
    return -row.live.last_seen.timestamp() if row.live and row.live.last_seen else 0.0


def _board_data(ctx: Ctx, q: str, online: str, alerts: str, sort: str = "", page_no: str = "1") -> dict:
    settings = state(ctx.request).settings
    rows = fleet.board(
        ctx.db,
        ctx.actor,
        ctx.now,
        offline_after_s=settings.gateway.offline_after_s,
        stale_after_s=settings.stale_after_s,
        text=q,
        online=online,
        alerts_only=alerts == "1",
    )
    points = [
        MapPoint(
            r.vehicle.vehicle_id,
            *r.position,
            "alert" if r.open_alerts else ("online" if r.online else "offline"),
            f"/vehicles/{r.vehicle.vehicle_id}",
        )
        for r in rows
        if r.position
    ]
    filters = {"q": q, "online": online, "alerts": alerts}
    return {
        "rows": rows,
        "listing": listed(rows, page_no, "/fleet", filters, orders=TABLE_ORDERS, sort=sort, size=TABLE_SIZE),
        "map": fleet_map(points),
        "map_points": [
            {"id": p.label, "lat": p.lat, "lon": p.lon, "state": p.state, "href": p.href} for p in points
        ],
        "tiles": settings.map,
        "alerts": fleet.open_alerts(ctx.db, ctx.actor),
        "ended_alerts": fleet.ended_alerts(ctx.db, ctx.actor),
        "acknowledged": fleet.acknowledged_alerts(ctx.db, ctx.actor),
        "filters": filters,
        "online_count": sum(r.online for r in rows),
        "alert_count": sum(r.open_alerts for r in rows),
    }


@router.get("/fleet", response_class=HTMLResponse)
def board(
    ctx: FleetPage, q: str = "", online: str = "", alerts: str = "", sort: str = "", page_no: PageNumber = "1"
):
    return ctx.render("fleet.html", **_board_data(ctx, q, online, alerts, sort, page_no))


@router.get("/fleet/live", response_class=HTMLResponse)
def live_fragment(
    ctx: FleetPage, q: str = "", online: str = "", alerts: str = "", sort: str = "", page_no: PageNumber = "1"
):
    """The part of the board that changes: swapped in by htmx on every change event and filter edit.
    A filter edit also puts the filters in the address bar, so the view can be reloaded and shared."""
    data = _board_data(ctx, q, online, alerts, sort, page_no)
    response = ctx.render("_fleet_live.html", **data)
    if ctx.request.headers.get("hx-trigger") == "filters":
        response.headers["HX-Push-Url"] = data["listing"].url(page=1)
    return response


@router.post("/fleet/alerts/{alert_id}/ack", response_class=HTMLResponse)
def acknowledge(ctx: FleetPage, alert_id: int):
    alert = fleet.acknowledge(ctx.db, ctx.actor, alert_id, ctx.now)
    ctx.db.commit()
    if ctx.request.headers.get("hx-request"):  # htmx swaps the item for its acknowledged form
        return ctx.render("_alert_item.html", a=alert)
    return ctx.done("/fleet", N_("alert acknowledged"))


@router.get("/fleet/stream")
async def stream(request: Request, ctx: FleetPage):
    """Server-sent events: one `change` event per batch of relevant change-log rows."""
    st = state(request)
    ctx.db.close()  # the stream holds no session: each poll opens its own

    def _latest() -> int:
        with st.sessions() as db:
            return latest_change_id(db)

    def _poll(feed: ChangeFeed):
        with st.sessions() as db:
            return feed.poll(db, now=st.clock())

    async def events():
        with sse_client(request.app.state.gateway.metrics, "fleet"):
            feed = ChangeFeed(last_id=await run_in_threadpool(_latest))
            yield {"event": "ready", "data": "{}"}
            while not await request.is_disconnected():
                changes = [c for c in await run_in_threadpool(_poll, feed) if c.kind in LIVE_KINDS]
                if changes:
                    yield {
                        "event": "change",
                        "data": json.dumps(
                            {
                                "kinds": sorted({c.kind for c in changes}),
                                "vehicles": sorted({c.vehicle_id or "" for c in changes}),
                            }
                        ),
                    }
                await asyncio.sleep(st.settings.live_poll_s)

    return EventSourceResponse(events(), ping=15)
