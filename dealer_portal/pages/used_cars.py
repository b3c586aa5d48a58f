"""Used cars bought from private sellers: the appraisals (inspection checklist, grade, offered price),
the sales manager's approval above the limit, and the purchase into the used-car stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import cents, number, optional_whole_number
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import paginate
from dealer_portal.records import appraisals
from dealer_portal.web import Ctx, page, state

router = page_router()
AppraisalPage = Annotated[Ctx, Depends(page("appraisal"))]
TextField = Annotated[str, Form()]


@router.get("/used-cars", response_class=HTMLResponse)
def used_cars_page(ctx: AppraisalPage, status: str = "", page: int = 1):
    listing = paginate(ctx.db, appraisals.query(ctx.actor, status), page, "/used-cars", {"status": status})
    return ctx.render(
        "used_cars.html",
        listing=listing,
        status=status,
        statuses=appraisals.STATUSES,
        checklist=appraisals.CHECKLIST,
        grades=appraisals.GRADES,
        limit=state(ctx.request).settings.appraisal_approval_limit,
    )


@router.post("/used-cars")
async def appraisal_create(ctx: AppraisalPage):
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    odometer = form.get("odometer_km", "")
    offered = form.get("offered", "")
    found = appraisals.appraise(
        ctx.db,
        ctx.actor,
        seller_name=form.get("seller_name", ""),
        seller_phone=form.get("seller_phone", ""),
        vin=form.get("vin", ""),
        model=form.get("model", ""),
        first_registered=optional_whole_number(
            form.get("first_registered", ""), N_("First registered"), field="first_registered"
        ),
        odometer_km=number(odometer, N_("Odometer"), field="odometer_km") if odometer.strip() else None,
        passed={key for key in appraisals.CHECKLIST if form.get(key) == "1"},
        grade=form.get("grade", ""),
        offered_cents=cents(offered, N_("Offered price"), field="offered") if offered.strip() else 0,
        notes=form.get("notes", ""),
        limit=state(ctx.request).settings.appraisal_approval_limit,
        now=ctx.now,
    )
    if found.status == "pending":
        message = Text(
            N_("appraisal {id} saved; the price waits for a sales manager's approval"), id=found.id
        )
    else:
        message = Text(N_("appraisal {id} saved"), id=found.id)
    return ctx.done(f"/used-cars/{found.id}", message)


@router.get("/used-cars/{appraisal_id}", response_class=HTMLResponse)
def appraisal_page(ctx: AppraisalPage, appraisal_id: int):
    found = appraisals.get(ctx.db, ctx.actor, appraisal_id)
    return ctx.render(
        "appraisal.html",
        a=found,
        checklist=appraisals.CHECKLIST,
        defects=appraisals.defects(found),
        grades=appraisals.GRADES,
    )


@router.post("/used-cars/{appraisal_id}/decision")
def appraisal_decision(ctx: AppraisalPage, appraisal_id: int, decision: TextField = "", note: TextField = ""):
    found = appraisals.decide(ctx.db, ctx.actor, appraisal_id, decision == "approve", note, ctx.now)
    return ctx.done(
        f"/used-cars/{appraisal_id}",
        N_("purchase approved") if found.status == "approved" else N_("purchase refused"),
    )


@router.post("/used-cars/{appraisal_id}/buy")
def appraisal_buy(ctx: AppraisalPage, appraisal_id: int, location: TextField = ""):
    car = appraisals.buy(ctx.db, ctx.actor, appraisal_id, location, ctx.now)
    return ctx.done(f"/used-cars/{appraisal_id}", Text(N_("{vin} bought into used stock"), vin=car.vin))


@router.post("/used-cars/{appraisal_id}/withdraw")
def appraisal_withdraw(ctx: AppraisalPage, appraisal_id: int):
    appraisals.withdraw(ctx.db, ctx.actor, appraisal_id, ctx.now)
    return ctx.done(f"/used-cars/{appraisal_id}", N_("appraisal closed"))
