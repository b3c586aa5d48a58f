"""The demand forecast (需求预测) and the order it suggests: the sales manager reads what to order per
model, configuration and colour, and orders it from the manufacturer through the stock's own ordering
(`stock.create` as "ordered", with the dealer's credit check), one VIN a line."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import FieldError, cents
from dealer_portal.messages import N_, Text, joined
from dealer_portal.pages import page_router
from dealer_portal.records import credit, demand_forecast, stock
from dealer_portal.web import Ctx, page

router = page_router()
SalesPage = Annotated[Ctx, Depends(page("sales"))]
TextField = Annotated[str, Form()]
MAX_VEHICLES = 50  # one order form: more is a typing accident


def _cover(text: str) -> Decimal:
    """The target cover of the URL; anything that is not a plain number is the default."""
    try:
        value = Decimal(text.strip()[:8].replace(",", "."))
    except (InvalidOperation, ValueError):
        return Decimal(2)
    return value if value.is_finite() else Decimal(2)


@router.get("/sales/forecast", response_class=HTMLResponse)
def forecast_page(ctx: SalesPage, months: int = 6, cover: str = "2"):
    months, target = demand_forecast.check(months, _cover(cover))
    return ctx.render(
        "sales_forecast.html",
        months=months,
        cover=target,
        lines=demand_forecast.forecast(ctx.db, ctx.actor, ctx.now, months, target),
    )


@router.post("/sales/forecast/order")
def forecast_order(
    ctx: SalesPage,
    dealer_code: TextField = "",
    model: TextField = "",
    configuration: TextField = "",
    colour: TextField = "",
    list_price: TextField = "",
    vins: TextField = "",
):
    """Each VIN the manufacturer gave becomes a vehicle ordered; one refused (credit, VIN) orders none."""
    lines = [v.strip() for v in vins.splitlines() if v.strip()]
    if not lines:
        raise FieldError({"vins": N_("VINs: one VIN a line, as the manufacturer assigned them")})
    if len(lines) > MAX_VEHICLES:
        raise FieldError({"vins": Text(N_("VINs: at most {n} vehicles in one order"), n=MAX_VEHICLES)})
    price = cents(list_price, N_("List price"), field="list_price") if list_price.strip() else 0
    for vin in lines:
        vehicle = stock.create(
            ctx.db,
            ctx.actor,
            vin=stock.check_vin(vin, field="vins"),
            model=model,
            configuration=configuration,
            colour=colour,
            status="ordered",
            list_price_cents=price,
            now=ctx.now,
            dealer_code=dealer_code or None,
        )
    message = Text(N_("{n} × {model} ordered from the manufacturer"), n=len(lines), model=model)
    warn = credit.warning(credit.of(ctx.db, vehicle.dealer_code))
    return ctx.done("/sales/forecast", joined([message, warn]) if warn else message)
