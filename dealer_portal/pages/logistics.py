"""Vehicle logistics: shipments from the manufacturer with their loading lists, tracking in transit,
acceptance on arrival (yard location, damage, transport claim per vehicle) and freight settlement."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import cents, utc_datetime
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.pages.stock import dealers
from dealer_portal.paging import PageNumber, paginate
from dealer_portal.records import logistics, stock
from dealer_portal.records.money import format_cents
from dealer_portal.web import Ctx, page

router = page_router()
LogisticsPage = Annotated[Ctx, Depends(page("logistics"))]
TextField = Annotated[str, Form()]


@router.get("/logistics", response_class=HTMLResponse)
def logistics_page(ctx: LogisticsPage, status: str = "", page_no: PageNumber = "1"):
    listing = paginate(ctx.db, logistics.query(ctx.actor, status), page_no, "/logistics", {"status": status})
    shipments = listing.rows
    waiting = list(ctx.db.scalars(stock.query(ctx.actor, status="ordered", sort="vin")))
    return ctx.render(
        "logistics.html",
        listing=listing,
        shipments=shipments,
        status=status,
        statuses=logistics.STATUS_LABELS,
        waiting=waiting,
        claims=logistics.claims_cents,
        dealers=dealers(ctx),
    )


@router.post("/logistics")
def shipment_create(
    ctx: LogisticsPage,
    waybill: TextField = "",
    carrier: TextField = "",
    vins: TextField = "",
    eta: TextField = "",
    dealer_code: TextField = "",
):
    shipment = logistics.create(
        ctx.db,
        ctx.actor,
        waybill=waybill,
        carrier=carrier,
        vins=logistics.parse_vins(vins),
        eta=utc_datetime(eta, N_("Expected arrival"), field="eta") if eta.strip() else None,
        now=ctx.now,
        dealer_code=dealer_code or None,
    )
    return ctx.done(
        f"/logistics/{shipment.id}", Text(N_("shipment {waybill} in transit"), waybill=shipment.waybill)
    )


@router.get("/logistics/{shipment_id}", response_class=HTMLResponse)
def shipment_page(ctx: LogisticsPage, shipment_id: int):
    shipment = logistics.get(ctx.db, ctx.actor, shipment_id)
    return ctx.render(
        "shipment.html",
        s=shipment,
        statuses=logistics.STATUS_LABELS,
        stock_labels=stock.STATUS_LABELS,
        claims=logistics.claims_cents(shipment),
        claim_labels=logistics.CLAIM_LABELS,
    )


@router.post("/logistics/{shipment_id}/track")
def shipment_track(ctx: LogisticsPage, shipment_id: int, position: TextField = "", eta: TextField = ""):
    when = utc_datetime(eta, N_("Expected arrival"), field="eta") if eta.strip() else None
    logistics.track(ctx.db, ctx.actor, shipment_id, position, when, ctx.now)
    return ctx.done(f"/logistics/{shipment_id}", N_("position noted"))


@router.post("/logistics/{shipment_id}/receive")
async def shipment_receive(ctx: LogisticsPage, shipment_id: int):
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    shipment = logistics.get(ctx.db, ctx.actor, shipment_id)
    findings = {
        item.id: logistics.Finding(
            location=form.get(f"location_{item.id}", ""),
            damage=form.get(f"damage_{item.id}", ""),
            claim_cents=cents(form[f"claim_{item.id}"], N_("Claim"), field=f"claim_{item.id}")
            if form.get(f"claim_{item.id}", "").strip()
            else 0,
        )
        for item in shipment.items
    }
    logistics.receive(ctx.db, ctx.actor, shipment_id, findings, ctx.now)
    damaged = sum(1 for f in findings.values() if f.damage.strip())
    return ctx.done(
        f"/logistics/{shipment_id}",
        Text(N_("received: {n} vehicles, {damaged} damaged"), n=len(findings), damaged=damaged),
    )


@router.post("/logistics/{shipment_id}/settle")
def shipment_settle(ctx: LogisticsPage, shipment_id: int, freight: TextField = ""):
    shipment = logistics.settle(
        ctx.db, ctx.actor, shipment_id, cents(freight, N_("Freight"), field="freight"), ctx.now
    )
    payable = shipment.freight_cents - logistics.claims_cents(shipment)
    return ctx.done(
        f"/logistics/{shipment_id}",
        Text(N_("freight settled: {amount} payable"), amount=format_cents(payable)),
    )


@router.post("/logistics/claims/{item_id}")
def claim_decide(
    ctx: LogisticsPage, item_id: int, decision: TextField = "", amount: TextField = "", note: TextField = ""
):
    if decision == "paid":
        item = logistics.claim_paid(ctx.db, ctx.actor, item_id, note, ctx.now)
    else:
        item = logistics.decide_claim(
            ctx.db,
            ctx.actor,
            item_id,
            accept=decision == "accept",
            amount_cents=cents(amount, N_("Accepted amount"), field="amount") if amount.strip() else None,
            note=note,
            now=ctx.now,
        )
    return ctx.done(
        f"/logistics/{item.shipment_id}",
        Text(
            N_("claim on {vin}: {status}"),
            vin=item.vehicle.vin,
            status=logistics.CLAIM_LABELS[item.claim_status],
        ),
    )
