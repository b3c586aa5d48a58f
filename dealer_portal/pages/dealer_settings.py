"""A dealer's invoicing settings (财务设置), for its admin: currency, VAT rate, service interval, renewal
reminder window, labour cost per hour."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import FieldError
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.records import dealer_settings
from dealer_portal.web import Ctx, page

router = page_router()
SettingsPage = Annotated[Ctx, Depends(page("dealer_settings"))]
TextField = Annotated[str, Form()]


@router.get("/dealer-settings", response_class=HTMLResponse)
def settings_page(ctx: SettingsPage):
    return ctx.render("dealer_settings.html", dealers=dealer_settings.dealers_of(ctx.db, ctx.actor), tab="")


@router.post("/dealer-settings/{dealer_code}")
def save(
    ctx: SettingsPage,
    dealer_code: str,
    currency: TextField = "",
    tax_rate: TextField = "",
    service_interval: TextField = "",
    renewal_window: TextField = "",
    labour_cost: TextField = "",
):
    dealer_settings.administered(ctx.db, ctx.actor, dealer_code)
    errors: dict[str, str] = {}
    for check in (
        lambda: dealer_settings.parse(currency, tax_rate, service_interval),
        lambda: dealer_settings.parse_costs(renewal_window, labour_cost),
    ):
        try:
            check()
        except FieldError as exc:
            errors |= exc.errors
    if errors:
        raise FieldError(errors)
    code, rate_bp, months = dealer_settings.parse(currency, tax_rate, service_interval)
    window, labour = dealer_settings.parse_costs(renewal_window, labour_cost)
    dealer_settings.save(
        ctx.db,
        ctx.actor,
        dealer_code,
        currency=code,
        tax_rate_bp=rate_bp,
        service_interval_months=months,
        renewal_window_days=window,
        labour_cost_cents_per_hour=labour,
        now=ctx.now,
    )
    return ctx.done("/dealer-settings", Text(N_("settings of dealer {code} saved"), code=dealer_code))
