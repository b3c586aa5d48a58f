"""Dealer and fleet KPIs, computed from the records (no stored aggregates to drift out of date).

- maintenance records by month and type: settled work orders, by settlement month, maintenance vs repair;
- repair duration: hours from reception to settlement, mean per month;
- comeback rate: share of settled orders whose vehicle was received again within `comeback_days`;
- parts inventory turnover: cost of parts issued over the last year / value of the stock on hand now
  (a current-stock approximation of the average inventory);
- fatigue / distraction episodes per 1,000 km per vehicle, km from the odometer log in the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer_portal.records.actor import Actor
from dealer_portal.records.tables import Part, ServiceOrder, StockLevel, StockMove
from dms.contract.event_groups import DISTRACTION, FATIGUE
from gateway.db.models import DriverEventRecord, OdometerReading, Vehicle


def _orders(session: Session, actor: Actor, *conditions) -> list[ServiceOrder]:
    actor.require("kpis")
    query = select(ServiceOrder).where(*conditions)
    if not actor.sees_all_dealers:
        query = query.where(ServiceOrder.dealer_code == actor.dealer_code)
    return list(session.scalars(query))


def _months(now: datetime, count: int) -> list[str]:
    year, month, out = now.year, now.month, []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def maintenance_by_month(
    session: Session, actor: Actor, now: datetime, months: int = 6
) -> tuple[list[str], dict[str, list[int]]]:
    labels = _months(now, months)
    counts = {"maintenance": [0] * months, "repair": [0] * months}
    for order in _orders(session, actor, ServiceOrder.state == "settled"):
        key = f"{order.settled_at:%Y-%m}"
        if key in labels:
            counts.setdefault(order.kind, [0] * months)[labels.index(key)] += 1
    return labels, counts


def repair_duration_hours(
    session: Session, actor: Actor, now: datetime, months: int = 6
) -> tuple[list[str], list[float]]:
    labels = _months(now, months)
    hours: dict[str, list[float]] = defaultdict(list)
    for order in _orders(
        session, actor, ServiceOrder.state == "settled", ServiceOrder.received_at.is_not(None)
    ):
        hours[f"{order.settled_at:%Y-%m}"].append(
            (order.settled_at - order.received_at).total_seconds() / 3600
        )
    return labels, [round(sum(hours[m]) / len(hours[m]), 1) if hours[m] else 0.0 for m in labels]


@dataclass(frozen=True)
class Rate:
    count: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.count / self.total if self.total else 0.0


def comeback_rate(session: Session, actor: Actor, comeback_days: int = 30) -> Rate:
    """A settled repair 'comes back' when the same vehicle is received again within the window."""
    orders = _orders(session, actor, ServiceOrder.received_at.is_not(None))
    by_vehicle: dict[str, list[ServiceOrder]] = defaultdict(list)
    for order in orders:
        by_vehicle[order.vehicle_id].append(order)
    settled = comebacks = 0
    window = timedelta(days=comeback_days)
    for visits in by_vehicle.values():
        for order in visits:
            if order.state != "settled":
                continue
            settled += 1
            if any(
                o is not order and order.settled_at <= o.received_at <= order.settled_at + window
                for o in visits
            ):
                comebacks += 1
    return Rate(comebacks, settled)


@dataclass(frozen=True)
class Turnover:
    issued_cost_cents: int
    stock_value_cents: int

    @property
    def turns(self) -> float | None:
        return self.issued_cost_cents / self.stock_value_cents if self.stock_value_cents else None


def inventory_turnover(session: Session, actor: Actor, now: datetime, days: int = 365) -> Turnover:
    actor.require("kpis")
    issued = (
        select(func.coalesce(func.sum(-StockMove.delta * StockMove.unit_cost_cents), 0))
        .join(Part)
        .where(StockMove.kind == "issue", StockMove.at >= now - timedelta(days=days))
    )
    value = select(func.coalesce(func.sum(StockLevel.qty * Part.unit_cost_cents), 0)).join(Part)
    if not actor.sees_all_dealers:
        issued = issued.where(Part.dealer_code == actor.dealer_code)
        value = value.where(Part.dealer_code == actor.dealer_code)
    return Turnover(int(session.scalar(issued)), int(session.scalar(value)))


@dataclass(frozen=True)
class EventRate:
    vehicle_id: str
    km: float
    fatigue: int
    distraction: int

    def per_1000_km(self, count: int) -> float | None:
        return 1000.0 * count / self.km if self.km > 0 else None


def events_per_1000_km(session: Session, actor: Actor, now: datetime, days: int = 90) -> list[EventRate]:
    """Driver episodes (counted once, at their start) per 1,000 km driven, per vehicle, over `days`."""
    actor.require("kpis")
    since = now - timedelta(days=days)
    vehicles = select(Vehicle.vehicle_id)
    if not actor.sees_all_dealers:
        vehicles = vehicles.where(Vehicle.dealer_code == actor.dealer_code)
    km = dict(
        session.execute(
            select(
                OdometerReading.vehicle_id,
                func.max(OdometerReading.odometer_km) - func.min(OdometerReading.odometer_km),
            )
            .where(OdometerReading.ts >= since, OdometerReading.vehicle_id.in_(vehicles))
            .group_by(OdometerReading.vehicle_id)
        ).all()
    )
    counts: dict[tuple[str, str], int] = {}
    rows = session.execute(
        select(DriverEventRecord.vehicle_id, DriverEventRecord.type, func.count())
        .where(
            DriverEventRecord.ts >= since,
            DriverEventRecord.phase == "start",
            DriverEventRecord.type.in_(FATIGUE + DISTRACTION),
            DriverEventRecord.vehicle_id.in_(vehicles),
        )
        .group_by(DriverEventRecord.vehicle_id, DriverEventRecord.type)
    ).all()
    for vehicle_id, kind, n in rows:
        group = "fatigue" if kind in FATIGUE else "distraction"
        counts[(vehicle_id, group)] = counts.get((vehicle_id, group), 0) + n
    ids = sorted(set(km) | {v for v, _ in counts})
    return [
        EventRate(
            v, float(km.get(v) or 0.0), counts.get((v, "fatigue"), 0), counts.get((v, "distraction"), 0)
        )
        for v in ids
    ]
