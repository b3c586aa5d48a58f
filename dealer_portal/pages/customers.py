"""Customers (客户管理): search and create, one page per customer with their details and consent,
vehicles, work orders, complaints, and merging a duplicate into them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import about, optional_int
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import PageNumber, paginate_rows
from dealer_portal.records import customers as crm
from dealer_portal.records import renewals, vehicle_records
from dealer_portal.records.actor import NotFound
from dealer_portal.records.aftersales_tables import CustomerComplaint
from dealer_portal.web import Ctx, page
from dms.errors import UserError
from gateway.api.context import RowId  # ids beyond a database integer: 422, not a 500
from gateway.db.models import Dealer

router = page_router()
CustomersPage = Annotated[Ctx, Depends(page("customers"))]
TextField = Annotated[str, Form()]


@router.get("/customers", response_class=HTMLResponse)
def customers_page(ctx: CustomersPage, q: str = "", page_no: PageNumber = "1"):
    dealers = list(ctx.db.query(Dealer).order_by(Dealer.code)) if ctx.actor.sees_all_dealers else []
    listing = paginate_rows(crm.overview(ctx.db, ctx.actor, q), page_no, "/customers", {"q": q})
    return ctx.render("customers.html", listing=listing, rows=listing.rows, q=q, dealers=dealers)


@router.post("/customers")
def create_customer(
    ctx: CustomersPage,
    name: TextField = "",
    phone: TextField = "",
    email: TextField = "",
    consent: TextField = "",
    note: TextField = "",
    dealer_code: TextField = "",
):
    with about("name"):
        customer = crm.create(
            ctx.db,
            ctx.actor,
            name=name,
            phone=phone,
            email=email,
            consent=consent == "yes",
            note=note,
            now=ctx.now,
            dealer_code=dealer_code or None,
        )
    return ctx.done(f"/customers/{customer.id}", Text(N_("customer #{id} created"), id=customer.id))


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(ctx: CustomersPage, customer_id: RowId):
    customer = crm.get(ctx.db, ctx.actor, customer_id)
    owned = crm.vehicles(ctx.db, ctx.actor, customer.id)
    vehicles = [
        v
        for v in vehicle_records.search(ctx.db, ctx.actor)
        if v.dealer_code in (None, customer.dealer_code) and v.vehicle_id not in {o.vehicle_id for o in owned}
    ]
    others = [c for c in crm.search(ctx.db, ctx.actor, limit=1000) if c.id != customer.id]
    others = [c for c in others if c.dealer_code == customer.dealer_code]
    return ctx.render(
        "customer.html",
        customer=customer,
        owned=owned,
        vehicles=vehicles,
        orders=crm.orders(ctx.db, ctx.actor, customer.id),
        purchases=crm.purchases(ctx.db, ctx.actor, customer.id),
        complaints=crm.complaints(ctx.db, ctx.actor, customer.id),
        scores={s.order_id: s.score for s in crm.surveys(ctx.db, ctx.actor, customer.id)},
        channels=crm.CHANNEL_LABELS,
        others=others,
        likely=crm.duplicates(
            ctx.db, ctx.actor, customer.dealer_code, customer.phone, customer.email, customer.id
        ),
    )


@router.post("/customers/{customer_id}/edit")
def edit_customer(
    ctx: CustomersPage,
    customer_id: RowId,
    name: TextField = "",
    phone: TextField = "",
    email: TextField = "",
    consent: TextField = "",
    note: TextField = "",
):
    crm.update(
        ctx.db,
        ctx.actor,
        customer_id,
        name=name,
        phone=phone,
        email=email,
        consent=consent == "yes",
        note=note,
        now=ctx.now,
    )
    return ctx.done(f"/customers/{customer_id}", N_("customer saved"))


@router.post("/customers/{customer_id}/vehicle")
def link_vehicle(ctx: CustomersPage, customer_id: RowId, vehicle_id: TextField = ""):
    added = crm.link_vehicle(ctx.db, ctx.actor, customer_id, vehicle_id, ctx.now)
    message = N_("vehicle {id} added") if added else N_("vehicle {id} was already recorded")
    return ctx.done(f"/customers/{customer_id}", Text(message, id=vehicle_id))


@router.post("/customers/{customer_id}/vehicles/{vehicle_id}/renewals")
def set_renewals(
    ctx: CustomersPage,
    customer_id: RowId,
    vehicle_id: str,
    inspection_due: TextField = "",
    insurance_expires: TextField = "",
):
    """The vehicle's next annual inspection and insurance expiry, for the reminders."""
    crm.get(ctx.db, ctx.actor, customer_id)  # another dealer's customer: not found, before any field check
    inspection, insurance = renewals.parse_dates(inspection_due, insurance_expires, ctx.now.date())
    renewals.set_dates(
        ctx.db,
        ctx.actor,
        customer_id,
        vehicle_id[:64],
        inspection_due=inspection,
        insurance_expires=insurance,
        now=ctx.now,
    )
    return ctx.done(f"/customers/{customer_id}", Text(N_("dates of vehicle {id} saved"), id=vehicle_id[:64]))


@router.post("/customers/{customer_id}/complaint")
def add_complaint(
    ctx: CustomersPage,
    customer_id: RowId,
    text: TextField = "",
    channel: TextField = "phone",
    order_id: TextField = "",
):
    crm.get(ctx.db, ctx.actor, customer_id)  # (another dealer's: not found, before any field check)
    with about("text"):
        crm.add_complaint(
            ctx.db,
            ctx.actor,
            customer_id,
            text=text,
            channel=channel,
            order_id=optional_int(order_id, N_("Work order"), field="order_id"),
            now=ctx.now,
        )
    return ctx.done(f"/customers/{customer_id}", N_("complaint recorded"))


@router.post("/customers/{customer_id}/complaint/{complaint_id}/resolve")
def resolve_complaint(
    ctx: CustomersPage, customer_id: RowId, complaint_id: RowId, resolution: TextField = ""
):
    complaint = ctx.db.get(CustomerComplaint, complaint_id)
    if complaint is None or crm.get(ctx.db, ctx.actor, complaint.customer_id).id != customer_id:
        raise NotFound(Text(N_("no complaint {id}"), id=complaint_id))
    with about("resolution"):
        crm.resolve_complaint(ctx.db, ctx.actor, complaint_id, resolution, ctx.now)
    return ctx.done(f"/customers/{customer_id}", N_("complaint resolved"))


@router.post("/service/{order_id}/survey/answer")
def survey(
    ctx: CustomersPage,
    order_id: RowId,
    score: TextField = "",
    channel: TextField = "phone",
    comment: TextField = "",
):
    value = optional_int(score, N_("Score"), field="score")
    crm.record_survey(
        ctx.db, ctx.actor, order_id, score=value or 0, comment=comment, channel=channel, now=ctx.now
    )
    return ctx.done(f"/service/{order_id}", N_("survey answer recorded"))


@router.post("/customers/{customer_id}/merge")
def merge(ctx: CustomersPage, customer_id: RowId, duplicate_id: TextField = ""):
    other = optional_int(duplicate_id, N_("Duplicate"), field="duplicate_id")
    if other is None:
        raise UserError(N_("Duplicate: choose the customer to merge into this one"))
    crm.merge(ctx.db, ctx.actor, customer_id, other, ctx.now)
    return ctx.done(f"/customers/{customer_id}", Text(N_("customer #{id} merged into this one"), id=other))
