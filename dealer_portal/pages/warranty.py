"""Warranty claims (索赔管理): the claims of the dealer by state, orders with warranty lines to claim, one
page per claim offering the steps its state allows, and the JSON export for the manufacturer."""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Annotated

from fastapi import Depends, Form, Query
from fastapi.responses import HTMLResponse, Response

from dealer_portal.forms import about, cents, optional_int
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import Order, PageNumber, listed, paginate_rows
from dealer_portal.records import warranty
from dealer_portal.records.tables import ServiceOrder
from dealer_portal.web import Ctx, page
from dms.errors import UserError
from gateway.api.context import RowId  # ids beyond a database integer: 422, not a 500

router = page_router()
WarrantyPage = Annotated[Ctx, Depends(page("warranty"))]
TextField = Annotated[str, Form()]


# Work orders with warranty lines not yet claimed: newest first, or the oldest (claims have deadlines).
CLAIMABLE_ORDERS = {
    "newest": Order(N_("newest"), lambda o: o.id, descending=True),
    "oldest": Order(N_("oldest"), lambda o: o.id),
    "vehicle": Order(N_("vehicle"), lambda o: (o.vehicle_id, o.id)),
}


@router.get("/warranty", response_class=HTMLResponse)
def claims_page(
    ctx: WarrantyPage,
    state: str = "",
    page_no: PageNumber = "1",
    todo_page: Annotated[str, Query(max_length=12)] = "1",
    todo_sort: Annotated[str, Query(max_length=12)] = "",
):
    listing = paginate_rows(
        warranty.claims(ctx.db, ctx.actor, state),
        page_no,
        "/warranty",
        {"state": state, "todo_page": todo_page, "todo_sort": todo_sort},
    )
    claimable = listed(
        warranty.claimable(ctx.db, ctx.actor),
        todo_page,
        "/warranty",
        {"state": state, "page": "" if listing.number == 1 else str(listing.number)},
        orders=CLAIMABLE_ORDERS,
        sort=todo_sort,
        prefix="todo_",
        anchor="#claimable",
    )
    return ctx.render(
        "warranty.html",
        listing=listing,
        claims=listing.rows,
        claimable=claimable,
        labels=warranty.LABELS,
        state=state,
    )


@router.post("/warranty")
def create_claim(ctx: WarrantyPage, order_id: TextField = ""):
    oid = optional_int(order_id, N_("Work order"), field="order_id")
    if oid is None:
        raise UserError(N_("Work order: choose the work order to claim"))
    claim = warranty.create(ctx.db, ctx.actor, oid, ctx.now)
    return ctx.done(f"/warranty/{claim.id}", Text(N_("claim {number} drafted"), number=claim.number))


@router.get("/warranty/{claim_id}", response_class=HTMLResponse)
def claim_page(ctx: WarrantyPage, claim_id: RowId):
    claim = warranty.get(ctx.db, ctx.actor, claim_id)
    return ctx.render(
        "claim.html",
        claim=claim,
        order=ctx.db.get(ServiceOrder, claim.order_id),
        labels=warranty.LABELS,
        next_states=warranty.TRANSITIONS[claim.state],
        has_parts=warranty.has_parts(claim),
    )


@router.get("/warranty/{claim_id}/export.json")
def export(ctx: WarrantyPage, claim_id: RowId):
    data = warranty.export(ctx.db, ctx.actor, claim_id)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{data["claim_number"]}.json"'},
    )


@router.post("/warranty/{claim_id}/{step}")
def claim_step(
    ctx: WarrantyPage,
    claim_id: RowId,
    step: str,
    note: TextField = "",
    reference: TextField = "",
    credited: TextField = "",
):
    db, actor, now = ctx.db, ctx.actor, ctx.now
    claim = warranty.get(db, actor, claim_id)  # another dealer's claim: not found, before any field check

    def about_field(field: str, states: tuple[str, ...]):
        """A problem is about the form's field only when the claim is in a state the step applies to."""
        return about(field) if claim.state in states else nullcontext()

    if step == "submit":
        warranty.submit(db, actor, claim_id, now)
        message = N_("claim submitted")
    elif step in ("accept", "reject"):
        with about_field("note", ("submitted",)):
            warranty.decide(db, actor, claim_id, accepted=step == "accept", note=note, now=now)
        message = N_("claim accepted") if step == "accept" else N_("claim rejected")
    elif step == "reopen":
        warranty.reopen(db, actor, claim_id, now)
        message = N_("claim reopened as a draft")
    elif step == "returned":
        with about_field("reference", ("submitted", "accepted")):
            warranty.parts_returned(db, actor, claim_id, reference, now)
        message = N_("parts return recorded")
    elif step == "credit":
        amount = cents(credited, N_("Credited"), field="credited")
        with about_field("credited", ("accepted",)):
            warranty.credit(db, actor, claim_id, amount, now)
        message = N_("credit booked")
    else:
        raise UserError(Text(N_("unknown step {step!r}"), step=step))
    return ctx.done(f"/warranty/{claim_id}", message)
