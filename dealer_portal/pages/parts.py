"""Parts store: catalogue with stock per bin, receiving, returns, stock-taking, reorder list."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Query
from fastapi.responses import HTMLResponse

from dealer_portal.forms import cents, number, whole_number
from dealer_portal.messages import N_
from dealer_portal.pages import page_router
from dealer_portal.paging import PageNumber, listed, paginate_rows
from dealer_portal.records import parts
from dealer_portal.web import Ctx, page
from gateway.db.models import Dealer

router = page_router()
PartsPage = Annotated[Ctx, Depends(page("parts"))]
TextField = Annotated[str, Form()]


@router.get("/parts", response_class=HTMLResponse)
def parts_page(
    ctx: PartsPage,
    q: str = "",
    page_no: PageNumber = "1",
    buy_page: Annotated[str, Query(max_length=12)] = "1",
    buy_sort: Annotated[str, Query(max_length=12)] = "",
):
    listing = paginate_rows(
        parts.catalogue(ctx.db, ctx.actor, q),
        page_no,
        "/parts",
        {"q": q, "buy_page": buy_page, "buy_sort": buy_sort},
    )
    catalogue = listing.rows
    suggestions = parts.reorder_suggestions(ctx.db, ctx.actor)
    shown = {"q": q, "page": "" if listing.number == 1 else str(listing.number)}
    to_buy = listed(
        suggestions,
        buy_page,
        "/parts",
        shown,
        orders=parts.TO_BUY_ORDERS,
        sort=buy_sort,
        prefix="buy_",
        anchor="#reorder",
    )
    dealers = list(ctx.db.query(Dealer).order_by(Dealer.code)) if ctx.actor.sees_all_dealers else []
    return ctx.render(
        "parts.html",
        listing=listing,
        catalogue=catalogue,
        suggestions=to_buy,
        q=q,
        dealers=dealers,
        moves=parts.moves(ctx.db, ctx.actor, 15),
        suggested_total=sum(s.cost_cents for s in suggestions),
    )


@router.post("/parts")
def create_part(
    ctx: PartsPage,
    number_: Annotated[str, Form(alias="number")] = "",
    name: TextField = "",
    unit_cost: TextField = "",
    unit_price: TextField = "",
    reorder_point: TextField = "0",
    reorder_qty: TextField = "0",
    supplier: TextField = "",
    dealer_code: TextField = "",
):
    typed = {
        "unit_cost_cents": cents(unit_cost, N_("Unit cost"), field="unit_cost"),
        "unit_price_cents": cents(unit_price, N_("Unit price"), field="unit_price"),
        "reorder_point": whole_number(reorder_point, N_("Reorder point"), field="reorder_point"),
        "reorder_qty": whole_number(reorder_qty, N_("Reorder quantity"), field="reorder_qty"),
    }
    part = parts.create_part(
        ctx.db,
        ctx.actor,
        number=number_,
        name=name,
        supplier=supplier,
        dealer_code=dealer_code or None,
        now=ctx.now,
        **typed,
    )
    return ctx.done("/parts", N_("part {number} added"), number=part.number)


@router.post("/parts/{part_id}/receive")
def receive(
    ctx: PartsPage,
    part_id: int,
    bin: TextField = "",
    qty: TextField = "",
    unit_cost: TextField = "",
    note: TextField = "",
):
    quantity = number(qty, N_("Quantity"), field="qty")
    cost = cents(unit_cost, N_("Cost"), field="unit_cost") if unit_cost.strip() else None
    parts.receive(ctx.db, ctx.actor, part_id, bin, quantity, ctx.now, unit_cost_cents=cost, note=note)
    return ctx.done("/parts", N_("goods received"))


@router.post("/parts/{part_id}/return")
def return_part(ctx: PartsPage, part_id: int, bin: TextField = "", qty: TextField = "", note: TextField = ""):
    quantity = number(qty, N_("Quantity"), field="qty")
    parts.return_to_supplier(ctx.db, ctx.actor, part_id, bin, quantity, ctx.now, note=note)
    return ctx.done("/parts", N_("returned to supplier"))


@router.post("/parts/{part_id}/transfer")
def transfer(ctx: PartsPage, part_id: int, bin: TextField = "", to_bin: TextField = "", qty: TextField = ""):
    quantity = number(qty, N_("Quantity"), field="qty")
    parts.transfer(ctx.db, ctx.actor, part_id, bin, to_bin, quantity, ctx.now)
    return ctx.done("/parts", N_("moved between bins"))


@router.post("/parts/{part_id}/count")
def count(
    ctx: PartsPage, part_id: int, bin: TextField = "", counted: TextField = "", new_bin: TextField = ""
):
    quantity = number(counted, N_("Counted quantity"), field="counted")
    result = parts.count(ctx.db, ctx.actor, part_id, bin, quantity, ctx.now, new_bin=new_bin == "yes")
    if result.difference:
        return ctx.done(
            "/parts",
            N_("{part} bin {bin} counted: difference {difference}"),
            part=result.part.number,
            bin=result.bin,
            difference=f"{result.difference:+g}",
        )
    return ctx.done(
        "/parts", N_("{part} bin {bin} counted: no difference"), part=result.part.number, bin=result.bin
    )
