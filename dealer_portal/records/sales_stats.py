"""Sales statistics (销售统计) over a period: order completion rate, results and commission per
salesperson, stock ageing and turnover; for the operator's staff, the dealers side by side (经销商管理).
Money exact: commission is a Decimal percentage of the delivered orders' totals, rounded half up to the
cent; revenue stays in each dealer's currency and is never added across dealers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.records import dealer_settings, stock
from dealer_portal.records.actor import Actor
from dealer_portal.records.sales_tables import SalesLead, SalesOrder, StockVehicle
from gateway.db.models import Dealer


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


def _visible(query, table, actor: Actor):
    """Orders or leads narrowed to what the actor may count: their dealer's, and their own if a salesperson."""
    if not actor.sees_all_dealers:
        query = query.where(table.dealer_code == actor.dealer_code)
    if not actor.may("sales_all"):  # a salesperson sees their own results and commission only
        query = query.where(table.salesperson == actor.username)
    return query


def stats(session: Session, actor: Actor, now: datetime, days: int, commission_pct: Decimal) -> SalesStats:
    actor.require("sales")
    since = now - timedelta(days=days)
    orders_q = _visible(select(SalesOrder).where(SalesOrder.signed_at >= since), SalesOrder, actor)
    leads_q = _visible(select(SalesLead).where(SalesLead.created_at >= since), SalesLead, actor)
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


@dataclass
class DealerResult:
    """One dealer's sales in the period, for the side-by-side comparison."""

    code: str
    name: str
    currency: str
    orders: int = 0
    delivered: int = 0
    cancelled: int = 0
    revenue_cents: int = 0  # delivered orders' totals, in `currency`
    salespeople: int = 0  # who signed an order in the period
    discount_cents: int = 0  # approved discounts of the orders not cancelled
    price_cents: int = 0  # their vehicles' prices, so the discount is a share (currency-free)
    on_yard: int = 0
    yard_days: int = 0  # days in stock of the new vehicles in the yard now, summed

    @property
    def completion_rate(self) -> float | None:
        return self.delivered / self.orders if self.orders else None

    @property
    def discount_pct(self) -> float | None:
        return 100 * self.discount_cents / self.price_cents if self.price_cents else None

    @property
    def mean_days_in_stock(self) -> float | None:
        return self.yard_days / self.on_yard if self.on_yard else None


def _last(value):
    """A sort key putting unknown figures (no orders, empty yard) after every known one."""
    return (value is None, -(value or 0))


DEALER_SORTS = {
    "dealer": lambda r: (r.code,),
    "orders": lambda r: (-r.orders, r.code),
    "delivered": lambda r: (-r.delivered, r.code),
    "completion": lambda r: (*_last(r.completion_rate), r.code),
    "revenue": lambda r: (r.currency, -r.revenue_cents, r.code),  # amounts compared within a currency only
    "salespeople": lambda r: (-r.salespeople, r.code),
    "discount": lambda r: (*_last(r.discount_pct), r.code),
    "ageing": lambda r: (*_last(r.mean_days_in_stock), r.code),
}


def by_dealer(
    session: Session, actor: Actor, now: datetime, days: int, sort: str = "dealer"
) -> list[DealerResult]:
    """The dealers' results side by side: every dealer for the operator's staff, one's own otherwise."""
    actor.require("sales_all")
    dealers = select(Dealer).order_by(Dealer.code)
    if not actor.sees_all_dealers:
        dealers = dealers.where(Dealer.code == actor.dealer_code)
    results = {
        d.code: DealerResult(d.code, d.name, dealer_settings.effective(session, d.code).currency)
        for d in session.scalars(dealers)
    }
    sellers: dict[str, set[str]] = {code: set() for code in results}
    since = now - timedelta(days=days)
    for order in session.scalars(
        _visible(select(SalesOrder).where(SalesOrder.signed_at >= since), SalesOrder, actor)
    ):
        result = results[order.dealer_code]
        result.orders += 1
        sellers[order.dealer_code].add(order.salesperson)
        if order.status == "cancelled":
            result.cancelled += 1
            continue
        result.discount_cents += order.quote.discount_cents
        result.price_cents += order.quote.price_cents
        if order.status == "delivered":
            result.delivered += 1
            result.revenue_cents += order.total_cents
    for vehicle in session.scalars(stock.query(actor, status="on_yard", condition="new")):
        if vehicle.dealer_code in results:
            results[vehicle.dealer_code].on_yard += 1
            results[vehicle.dealer_code].yard_days += stock.days_in_stock(vehicle, now) or 0
    for code, names in sellers.items():
        results[code].salespeople = len(names)
    return sorted(results.values(), key=DEALER_SORTS.get(sort, DEALER_SORTS["dealer"]))
