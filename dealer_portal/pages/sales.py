"""New-vehicle sales: leads and orders, one page per lead (quotes, discount approval, signing) and per
order (reservation, PDI, delivery with handover, the printable contract)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse, Response

from dealer_portal.forms import FieldError, cents, decimal, number, optional_int, optional_whole_number
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import paginate
from dealer_portal.records import (
    contract_pdf,
    invoice_pdf,
    invoices,
    promotions,
    sales,
    sales_finance,
    sales_invoices,
    sales_stats,
    stock,
    used_cars,
)
from dealer_portal.records.actor import NotFound
from dealer_portal.records.sales_tables import SalesOrder, SalesQuote, StockVehicle
from dealer_portal.web import Ctx, local_day, page, state
from gateway.db.models import Dealer

router = page_router()
SalesPage = Annotated[Ctx, Depends(page("sales"))]
TextField = Annotated[str, Form()]


def _money(text: str, what: str, field: str) -> int:
    return cents(text, what, field=field) if text.strip() else 0


@router.get("/sales", response_class=HTMLResponse)
def sales_page(ctx: SalesPage, status: str = "", page: int = 1):
    listing = paginate(ctx.db, sales.leads(ctx.actor, status), page, "/sales", {"status": status}, size=25)
    return ctx.render(
        "sales.html",
        listing=listing,
        status=status,
        statuses=sales.LEAD_STATUSES,
        orders=list(ctx.db.scalars(sales.orders(ctx.actor).limit(25))),
        customers=sales.customers(ctx.db, ctx.actor),
        names={c.id: c.name for c in sales.customers(ctx.db, ctx.actor)},
        pending=[
            q
            for q in ctx.db.query(SalesQuote).filter_by(discount_status="pending").order_by(SalesQuote.id)
            if sales.owns(ctx.actor, q.lead)
        ],
    )


@router.post("/sales")
def lead_create(
    ctx: SalesPage,
    customer_id: TextField = "",
    interest: TextField = "",
    source: TextField = "",
    note: TextField = "",
):
    customer = optional_int(customer_id, N_("Customer"), field="customer_id")
    if customer is None:
        raise FieldError({"customer_id": N_("Customer: choose the customer record")})
    lead = sales.create_lead(
        ctx.db, ctx.actor, customer_id=customer, interest=interest, source=source, note=note, now=ctx.now
    )
    return ctx.done(f"/sales/leads/{lead.id}", Text(N_("lead {id} opened"), id=lead.id))


@router.get("/sales/stats", response_class=HTMLResponse)
def sales_stats_page(ctx: SalesPage, days: int = 365, view: str = "", sort: str = "dealer"):
    days = min(max(days, 7), 3660)
    settings = state(ctx.request).settings
    compare = view == "dealers"  # the dealers side by side: a tab for those who see the whole desk
    return ctx.render(
        "sales_stats.html",
        days=days,
        s=sales_stats.stats(ctx.db, ctx.actor, ctx.now, days, settings.commission_pct),
        commission_pct=settings.commission_pct,
        view="dealers" if compare else "",
        sort=sort if sort in sales_stats.DEALER_SORTS else "dealer",
        dealers=sales_stats.by_dealer(ctx.db, ctx.actor, ctx.now, days, sort) if compare else [],
    )


@router.get("/sales/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(ctx: SalesPage, lead_id: int):
    lead = sales.get_lead(ctx.db, ctx.actor, lead_id)
    quotes = ctx.db.query(SalesQuote).filter_by(lead_id=lead.id).order_by(SalesQuote.id).all()
    available = ctx.db.scalars(
        stock.query(ctx.actor, sort="model").where(
            StockVehicle.dealer_code == lead.dealer_code, StockVehicle.status.in_(("in_stock", "pdi_done"))
        )
    ).all()
    ordered = {o.quote_id: o for o in ctx.db.query(SalesOrder).filter_by(lead_id=lead.id)}
    return ctx.render(
        "sales_lead.html",
        lead=lead,
        customer=sales.customer(ctx.db, ctx.actor, lead.customer_id),
        quotes=quotes,
        available=available,
        ordered=ordered,
        threshold=state(ctx.request).settings.discount_approval_pct,
        promotions=[
            p for p in ctx.db.scalars(promotions.visible(ctx.actor)) if promotions.current(p, local_day(ctx))
        ],
    )


@router.post("/sales/leads/{lead_id}/quotes")
def quote_create(
    ctx: SalesPage,
    lead_id: int,
    stock_vehicle_id: TextField = "",
    options: TextField = "",
    discount: TextField = "",
    trade_in_vin: TextField = "",
    trade_in_description: TextField = "",
    trade_in_value: TextField = "",
    promotion_id: TextField = "",
):
    vehicle = optional_int(stock_vehicle_id, N_("Vehicle"), field="stock_vehicle_id")
    if vehicle is None:
        raise FieldError({"stock_vehicle_id": N_("Vehicle: choose a vehicle from stock")})
    quote = sales.create_quote(
        ctx.db,
        ctx.actor,
        lead_id,
        stock_vehicle_id=vehicle,
        options=sales.parse_options(options),
        discount_cents=_money(discount, N_("Discount"), "discount"),
        trade_in_vin=trade_in_vin,
        trade_in_description=trade_in_description,
        trade_in_cents=_money(trade_in_value, N_("Trade-in value"), "trade_in_value"),
        threshold_pct=state(ctx.request).settings.discount_approval_pct,
        now=ctx.now,
        promotion_id=optional_int(promotion_id, N_("Promotion"), field="promotion_id"),
        today=local_day(ctx),
    )
    if quote.discount_status == "pending":
        message = Text(N_("quote {id} made; the discount waits for approval"), id=quote.id)
    else:
        message = Text(N_("quote {id} made"), id=quote.id)
    return ctx.done(f"/sales/leads/{lead_id}", message)


@router.post("/sales/leads/{lead_id}/lost")
def lead_lost(ctx: SalesPage, lead_id: int, reason: TextField = ""):
    sales.close_lead(ctx.db, ctx.actor, lead_id, reason, ctx.now)
    return ctx.done(f"/sales/leads/{lead_id}", N_("lead closed as lost"))


@router.post("/sales/quotes/{quote_id}/discount")
def quote_discount(ctx: SalesPage, quote_id: int, decision: TextField = "", note: TextField = ""):
    quote = sales.decide_discount(ctx.db, ctx.actor, quote_id, decision == "approve", note, ctx.now)
    return ctx.done(
        f"/sales/leads/{quote.lead_id}",
        N_("discount approved") if quote.discount_status == "approved" else N_("discount refused"),
    )


@router.post("/sales/quotes/{quote_id}/order")
def quote_sign(ctx: SalesPage, quote_id: int, deposit: TextField = ""):
    order = sales.sign_order(ctx.db, ctx.actor, quote_id, _money(deposit, N_("Deposit"), "deposit"), ctx.now)
    return ctx.done(
        f"/sales/orders/{order.id}",
        Text(N_("contract {number} signed, vehicle reserved"), number=order.number),
    )


@router.get("/sales/orders/{order_id}", response_class=HTMLResponse)
def order_page(ctx: SalesPage, order_id: int):
    order = sales.get_order(ctx.db, ctx.actor, order_id)
    return ctx.render(
        "sales_order.html",
        order=order,
        customer=sales.customer(ctx.db, ctx.actor, order.customer_id),
        statuses=stock.STATUS_LABELS,
        handover_items=sales.HANDOVER_ITEMS,
        finance=sales_finance.of_order(ctx.db, ctx.actor, order.id),
        terms=sales_finance.TERMS,
        invoice=sales_invoices.of_order(ctx.db, order),
        invoice_status=invoices.status,
        invoice_status_labels=invoices.STATUS_LABELS,
    )


@router.post("/sales/orders/{order_id}/invoice")
def order_invoice(ctx: SalesPage, order_id: int):
    invoice = sales_invoices.issue(ctx.db, ctx.actor, order_id, ctx.now)
    return ctx.done(f"/sales/orders/{order_id}", Text(N_("invoice {number} issued"), number=invoice.number))


@router.get("/sales/orders/{order_id}/invoice.pdf")
def order_invoice_pdf(ctx: SalesPage, order_id: int):
    """The sale's invoice as PDF, for the sales desk (the receivables desk has it on /invoices/{id})."""
    order = sales.get_order(ctx.db, ctx.actor, order_id)
    invoice = sales_invoices.of_order(ctx.db, order)
    if invoice is None:
        raise NotFound(Text(N_("order {number} has no invoice yet"), number=order.number))
    return Response(
        invoice_pdf.render_for(ctx.db, invoice),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )


