"""Purchasing (配件订货): purchase orders from the reorder list, receiving against them; and editing the
part master (the edit form sits on /parts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Query
from fastapi.responses import HTMLResponse

from dealer_portal.forms import cents, number, whole_number
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import PageNumber, listed, paginate_rows
from dealer_portal.records import parts, payables, purchasing
from dealer_portal.web import Ctx, page
from dms.errors import UserError
from gateway.api.context import RowId  # ids beyond a database integer: 422, not a 500

router = page_router()
PartsPage = Annotated[Ctx, Depends(page("parts"))]
TextField = Annotated[str, Form()]


@router.post("/parts/{part_id}/edit")
def edit_part(
    ctx: PartsPage,
    part_id: RowId,
    name: TextField = "",
    unit_cost: TextField = "",
    unit_price: TextField = "",
    reorder_point: TextField = "0",
    reorder_qty: TextField = "0",
    supplier: TextField = "",
):
    part = purchasing.update_part(
        ctx.db,
        ctx.actor,
        part_id,
        name=name,
        unit_cost_cents=cents(unit_cost, N_("Unit cost"), field="unit_cost"),
        unit_price_cents=cents(unit_price, N_("Unit price"), field="unit_price"),
        reorder_point=whole_number(reorder_point, N_("Reorder point"), field="reorder_point"),
        reorder_qty=whole_number(reorder_qty, N_("Reorder quantity"), field="reorder_qty"),
        supplier=supplier,
        now=ctx.now,
    )
    return ctx.done("/parts", Text(N_("part {number} saved"), number=part.number))


@router.get("/purchasing", response_class=HTMLResponse)
def purchasing_page(
    ctx: PartsPage,
    show: str = "open",
    page_no: PageNumber = "1",
    need_page: Annotated[str, Query(max_length=12)] = "1",
    need_sort: Annotated[str, Query(max_length=12)] = "",
):
    found = purchasing.orders(ctx.db, ctx.actor, only_open=show != "all")
    shown = {"show": "" if show == "open" else show}
    listing = paginate_rows(
        found, page_no, "/purchasing", {**shown, "need_page": need_page, "need_sort": need_sort}
    )
    needs = listed(
        purchasing.needs(ctx.db, ctx.actor),
        need_page,
        "/purchasing",
        {**shown, "page": "" if listing.number == 1 else str(listing.number)},
        orders=parts.TO_BUY_ORDERS,
        sort=need_sort,
        prefix="need_",
        anchor="#needs",
    )
    return ctx.render(
        "purchasing.html",
        needs=needs,
        listing=listing,
        orders=listing.rows,
        labels=purchasing.LABELS,
        show=show,
    )


@router.post("/purchasing")
async def order(ctx: PartsPage):
    form = await ctx.request.form()
    chosen = {int(v) for v in form.getlist("part_id") if isinstance(v, str) and v.isdigit()}
    if not chosen:
        raise UserError(N_("choose the parts to order"))
    made = purchasing.order_from_reorder_list(ctx.db, ctx.actor, ctx.now, chosen)
    target = f"/purchasing/{made[0].id}" if len(made) == 1 else "/purchasing"
    return ctx.done(target, Text(N_("ordered: {numbers}"), numbers=", ".join(o.number for o in made)))


@router.get("/purchasing/{order_id}", response_class=HTMLResponse)
def order_page(ctx: PartsPage, order_id: RowId):
    order = purchasing.get(ctx.db, ctx.actor, order_id)
    return ctx.render(
        "purchase_order.html",
        order=order,
        parts=purchasing.parts_by_id(ctx.db, order),
        labels=purchasing.LABELS,
        open=order.state in purchasing.OPEN,
        supplier_invoices=payables.of_order(ctx.db, ctx.actor, order.id),
        invoiced=payables.invoiced_qty(ctx.db, order),
        status=payables.status,
        status_labels=payables.STATUS_LABELS,
        today=ctx.now.date(),
    )


@router.post("/purchasing/{order_id}/receive/{line_id}")
def receive(
    ctx: PartsPage,
    order_id: RowId,
    line_id: RowId,
    qty: TextField = "",
    bin: TextField = "",
    unit_cost: TextField = "",
):
    quantity = number(qty, N_("Quantity"), field="qty")
    cost = cents(unit_cost, N_("Cost"), field="unit_cost") if unit_cost.strip() else None
    purchasing.receive(
        ctx.db, ctx.actor, order_id, line_id, qty=quantity, bin_code=bin, now=ctx.now, unit_cost_cents=cost
    )
    return ctx.done(f"/purchasing/{order_id}", N_("goods received"))


@router.post("/purchasing/{order_id}/cancel")
def cancel(ctx: PartsPage, order_id: RowId, note: TextField = ""):
    purchasing.cancel(ctx.db, ctx.actor, order_id, note, ctx.now)
    return ctx.done(f"/purchasing/{order_id}", N_("purchase order cancelled"))
