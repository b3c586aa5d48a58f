"""Service desk: the workshop's orders by state, a new appointment, and one page per order whose form
offers exactly the steps its state allows (the state machine in records.service_flow enforces them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import cents, number, optional_int, utc_datetime
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router, work_orders
from dealer_portal.paging import PageNumber, paginate_rows
from dealer_portal.records import parts, vehicle_records
from dealer_portal.records import service_flow as flow
from dealer_portal.records import technicians as crew
from dealer_portal.records.tables import Customer
from dealer_portal.web import Ctx, page
from dms.errors import UserError
from gateway.api.context import RowId  # ids beyond a database integer: 422, not a 500

router = page_router()
ServicePage = Annotated[Ctx, Depends(page("service"))]
DeskPage = Annotated[Ctx, Depends(page("service_desk"))]


@router.get("/service", response_class=HTMLResponse)
def service_board(ctx: ServicePage, show: str = "open", page_no: PageNumber = "1"):
    if ctx.actor.may("service_desk") and flow.import_proposals(ctx.db, ctx.now):
        ctx.db.commit()
    orders = flow.list_orders(ctx.db, ctx.actor, None if show == "all" else set(flow.OPEN))
    listing = paginate_rows(orders, page_no, "/service", {"show": "" if show == "open" else show})
    vehicles = vehicle_records.search(ctx.db, ctx.actor) if ctx.actor.may("vehicles") else []
    customers = flow.customers(ctx.db, ctx.actor) if ctx.actor.may("service_desk") else []
    return ctx.render(
        "service.html",
        listing=listing,
        orders=listing.rows,
        labels=flow.LABELS,
        states=flow.STATES,
        show=show,
        vehicles=vehicles,
        customers=customers,
    )


@router.post("/service")
def new_appointment(
    ctx: DeskPage,
    vehicle_id: Annotated[str, Form()] = "",
    scheduled_at: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    customer_name: Annotated[str, Form()] = "",
    customer_phone: Annotated[str, Form()] = "",
    customer_email: Annotated[str, Form()] = "",
    customer_id: Annotated[str, Form()] = "",
):
    order = flow.create_appointment(
        ctx.db,
        ctx.actor,
        vehicle_id=vehicle_id,
        reason=reason,
        now=ctx.now,
        scheduled_at=utc_datetime(scheduled_at, N_("Appointment time"), field="scheduled_at"),
        customer_name=customer_name,
        customer_phone=customer_phone,
        customer_email=customer_email,
        customer_id=optional_int(customer_id, N_("Customer"), field="customer_id"),
    )
    return ctx.done(f"/service/{order.id}", N_("appointment #{id} booked"), id=order.id)


@router.get("/service/{order_id}", response_class=HTMLResponse)
def order_page(ctx: ServicePage, order_id: RowId):
    order = flow.get_order(ctx.db, ctx.actor, order_id)
    desk = ctx.actor.may("service_desk")
    return ctx.render(
        "order.html",
        order=order,
        labels=flow.LABELS,
        bill=flow.invoice(order),
        customer=ctx.db.get(Customer, order.customer_id) if order.customer_id else None,
        catalogue=[p for p in parts.catalogue(ctx.db, ctx.actor) if p.dealer_code == order.dealer_code]
        if desk
        else [],
        technicians=flow.technicians(ctx.db, ctx.actor, order.dealer_code),
        skills=crew.SKILLS,
        skills_of=lambda name: crew.skills_of(ctx.db, name),
        desk=desk,
        pay_types=flow.PAY_TYPES,
        outstanding=any(i.kind == "part" and i.issued_qty < i.quantity for i in order.items),
        editable=order.state in flow.EDITABLE,
        **work_orders.order_extras(ctx, order),
    )


def _add_item(ctx: Ctx, order_id: int, form: dict[str, str]) -> str:
    kind = form.get("kind", "")
    flow.add_item(
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
    )
    return N_("line added")


# action -> what it does with the form; each returns the confirmation shown after the redirect.
ACTIONS: dict[str, Callable[[Ctx, int, dict[str, str]], str]] = {
    "confirm": lambda ctx, oid, f: (
        flow.confirm_proposal(
            ctx.db,
            ctx.actor,
            oid,
            utc_datetime(f.get("scheduled_at", ""), N_("Appointment time"), field="scheduled_at"),
            ctx.now,
        )
        and "appointment confirmed"
    ),
    "receive": lambda ctx, oid, f: (
        flow.receive(
            ctx.db,
            ctx.actor,
            oid,
            complaint=f.get("complaint", ""),
            odometer_km=number(f.get("odometer_km", ""), N_("Odometer"), field="odometer_km"),
            now=ctx.now,
        )
        and N_("vehicle received")
    ),
    "item": _add_item,
    "estimate": lambda ctx, oid, f: flow.estimate(ctx.db, ctx.actor, oid, ctx.now) and N_("estimate ready"),
    "order": lambda ctx, oid, f: (
        flow.open_work_order(ctx.db, ctx.actor, oid, ctx.now, pay_type=f.get("pay_type") or None)
        and N_("work order opened")
    ),
    "skill": lambda ctx, oid, f: (
        flow.set_skill_needed(ctx.db, ctx.actor, oid, f.get("skill", ""), ctx.now)
        and N_("skill needed saved")
    ),
    "assign": lambda ctx, oid, f: (
        flow.assign(ctx.db, ctx.actor, oid, f.get("technician", ""), ctx.now) and N_("technician assigned")
    ),
    "issue": lambda ctx, oid, f: (
        flow.issue_parts(ctx.db, ctx.actor, oid, ctx.now) and N_("parts issued from stock")
    ),
    "qc": lambda ctx, oid, f: (
        flow.quality_check(
            ctx.db, ctx.actor, oid, passed=f.get("result") == "pass", note=f.get("note", ""), now=ctx.now
        )
        and (N_("quality check passed") if f.get("result") == "pass" else N_("sent back for rework"))
    ),
    "settle": lambda ctx, oid, f: flow.settle(ctx.db, ctx.actor, oid, ctx.now) and N_("settled"),
    "cancel": lambda ctx, oid, f: (
        flow.cancel(ctx.db, ctx.actor, oid, f.get("note", ""), ctx.now) and N_("cancelled")
    ),
}


@router.post("/service/{order_id}/{action}")
async def order_action(ctx: DeskPage, order_id: RowId, action: str):
    step = ACTIONS.get(action)
    if step is None:
        raise UserError(Text(N_("unknown step {step}"), step=repr(action)))
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    message = step(ctx, order_id, form)
    return ctx.done(f"/service/{order_id}", message)
