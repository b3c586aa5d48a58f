"""Demand forecast (需求预测): how many new vehicles to order from the manufacturer, per model,
configuration and colour. A moving average, nothing cleverer: the vehicles delivered to customers over the
last N months divided by N is the monthly demand; the vehicles the dealer can still sell (in the yard and
not reserved, on the way, ordered) divided by it is the months of cover; the suggestion orders up to the
target cover, rounded up to whole vehicles. A group without deliveries in the window has no demand and no
suggestion (its cover is unknown, not infinite)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.records.actor import Actor
from dealer_portal.records.sales_tables import SalesOrder, StockVehicle

MONTHS = (1, 24)
"""The window of past deliveries, in months (the page's setting, default 6)."""
COVER = (Decimal("0.5"), Decimal(12))
"""The target cover, in months of demand (default 2)."""
DAYS_PER_MONTH = Decimal("30.4375")  # a mean Gregorian month: the window is N of them back from now
AVAILABLE = {"in_stock": "on_hand", "pdi_done": "on_hand", "in_transit": "in_transit", "ordered": "ordered"}
"""Statuses a vehicle can still be sold from (a reserved one is sold already), by the column it counts in."""


@dataclass
class Line:
    """One model, configuration and colour of a dealer."""

    dealer_code: str
    model: str
    configuration: str
    colour: str
    delivered: int = 0
    on_hand: int = 0
    in_transit: int = 0
    ordered: int = 0
    list_price_cents: int = 0  # of the newest vehicle of the group: what an order is priced at
    rate: Decimal = Decimal(0)  # vehicles a month
    cover: Decimal | None = None  # months; None without demand
    suggested: int = 0

    @property
    def available(self) -> int:
        return self.on_hand + self.in_transit + self.ordered


def plan(line: Line, months: int, target: Decimal) -> Line:
    """Fill in the demand rate, the cover and the suggested order of a counted line."""
    line.rate = Decimal(line.delivered) / months
    line.cover = (Decimal(line.available) / line.rate).quantize(Decimal("0.1")) if line.rate else None
    line.suggested = max(0, math.ceil(line.rate * target - line.available))
    return line


def check(months: int, target: Decimal) -> tuple[int, Decimal]:
    """The settings clamped into their ranges (a URL may carry anything)."""
    return min(max(months, MONTHS[0]), MONTHS[1]), min(max(target, COVER[0]), COVER[1])


def forecast(session: Session, actor: Actor, now: datetime, months: int, target: Decimal) -> list[Line]:
    """Every new-vehicle group of the dealers the actor sees that was delivered in the window or can still
    be sold; most to order first."""
    actor.require("sales_all")
    months, target = check(months, target)
    since = now - timedelta(days=float(DAYS_PER_MONTH * months))
    vehicles = select(StockVehicle).where(StockVehicle.condition == "new")
    delivered = (
        select(StockVehicle)
        .join(SalesOrder, SalesOrder.stock_vehicle_id == StockVehicle.id)
        .where(SalesOrder.status == "delivered", SalesOrder.delivered_at >= since)
    )
    if not actor.sees_all_dealers:
        vehicles = vehicles.where(StockVehicle.dealer_code == actor.dealer_code)
        delivered = delivered.where(StockVehicle.dealer_code == actor.dealer_code)
    lines: dict[tuple[str, str, str, str], Line] = {}

    def line_of(v: StockVehicle) -> Line:
        key = (v.dealer_code, v.model, v.configuration, v.colour)
        found = lines.setdefault(key, Line(*key))
        found.list_price_cents = v.list_price_cents or found.list_price_cents
        return found

    for vehicle in session.scalars(
        delivered.where(StockVehicle.condition == "new").order_by(StockVehicle.id)
    ):
        line_of(vehicle).delivered += 1
    for vehicle in session.scalars(
        vehicles.where(StockVehicle.status.in_(AVAILABLE)).order_by(StockVehicle.id)
    ):
        line = line_of(vehicle)
        setattr(line, AVAILABLE[vehicle.status], getattr(line, AVAILABLE[vehicle.status]) + 1)
    planned = [plan(line, months, target) for line in lines.values()]
    return sorted(planned, key=lambda x: (-x.suggested, x.dealer_code, x.model, x.configuration, x.colour))
