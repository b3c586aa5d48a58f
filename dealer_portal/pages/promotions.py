"""Promotions and incentives: the manufacturer's and the dealer's, with validity dates and eligible
models (the sales staff read them to quote; a sales manager enters the dealer's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import cents
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.records import promotions
from dealer_portal.web import Ctx, local_day, page

router = page_router()
SalesPage = Annotated[Ctx, Depends(page("sales"))]
TextField = Annotated[str, Form()]


@router.get("/sales/promotions", response_class=HTMLResponse)
def promotions_page(ctx: SalesPage):
    today = local_day(ctx)
    return ctx.render(
        "promotions.html",
        rows=list(ctx.db.scalars(promotions.visible(ctx.actor))),
        current=lambda p: promotions.current(p, today),
        sponsors=promotions.SPONSORS,
        today=today,
    )


@router.post("/sales/promotions")
def promotion_create(
    ctx: SalesPage,
    sponsor: TextField = "dealer",
    name: TextField = "",
    amount: TextField = "",
    valid_from: TextField = "",
    valid_to: TextField = "",
    models: TextField = "",
    dealer_code: TextField = "",
):
    found = promotions.create(
        ctx.db,
        ctx.actor,
        sponsor=sponsor,
        name=name,
        amount_cents=cents(amount, N_("Amount"), field="amount") if amount.strip() else 0,
        valid_from=valid_from,
        valid_to=valid_to,
        models=models,
        now=ctx.now,
        dealer_code=dealer_code or None,
    )
    return ctx.done("/sales/promotions", Text(N_("promotion {name} saved"), name=found.name))


@router.post("/sales/promotions/{promotion_id}/withdraw")
def promotion_withdraw(ctx: SalesPage, promotion_id: int):
    found = promotions.withdraw(ctx.db, ctx.actor, promotion_id, ctx.now)
    return ctx.done("/sales/promotions", Text(N_("promotion {name} withdrawn"), name=found.name))