@router.get("/sales/orders/{order_id}/contract", response_class=HTMLResponse)
def order_contract(ctx: SalesPage, order_id: int):
    order = sales.get_order(ctx.db, ctx.actor, order_id)
    return ctx.render(
        "sales_contract.html", order=order, customer=sales.customer(ctx.db, ctx.actor, order.customer_id)
    )


@router.get("/sales/orders/{order_id}/contract.pdf")
def order_contract_pdf(ctx: SalesPage, order_id: int):
    """The contract as a PDF; without a CJK font on the server, the printable HTML contract and why."""
    order = sales.get_order(ctx.db, ctx.actor, order_id)
    customer = sales.customer(ctx.db, ctx.actor, order.customer_id)
    dealer = ctx.db.get(Dealer, order.dealer_code)
    try:
        data = contract_pdf.render(order, customer, dealer_name=dealer.name if dealer else order.dealer_code)
    except contract_pdf.FontMissing as missing:
        return ctx.render("sales_contract.html", order=order, customer=customer, notice=str(missing))
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{order.number}.pdf"'},
    )


def _trade_in(form: dict[str, str]) -> used_cars.TradeIn | None:
    """The trade-in fields of the delivery form (shown only when the quote has a trade-in)."""
    if form.get("trade_in") != "1":
        return None
    odometer = form.get("trade_in_odometer_km", "")
    return used_cars.parse(
        form.get("trade_in_vin", ""),
        number(odometer, N_("Trade-in odometer"), field="trade_in_odometer_km") if odometer.strip() else None,
        form.get("trade_in_location", ""),
        form.get("trade_in_notes", ""),
    )


