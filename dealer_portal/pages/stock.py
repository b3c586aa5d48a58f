"""New-vehicle stock: the list with filters, paging and ageing, a new vehicle, and one page per vehicle
(location, certificate of conformity, documents, PDI checklist)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response

from dealer_portal.forms import cents, optional_int
from dealer_portal.messages import N_, Text, joined
from dealer_portal.pages import page_router
from dealer_portal.paging import paginate
from dealer_portal.records import credit, sales_finance, stock
from dealer_portal.records.sales_tables import SalesOrder, ShipmentItem
from dealer_portal.web import Ctx, local_day, page, state
from gateway.db.models import Dealer

router = page_router()
StockPage = Annotated[Ctx, Depends(page("stock"))]
TextField = Annotated[str, Form()]


def dealers(ctx: Ctx) -> list[Dealer]:
    return list(ctx.db.query(Dealer).order_by(Dealer.code)) if ctx.actor.sees_all_dealers else []


@router.get("/stock", response_class=HTMLResponse)
def stock_page(
    ctx: StockPage,
    status: str = "",
    model: str = "",
    q: str = "",
    sort: str = "oldest",
    page: int = 1,
    condition: str = "",
):
    params = {
        "status": status,
        "model": model,
        "q": q,
        "sort": sort if sort != "oldest" else "",
        "condition": condition,
    }
    found = stock.query(ctx.actor, status=status, model=model, text=q, sort=sort, condition=condition)
    listing = paginate(ctx.db, found, page, "/stock", params)
    return ctx.render(
        "stock.html",
        listing=listing,
        status=status,
        model=model,
        q=q,
        sort=sort,
        sort_names=list(stock.SORTS),
        statuses=stock.STATUS_LABELS,
        condition=condition,
        conditions=stock.CONDITIONS,
        models=stock.models(ctx.db, ctx.actor),
        ageing=stock.ageing(ctx.db, ctx.actor, ctx.now, condition=condition),
        days=lambda v: stock.days_in_stock(v, ctx.now),
        dealers=dealers(ctx),
        credits=credit.overview(ctx.db, ctx.actor),
    )


@router.post("/stock")
def stock_create(
    ctx: StockPage,
    vin: TextField = "",
    model: TextField = "",
    configuration: TextField = "",
    colour: TextField = "",
    location: TextField = "",
    status: TextField = "ordered",
    coc_number: TextField = "",
    list_price: TextField = "",
    dealer_code: TextField = "",
):
    vehicle = stock.create(
        ctx.db,
        ctx.actor,
        vin=vin,
        model=model,
        configuration=configuration,
        colour=colour,
        location=location,
        status=status,
        coc_number=coc_number,
        list_price_cents=cents(list_price, N_("List price"), field="list_price") if list_price.strip() else 0,
        now=ctx.now,
        dealer_code=dealer_code or None,
    )
    message = Text(N_("{vin} added to stock"), vin=vehicle.vin)
    warn = credit.warning(credit.of(ctx.db, vehicle.dealer_code)) if vehicle.status == "ordered" else None
    return ctx.done(f"/stock/{vehicle.id}", joined([message, warn]) if warn else message)


@router.post("/stock/credit")
def credit_limit(
    ctx: StockPage, dealer_code: TextField = "", limit: TextField = "", warn_pct: TextField = "90"
):
    credit.set_limit(
        ctx.db,
        ctx.actor,
        dealer_code,
        cents(limit, N_("Credit limit"), field="limit"),
        optional_int(warn_pct, N_("Warn from"), field="warn_pct") or 90,
        ctx.now,
    )
    return ctx.done("/stock", Text(N_("credit limit of {dealer} saved"), dealer=dealer_code))


@router.get("/stock/{stock_id}", response_class=HTMLResponse)
def stock_vehicle(ctx: StockPage, stock_id: int):
    vehicle = stock.get(ctx.db, ctx.actor, stock_id)
    plan = sales_finance.plan_of(ctx.db, ctx.actor, stock_id) if ctx.actor.may("floor_plan") else None
    today = local_day(ctx)
    return ctx.render(
        "stock_vehicle.html",
        plan=plan,
        plan_interest=sales_finance.accrued_cents(plan, today) if plan else 0,
        plan_days=sales_finance.days(plan, today) if plan else 0,
        v=vehicle,
        statuses=stock.STATUS_LABELS,
        days=stock.days_in_stock(vehicle, ctx.now),
        pdi_items=stock.PDI_ITEMS,
        transport=ctx.db.query(ShipmentItem).filter_by(stock_vehicle_id=vehicle.id).all(),
        orders=ctx.db.query(SalesOrder).filter_by(stock_vehicle_id=vehicle.id).order_by(SalesOrder.id).all(),
    )


@router.post("/stock/{stock_id}")
def stock_update(
    ctx: StockPage,
    stock_id: int,
    location: TextField = "",
    coc_number: TextField = "",
    list_price: TextField = "",
):
    stock.update(
        ctx.db,
        ctx.actor,
        stock_id,
        location=location,
        coc_number=coc_number,
        list_price_cents=cents(list_price, N_("List price"), field="list_price") if list_price.strip() else 0,
        now=ctx.now,
    )
    return ctx.done(f"/stock/{stock_id}", N_("stock record saved"))


@router.post("/stock/{stock_id}/pdi")
async def stock_pdi(ctx: StockPage, stock_id: int):
    form = await ctx.request.form()
    checked = {key for key in stock.PDI_ITEMS if form.get(key) == "1"}
    note = str(form.get("note", ""))
    vehicle = stock.record_pdi(ctx.db, ctx.actor, stock_id, checked, note, ctx.now)
    return ctx.done(f"/stock/{stock_id}", Text(N_("PDI of {vin} passed"), vin=vehicle.vin))


@router.post("/stock/{stock_id}/documents")
async def stock_document_upload(
    ctx: StockPage, stock_id: int, title: TextField = "", file: Annotated[UploadFile | None, File()] = None
):
    data = await file.read() if file is not None else b""
    limit = state(ctx.request).settings.max_upload_mb * 1024 * 1024
    stock.add_document(
        ctx.db,
        ctx.actor,
        stock_id,
        title,
        file.filename if file is not None else "",
        file.content_type if file is not None else "",
        data,
        ctx.now,
        limit,
    )
    return ctx.done(f"/stock/{stock_id}", N_("document stored"))


@router.get("/stock/documents/{document_id}")
def stock_document(ctx: StockPage, document_id: int):
    doc = stock.document(ctx.db, ctx.actor, document_id)
    return Response(
        doc.data,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{doc.filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
