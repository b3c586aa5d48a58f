"""Scrapping: vehicles past their limits, scrap requests, approval."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.messages import LABELS, N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import PageNumber, paginate_rows
from dealer_portal.records import scrapping, vehicle_records
from dealer_portal.web import Ctx, page

router = page_router()
ScrapPage = Annotated[Ctx, Depends(page("scrapping"))]
ApprovalPage = Annotated[Ctx, Depends(page("scrap_approval"))]
TextField = Annotated[str, Form()]


@router.get("/scrapping", response_class=HTMLResponse)
def scrapping_page(ctx: ScrapPage, vehicle: str = "", page_no: PageNumber = "1"):
    vehicles = [
        v for v in vehicle_records.search(ctx.db, ctx.actor, include_archived=True) if v.status != "retired"
    ]
    listing = paginate_rows(
        scrapping.requests(ctx.db, ctx.actor), page_no, "/scrapping", {"vehicle": vehicle}
    )
    return ctx.render(
        "scrapping.html",
        flags=scrapping.flagged(ctx.db, ctx.actor, ctx.now.date()),
        listing=listing,
        requests=listing.rows,
        vehicles=vehicles,
        methods=scrapping.METHODS,
        selected=vehicle,
    )


@router.post("/scrapping")
def request_scrap(
    ctx: ScrapPage,
    vehicle_id: TextField = "",
    reason: TextField = "",
    method: TextField = "",
    paperwork: TextField = "",
):
    item = scrapping.request(
        ctx.db,
        ctx.actor,
        vehicle_id=vehicle_id,
        reason=reason,
        method=method,
        paperwork=paperwork,
        now=ctx.now,
    )
    return ctx.done("/scrapping", N_("scrap request #{id} sent for approval"), id=item.id)


@router.post("/scrapping/{request_id}/decide")
def decide(ctx: ApprovalPage, request_id: int, decision: TextField = "", note: TextField = ""):
    item = scrapping.decide(
        ctx.db, ctx.actor, request_id, approve=decision == "approve", note=note, now=ctx.now
    )
    if item.status == "approved":
        return ctx.done(
            "/scrapping", N_("request #{id} approved: {vehicle} retired"), id=item.id, vehicle=item.vehicle_id
        )
    return ctx.done(
        "/scrapping",
        N_("request #{id} {status}"),
        id=item.id,
        status=Text(LABELS.get(item.status, item.status)),
    )