@router.post("/sales/orders/{order_id}/deliver")
async def order_deliver(ctx: SalesPage, order_id: int):
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    order = sales.deliver(
        ctx.db,
        ctx.actor,
        order_id,
        vehicle_id=form.get("vehicle_id", ""),
        plate=form.get("plate", ""),
        odometer_km=number(form.get("odometer_km", ""), N_("Odometer"), field="odometer_km"),
        received_by=form.get("received_by", ""),
        checked={k for k in sales.HANDOVER_ITEMS if form.get(k) == "1"},
        now=ctx.now,
        trade_in=_trade_in(form),
    )
    return ctx.done(
        f"/sales/orders/{order.id}", Text(N_("delivered as fleet vehicle {id}"), id=order.vehicle_id)
    )


@router.post("/sales/orders/{order_id}/cancel")
def order_cancel(ctx: SalesPage, order_id: int, reason: TextField = ""):
    order = sales.cancel_order(ctx.db, ctx.actor, order_id, reason, ctx.now)
    return ctx.done(
        f"/sales/orders/{order.id}",
        Text(N_("order {number} cancelled, vehicle free again"), number=order.number),
    )


@router.post("/sales/orders/{order_id}/finance")
def order_finance(
    ctx: SalesPage,
    order_id: int,
    lender: TextField = "",
    down_payment: TextField = "",
    term_months: TextField = "",
    rate: TextField = "",
):
    application = sales_finance.apply(
        ctx.db,
        ctx.actor,
        order_id,
        lender=lender,
        down_payment_cents=_money(down_payment, N_("Down payment"), "down_payment"),
        term_months=optional_whole_number(term_months, N_("Term"), field="term_months"),
        rate=decimal(rate, N_("Rate"), field="rate"),
        now=ctx.now,
    )
    return ctx.done(
        f"/sales/orders/{order_id}",
        Text(N_("finance application sent to {lender}"), lender=application.lender),
    )


@router.post("/sales/finance/{application_id}/decision")
def finance_decision(ctx: SalesPage, application_id: int, decision: TextField = "", note: TextField = ""):
    application = sales_finance.decide(
        ctx.db, ctx.actor, application_id, decision == "approve", note, ctx.now
    )
    return ctx.done(
        f"/sales/orders/{application.order_id}",
        N_("finance approved") if application.status == "approved" else N_("finance declined"),
    )
