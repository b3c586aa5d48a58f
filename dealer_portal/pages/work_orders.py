"""A work order after it opened: amendments with the customer's approval, the promised completion time
and the labour clock (records.work_orders). The order page itself is pages.service.order_page; what it
shows of these comes from `order_extras`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from dealer_portal.forms import cents, number, optional_int, utc_datetime
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.records import customers as crm
from dealer_portal.records import invoices, warranty
from dealer_portal.records import work_orders as wo
from dealer_portal.records.aftersales_tables import WarrantyClaim
from dealer_portal.records.tables import ServiceOrder
from dealer_portal.web import Ctx, page
from gateway.api.context import RowId  # ids beyond a database integer: 422, not a 500

router = page_router()
DeskPage = Annotated[Ctx, Depends(page("service_desk"))]
ServicePage = Annotated[Ctx, Depends(page("service"))]


def order_extras(ctx: Ctx, order: ServiceOrder) -> dict:
    """What the order page shows of amendments, promised time, clocked labour and warranty claims."""
    entries = wo.clock_entries(ctx.db, ctx.actor, order.id)
    claims = (
        list(ctx.db.scalars(select(WarrantyClaim).where(WarrantyClaim.order_id == order.id)))
        if ctx.actor.may("warranty")
        else []
    )
    return {
        "amendments": wo.amendments(ctx.db, ctx.actor, order.id),
        "amendable": order.state in wo.flow.AMENDABLE and ctx.actor.may("service_desk"),
        "approval_methods": wo.APPROVAL_LABELS,
        "clock_entries": entries,
        "clocked": wo.minutes_by_technician(entries, ctx.now),
        "running": wo.running_clock(ctx.db, ctx.actor),
        "may_clock": ctx.actor.may("labour_clock") and order.state in wo.CLOCK_STATES,
        "claims": claims,
        "invoice": invoices.for_order(ctx.db, ctx.actor, order.id),
        "survey": crm.survey_for(ctx.db, order.id) if ctx.actor.may("customers") else None,
        "may_survey": ctx.actor.may("customers") and order.state == "settled",
        "channels": crm.CHANNEL_LABELS,
        "claim_labels": warranty.LABELS,
        "may_claim": ctx.actor.may("warranty")
        and order.state in warranty.CLAIMABLE_ORDER_STATES
        and any(o.id == order.id for o in warranty.claimable(ctx.db, ctx.actor)),
    }


def _approval(ctx: Ctx, form: dict[str, str]) -> dict:
    text = form.get("approved_at", "").strip()
    return {
        "approved_by": form.get("approved_by", ""),
        "approval_method": form.get("approval_method", ""),
        "approved_at": utc_datetime(text, N_("Approved at"), field="approved_at") if text else ctx.now,
        "note": form.get("note", ""),
    }


async def _form(ctx: Ctx) -> dict[str, str]:
    return {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}


@router.post("/service/{order_id}/amend/add")
async def amend_add(ctx: DeskPage, order_id: RowId):
    form = await _form(ctx)
    kind = form.get("kind", "")
    wo.add_line(
        ctx.db,
        ctx.actor,
        order_id,
        kind=kind,
        quantity=number(form.get("quantity", ""), N_("Quantity"), field="quantity"),
        description=form.get("description", ""),
        pay_type=form.get("pay_type", "customer"),
        part_id=optional_int(form.get("part_id", ""), N_("Part"), field="part_id")
        if kind == "part"
        else None,
        unit_cents=cents(form["rate"], N_("Rate"), field="rate")
        if kind == "labour" and form.get("rate")
        else None,
        now=ctx.now,
        **_approval(ctx, form),
    )
    return ctx.done(f"/service/{order_id}", N_("line added with the customer's approval"))


@router.post("/service/{order_id}/amend/cancel")
async def amend_cancel(ctx: DeskPage, order_id: RowId):
    form = await _form(ctx)
    item_id = optional_int(form.get("item_id", ""), N_("Line"), field="item_id")
    if item_id is None:
        raise wo.UserError(N_("Line: choose the line to cancel"))
    wo.cancel_line(ctx.db, ctx.actor, order_id, item_id, now=ctx.now, **_approval(ctx, form))
    return ctx.done(f"/service/{order_id}", N_("line cancelled with the customer's approval"))


@router.post("/service/{order_id}/amend/promise")
async def promise(ctx: DeskPage, order_id: RowId):
    form = await _form(ctx)
    promised = utc_datetime(form.get("promised_at", ""), N_("Promised completion"), field="promised_at")
    wo.promise(ctx.db, ctx.actor, order_id, promised, ctx.now)
    return ctx.done(f"/service/{order_id}", N_("promised completion saved"))


@router.post("/service/{order_id}/clock/{direction}", response_class=HTMLResponse)
def clock(ctx: ServicePage, order_id: RowId, direction: str):
    if direction == "on":
        wo.clock_on(ctx.db, ctx.actor, order_id, ctx.now)
        return ctx.done(f"/service/{order_id}", N_("clocked on"))
    if direction == "off":
        entry = wo.clock_off(ctx.db, ctx.actor, order_id, ctx.now)
        return ctx.done(f"/service/{order_id}", Text(N_("clocked off after {m:.0f} min"), m=entry.minutes))
    raise wo.UserError(Text(N_("unknown step {step!r}"), step=direction))
