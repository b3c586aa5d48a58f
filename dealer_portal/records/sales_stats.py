"""Sales statistics (销售统计) over a period: order completion rate, results and commission per
salesperson, stock ageing and turnover. Money exact: commission is a Decimal percentage of the delivered
orders' totals, rounded half up to the cent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.records import stock
from dealer_portal.records.actor import Actor
from dealer_portal.records.sales_tables import SalesLead, SalesOrder, StockVehicle


def commission_cents(total_cents: int, pct: Decimal) -> int:
    return int((Decimal(total_cents) * pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Salesperson:
    username: str
    leads: int = 0
    orders: int = 0
    delivered: int = 0
    cancelled: int = 0
    revenue_cents: int = 0
    commission_cents: int = 0

    @property
    def conversion(self) -> float | None:
        """Orders per lead taken in the period."""
        return self.orders / self.leads if self.leads else None


@dataclass
class PromotionUse:
    """A promotion on the orders signed in the period (not cancelled): how often, how much in all."""

    name: str
    sponsor: str
    orders: int = 0
    amount_cents: int = 0


@dataclass
class SalesStats:
    since: datetime
    orders: int
    delivered: int
    cancelled: int
    open: int
    people: list[Salesperson] = field(default_factory=list)
    ageing: stock.Ageing | None = None
    on_yard: int = 0
    mean_days_to_sale: float | None = None
    promotions: list[PromotionUse] = field(default_factory=list)

    @property
    def completion_rate(self) -> float | None:
        """Delivered orders among those signed in the period (cancelled ones count as not completed)."""
        return self.delivered / self.orders if self.orders else None

    @property
    def turnover(self) -> float | None:
        """Vehicles delivered in the period per vehicle standing in the yard now (a stock-turn estimate)."""
        return self.delivered / self.on_yard if self.on_yard else None


def stats(session: Session, actor: Actor, now: datetime, days: int, commission_pct: Decimal) -> SalesStats:
    actor.require("sales")
    since = now - timedelta(days=days)
    orders_q = select(SalesOrder).where(SalesOrder.signed_at >= since)
    leads_q = select(SalesLead).where(SalesLead.created_at >= since)
    if not actor.sees_all_dealers:
        orders_q = orders_q.where(SalesOrder.dealer_code == actor.dealer_code)
        leads_q = leads_q.where(SalesLead.dealer_code == actor.dealer_code)
    if not actor.may("sales_all"):  # a salesperson sees their own results and commission only
        orders_q = orders_q.where(SalesOrder.salesperson == actor.username)
        leads_q = leads_q.where(SalesLead.salesperson == actor.username)
    orders = list(session.scalars(orders_q))
    people: dict[str, Salesperson] = {}
    for lead in session.scalars(leads_q):
        people.setdefault(lead.salesperson, Salesperson(lead.salesperson)).leads += 1
    to_sale = []
    used: dict[int, PromotionUse] = {}
    for order in orders:
        quote = order.quote
        if quote.promotion_id and order.status != "cancelled":
            use = used.setdefault(
                quote.promotion_id, PromotionUse(quote.promotion.name, quote.promotion.sponsor)
            )
            use.orders += 1
            use.amount_cents += quote.promotion_cents
        person = people.setdefault(order.salesperson, Salesperson(order.salesperson))
        person.orders += 1
        if order.status == "delivered":
            person.delivered += 1
            person.revenue_cents += order.total_cents
            vehicle = session.get(StockVehicle, order.stock_vehicle_id)
            if vehicle.arrived_at and order.delivered_at and order.delivered_at >= vehicle.arrived_at:
                to_sale.append((order.delivered_at - vehicle.arrived_at).total_seconds() / 86400)
        elif order.status == "cancelled":
            person.cancelled += 1
    for person in people.values():
        person.commission_cents = commission_cents(person.revenue_cents, commission_pct)
    ageing = stock.ageing(session, actor, now, condition="new")  # new-vehicle stock turns
    return SalesStats(
        since=since,
        orders=len(orders),
        delivered=sum(p.delivered for p in people.values()),
        cancelled=sum(p.cancelled for p in people.values()),
        open=sum(1 for o in orders if o.status == "signed"),
        people=sorted(people.values(), key=lambda p: (-p.revenue_cents, p.username)),
        ageing=ageing,
        on_yard=sum(ageing.buckets.values()),
        mean_days_to_sale=sum(to_sale) / len(to_sale) if to_sale else None,
        promotions=sorted(used.values(), key=lambda u: (-u.amount_cents, u.name)),
    )
