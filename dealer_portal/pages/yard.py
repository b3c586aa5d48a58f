"""The yard map (zones as grids of slots, moving a vehicle) and the dealer's floor plan (stock vehicles
financed by the inventory lender, with the interest accrued per day in stock). Registered before the
stock pages: `/stock/yard` and `/stock/floor-plan` are not stock record ids."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import FieldError, cents, decimal, optional_whole_number
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.records import sales_finance, yard
from dealer_portal.records.money import format_cents
from dealer_portal.web import Ctx, local_day, page

router = page_router()
StockPage = Annotated[Ctx, Depends(page("stock"))]
FloorPlanPage = Annotated[Ctx, Depends(page("floor_plan"))]
TextField = Annotated[str, Form()]


@router.get("/stock/yard", response_class=HTMLResponse)
def yard_page(ctx: StockPage, dealer: str = ""):
    return ctx.render("yard.html", m=yard.yard_map(ctx.db, ctx.actor, dealer or None), dealer=dealer)


@router.post("/stock/yard/zones")
def zone_create(
    ctx: StockPage,
    zone: TextField = "",
    name: TextField = "",
    rows: TextField = "",
    slots: TextField = "",
    dealer_code: TextField = "",
):
    found = yard.add_zone(
        ctx.db,
        ctx.actor,
        zone=zone,
        name=name,
        rows=optional_whole_number(rows, N_("Rows"), field="rows"),
        slots=optional_whole_number(slots, N_("Slots per row"), field="slots"),
        now=ctx.now,
        dealer_code=dealer_code or None,
    )
    return ctx.done("/stock/yard", Text(N_("zone {zone} added"), zone=found.code))


@router.post("/stock/{stock_id}/move")
def vehicle_move(
    ctx: StockPage,
    stock_id: int,
    zone: TextField = "",
    row: TextField = "",
    slot: TextField = "",
    back: TextField = "",
):
    vehicle = yard.move(
        ctx.db,
        ctx.actor,
        stock_id,
        zone=zone,
        row=optional_whole_number(row, N_("Row"), field="row"),
        slot=optional_whole_number(slot, N_("Slot"), field="slot"),
        now=ctx.now,
    )
    target = "/stock/yard" if back == "yard" else f"/stock/{stock_id}"
    return ctx.done(target, Text(N_("{vin} moved to {place}"), vin=vehicle.vin, place=vehicle.location))


@router.get("/stock/floor-plan", response_class=HTMLResponse)
def floor_plan_page(ctx: FloorPlanPage, show: str = "open"):
    plans = list(ctx.db.scalars(sales_finance.floor_plans(ctx.actor, open_only=show != "all")))
    today = local_day(ctx)
    return ctx.render(
        "floor_plan.html",
        plans=plans,
        show=show,
        accrued=lambda p: sales_finance.accrued_cents(p, today),
        days=lambda p: sales_finance.days(p, today),
        totals=sales_finance.totals([p for p in plans if p.repaid_on is None], today),
        paid_off=list(ctx.db.scalars(sales_finance.paid_off(ctx.actor))),
    )


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FieldError({"started_on": N_("From: enter a date like 2026-03-02")}) from None


@router.post("/stock/{stock_id}/floor-plan")
def floor_plan_add(
    ctx: FloorPlanPage,
    stock_id: int,
    lender: TextField = "",
    principal: TextField = "",
    rate: TextField = "",
    started_on: TextField = "",
):
    plan = sales_finance.finance_vehicle(
        ctx.db,
        ctx.actor,
        stock_id,
        lender=lender,
        principal_cents=cents(principal, N_("Amount financed"), field="principal")
        if principal.strip()
        else 0,
        rate=decimal(rate, N_("Rate"), field="rate"),
        started_on=_day(started_on),
        now=ctx.now,
    )
    return ctx.done(f"/stock/{stock_id}", Text(N_("on the floor plan of {lender}"), lender=plan.lender))


@router.post("/stock/{stock_id}/floor-plan/repay")
def floor_plan_repay(ctx: FloorPlanPage, stock_id: int):
    plan = sales_finance.repay(ctx.db, ctx.actor, stock_id, ctx.now)
    return ctx.done(
        f"/stock/{stock_id}",
        Text(N_("floor plan repaid, interest {amount}"), amount=format_cents(plan.interest_paid_cents)),
    )
