"""Vehicle records: list with search, create, edit, archive, odometer log, documents, CSV export."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import Depends, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from dealer_portal import i18n, messages
from dealer_portal.charts import route_map
from dealer_portal.forms import about, number
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import Order, PageNumber, listed, page_number, paginate_rows
from dealer_portal.records import dispatch, scrapping, service_flow, vehicle_history, vehicle_records
from dealer_portal.records.actor import Forbidden
from dealer_portal.records.tables import Booking, ServiceOrder, VehicleDocument
from dealer_portal.records.vehicle_records import EDITABLE_FIELDS, VehicleInput
from dealer_portal.web import Ctx, page, state
from dms.errors import UserError
from gateway.api.routes_fleet import LIVE_VIEWERS
from gateway.commands import request_live
from gateway.db.models import RULE_TYPES, Dealer, StatusMinute
from gateway.maintenance import rules_for

router = page_router()
VehiclesPage = Annotated[Ctx, Depends(page("vehicles"))]
# The vehicle page's odometer runs and documents: each list paged and sorted on its own (prefixed
# URL parameters), next to the timeline's `page`.
ODOMETER_ORDERS = {
    "newest": Order(N_("newest"), lambda r: r.first, descending=True),
    "oldest": Order(N_("oldest"), lambda r: r.first),
    "km": Order(N_("highest km"), lambda r: (r.km, r.first), descending=True),
}
DOCUMENT_ORDERS = {
    "newest": Order(N_("newest"), lambda d: (d.uploaded_at, d.id), descending=True),
    "title": Order(N_("title"), lambda d: (d.title.casefold(), d.id)),
    "size": Order(N_("largest"), lambda d: (d.size, d.id), descending=True),
}
SIDE_LIST_SIZE = 20


async def _vehicle_form(ctx: Ctx) -> VehicleInput:
    form = await ctx.request.form()
    return VehicleInput.parse({k: str(form.get(k, "")) for k in EDITABLE_FIELDS})


def _dealers(ctx: Ctx) -> list[Dealer]:
    return list(ctx.db.query(Dealer).order_by(Dealer.code)) if ctx.actor.sees_all_dealers else []


@router.get("/vehicles", response_class=HTMLResponse)
def vehicle_list(ctx: VehiclesPage, q: str = "", archived: str = "", page_no: PageNumber = "1"):
    found = vehicle_records.search(ctx.db, ctx.actor, q, include_archived=archived == "1")
    listing = paginate_rows(found, page_no, "/vehicles", {"q": q, "archived": archived})
    vehicles = listing.rows
    odometers = {v.vehicle_id: vehicle_records.latest_odometer(ctx.db, v.vehicle_id) for v in vehicles}
    flagged = {f.vehicle.vehicle_id for f in scrapping.flagged(ctx.db, ctx.actor, ctx.now.date())}
    template = "_vehicle_list.html" if ctx.request.headers.get("hx-request") else "vehicles.html"
    return ctx.render(
        template,
        listing=listing,
        vehicles=vehicles,
        odometers=odometers,
        flagged=flagged,
        q=q,
        archived=archived,
        dealers=_dealers(ctx),
        csv_note=vehicle_records.CSV_NUMBERS_NOTE,
    )


@router.get("/vehicles.csv")
def vehicle_csv(ctx: VehiclesPage, q: str = "", archived: str = ""):
    vehicles = vehicle_records.search(ctx.db, ctx.actor, q, include_archived=archived == "1")
    return Response(
        vehicle_records.export_csv(ctx.db, ctx.actor, vehicles),
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="vehicles-{ctx.now:%Y%m%d}.csv"',
            "Content-Language": i18n.current().html_lang,
        },
    )


@router.post("/vehicles")
async def vehicle_create(ctx: VehiclesPage):
    data = await _vehicle_form(ctx)
    vehicle_records.create(ctx.db, ctx.actor, data, ctx.now)
    return ctx.done(f"/vehicles/{data.vehicle_id}", N_("vehicle registered"))


def _route(ctx: Ctx, vehicle_id: str, day: str, trip: str) -> dict:
    """The route of a day (all its trips, or the one starting at `trip` HHMM) and its replay data."""
    if day:
        try:
            chosen = datetime.fromisoformat(day).date()
        except ValueError:
            raise UserError(messages.DAY_REFUSED) from None
        if not date(2000, 1, 1) <= chosen <= date(2999, 12, 30):
            raise UserError(messages.DAY_OUT_OF_RANGE)
    else:  # the last day the vehicle reported a position, else today
        latest = ctx.db.scalar(
            select(func.max(StatusMinute.minute)).where(
                StatusMinute.vehicle_id == vehicle_id, StatusMinute.latitude.is_not(None)
            )
        )
        chosen = i18n.current().local(latest or ctx.now).date()
    start = i18n.current().parse_local(datetime.combine(chosen, time()))  # the day in the user's zone
    trips = vehicle_history.trips_between(ctx.db, vehicle_id, start, start + timedelta(days=1))
    shown = [t for t in trips if t.start.strftime("%H%M") == trip] if trip else trips
    points, spans = [], []
    per_trip = max(2, vehicle_history.MAX_ROUTE_POINTS // max(1, len(shown)))
    for t in shown:
        detail = vehicle_history.trip_detail(ctx.db, vehicle_id, t) if trip else t.points
        thinned = vehicle_history.thin(detail, per_trip)
        spans.append([len(points), len(points) + len(thinned) - 1])
        points.extend(thinned)
    svg, projected = route_map(
        [[(p.lat, p.lon) for p in t_points] for t_points in (points[a : b + 1] for a, b in spans)],
        empty=messages.NO_POSITIONS_ON_DAY,
    )
    flat = [xy for line in projected for xy in line]
    data = {
        "trips": spans,
        "points": [
            {
                "lat": round(p.lat, 6),
                "lon": round(p.lon, 6),
                "t": i18n.current().local(p.ts).strftime("%H:%M:%S"),
                "v": None if p.speed_kmh is None else round(p.speed_kmh, 1),
                "x": round(flat[i][0], 1),
                "y": round(flat[i][1], 1),
            }
            for i, p in enumerate(points)
        ],
    }
    return {
        "route_day": chosen,
        "route_trips": trips,
        "route_trip": trip,
        "route_svg": svg,
        "route_data": data,
        "prev_day": chosen - timedelta(days=1),
        "next_day": chosen + timedelta(days=1),
    }


@router.get("/vehicles/{vehicle_id}", response_class=HTMLResponse)
def vehicle_detail(
    ctx: VehiclesPage,
    vehicle_id: str,
    day: str = "",
    trip: str = "",
    page_no: Annotated[str, Query(alias="page")] = "1",
    odo_page: Annotated[str, Query(max_length=12)] = "1",
    odo_sort: Annotated[str, Query(max_length=12)] = "",
    doc_page: Annotated[str, Query(max_length=12)] = "1",
    doc_sort: Annotated[str, Query(max_length=12)] = "",
):
    vehicle = vehicle_records.get(ctx.db, ctx.actor, vehicle_id)
    documents = list(ctx.db.scalars(select(VehicleDocument).where(VehicleDocument.vehicle_id == vehicle_id)))
    path = f"/vehicles/{vehicle_id}"
    shown = {"day": day, "trip": trip, "page": page_no, "odo_page": odo_page, "odo_sort": odo_sort}
    shown |= {"doc_page": doc_page, "doc_sort": doc_sort}
    shown = {k: "" if k.endswith("page") and v == "1" else v for k, v in shown.items()}

    def side_list(rows: list, prefix: str, orders: dict, number: str, sort: str, anchor: str):
        return listed(
            rows,
            number,
            path,
            shown,
            orders=orders,
            sort=sort,
            prefix=prefix,
            anchor=anchor,
            size=SIDE_LIST_SIZE,
        )

    bookings = (
        ctx.db.query(Booking)
        .filter_by(vehicle_id=vehicle_id)
        .order_by(Booking.starts_at.desc())
        .limit(10)
        .all()
    )
    orders = []
    if ctx.actor.may("service"):
        orders = [
            o
            for o in ctx.db.query(ServiceOrder)
            .filter_by(vehicle_id=vehicle_id)
            .order_by(ServiceOrder.id.desc())
            if ctx.actor.sees_dealer(o.dealer_code)
        ]
    km = vehicle_records.latest_odometer(ctx.db, vehicle_id)
    return ctx.render(
        "vehicle.html",
        vehicle=vehicle,
        history=side_list(
            vehicle_history.collapse_odometer(vehicle_records.odometer_history(ctx.db, vehicle_id)),
            "odo_",
            ODOMETER_ORDERS,
            odo_page,
            odo_sort,
            "#odometer",
        ),
        timeline=vehicle_history.timeline(
            ctx.db,
            ctx.actor,
            vehicle_id,
            ctx.now,
            page=page_number(page_no),
            params={k: v for k, v in shown.items() if k != "page"},
        ),
        tiles=state(ctx.request).settings.map,
        kind_labels=vehicle_history.KIND_LABELS,
        **_route(ctx, vehicle_id, day, trip),
        driver_sessions=vehicle_records.driver_sessions(ctx.db, vehicle_id),
        documents=side_list(documents, "doc_", DOCUMENT_ORDERS, doc_page, doc_sort, "#documents"),
        bookings=bookings,
        orders=orders,
        odometer=km,
        dealers=_dealers(ctx),
        flags=scrapping.flag_reasons(vehicle, km, ctx.now.date()),
        labels=service_flow.LABELS,
        bookable=vehicle.status == "active" and not vehicle.archived and ctx.actor.may("dispatch"),
        active_states=dispatch.ACTIVE,
        rules=rules_for(ctx.db, [vehicle], RULE_TYPES).get(vehicle.vehicle_id, []),
    )


@router.post("/vehicles/{vehicle_id}")
async def vehicle_update(ctx: VehiclesPage, vehicle_id: str):
    vehicle_records.update(ctx.db, ctx.actor, vehicle_id, await _vehicle_form(ctx), ctx.now)
    return ctx.done(f"/vehicles/{vehicle_id}", N_("changes saved"))


@router.post("/vehicles/{vehicle_id}/archive")
def vehicle_archive(ctx: VehiclesPage, vehicle_id: str, archived: Annotated[str, Form()] = "1"):
    vehicle_records.set_archived(ctx.db, ctx.actor, vehicle_id, archived == "1", ctx.now)
    return ctx.done(f"/vehicles/{vehicle_id}", N_("archived") if archived == "1" else N_("restored"))


@router.post("/vehicles/{vehicle_id}/live")
def vehicle_live(ctx: VehiclesPage, vehicle_id: str):
    """The vehicle's live view: ask it for driver state and status every second for a while (the same
    request as POST /api/vehicles/{id}/live); it falls back by itself."""
    if ctx.actor.role not in LIVE_VIEWERS:
        raise Forbidden(Text(N_("the live view is for dispatchers and administrators")))
    vehicle_records.get(ctx.db, ctx.actor, vehicle_id)
    api = ctx.request.app.state.gateway
    seconds = api.settings.live_view_s
    request_live(api.command_publisher(), vehicle_id, seconds, ctx.now)
    return ctx.done(
        f"/vehicles/{vehicle_id}",
        N_("live view: state and status every second for {seconds} s"),
        seconds=f"{seconds:.0f}",
    )


@router.post("/vehicles/{vehicle_id}/odometer")
def vehicle_odometer(ctx: VehiclesPage, vehicle_id: str, km: Annotated[str, Form()] = ""):
    reading = number(km, N_("Odometer"), field="km")
    with about("km"):
        vehicle_records.record_odometer(ctx.db, ctx.actor, vehicle_id, reading, ctx.now)
    return ctx.done(f"/vehicles/{vehicle_id}", N_("odometer reading added"))


@router.post("/vehicles/{vehicle_id}/documents")
async def vehicle_document_upload(
    ctx: VehiclesPage,
    vehicle_id: str,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form()] = "",
):
    limit = state(ctx.request).settings.max_upload_mb * 1024 * 1024
    vehicle_records.add_document(
        ctx.db,
        ctx.actor,
        vehicle_id,
        title,
        file.filename or "document",
        file.content_type or "",
        await file.read(limit + 1),
        ctx.now,
        max_bytes=limit,
    )
    return ctx.done(f"/vehicles/{vehicle_id}", N_("document stored"))


@router.get("/documents/{document_id}")
def vehicle_document(ctx: VehiclesPage, document_id: int):
    doc = vehicle_records.document(ctx.db, ctx.actor, document_id)
    return Response(
        doc.data,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{doc.filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
