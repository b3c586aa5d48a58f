"""Counter sales of parts (records.counter_sales): a sale form and the recent counter sales."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from dealer_portal.forms import number, optional_int
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import PageNumber, paginate
from dealer_portal.records import counter_sales, invoices, parts
from dealer_portal.records import customers as crm
from dealer_portal.records.aftersales_tables import Invoice
from dealer_portal.web import Ctx, page

router = page_router()
CounterPage = Annotated[Ctx, Depends(page("parts"))]
LINES = 4  # part rows of the form


@router.get("/counter", response_class=HTMLResponse)
def counter_page(ctx: CounterPage, page_no: PageNumber = "1"):
    recent = select(Invoice).where(invoices.IS_COUNTER_SALE).order_by(Invoice.id.desc())
    if not ctx.actor.sees_all_dealers:
        recent = recent.where(Invoice.dealer_code == ctx.actor.dealer_code)
    listing = paginate(ctx.db, recent, page_no, "/counter", {}, size=20)
    return ctx.render(
        "counter.html",
        catalogue=[p for p in parts.catalogue(ctx.db, ctx.actor) if p.on_hand > 0],
        customers=crm.search(ctx.db, ctx.actor, limit=1000) if ctx.actor.may("customers") else [],
        methods=invoices.METHOD_LABELS,
        listing=listing,
        recent=listing.rows,
        rows=range(LINES),
    )


@router.post("/counter")
async def sell(ctx: CounterPage):
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    lines = []
    for i in range(LINES):
        part_id = optional_int(form.get(f"part_{i}", ""), N_("Part"), field=f"part_{i}")
        if part_id is not None:
            lines.append((part_id, number(form.get(f"qty_{i}", ""), N_("Quantity"), field=f"qty_{i}")))
    invoice = counter_sales.sell(
        ctx.db,
        ctx.actor,
        lines,
        ctx.now,
        customer_id=optional_int(form.get("customer_id", ""), N_("Customer"), field="customer_id"),
        customer_name=form.get("customer_name", ""),
        customer_phone=form.get("customer_phone", ""),
        paid_by=form.get("paid_by", ""),
    )
    return ctx.done(f"/invoices/{invoice.id}", Text(N_("sold: invoice {number}"), number=invoice.number))
