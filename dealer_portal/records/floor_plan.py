"""The floor plan's arithmetic and its payoff at a sale (经销商融资): shared by the floor-plan desk
(records/sales_finance) and the delivery of a sales order (records/sales), which must not import each other.

Days are calendar days in the reader's time zone (records/local_day), not UTC days."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.messages import AUDIT_FLOOR_PLAN_PAYOFF
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor
from dealer_portal.records.local_day import local_date
from dealer_portal.records.sales_tables import FloorPlan, SalesOrder


def days(plan: FloorPlan, today: date) -> int:
    """Days financed: from the start day to `today` (or the day it was paid off)."""
    return max(0, ((plan.repaid_on or today) - plan.started_on).days)


def accrued_cents(plan: FloorPlan, today: date) -> int:
    """Interest: principal x yearly rate / 365 x days, half up to the cent (exact decimals)."""
    interest = Decimal(plan.principal_cents) * plan.rate_bp / 10_000 * days(plan, today) / 365
    return int(interest.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def close(plan: FloorPlan, day: date, payoff: str, order: SalesOrder | None = None) -> FloorPlan:
    """Fix the interest at what accrued until `day` and mark how the line was closed."""
    plan.repaid_on = day
    plan.interest_paid_cents = accrued_cents(plan, day)
    plan.payoff = payoff
    plan.payoff_order = order.number if order is not None else None
    return plan


def pay_off_at_delivery(session: Session, actor: Actor, order: SalesOrder, now: datetime) -> FloorPlan | None:
    """The delivered vehicle's open floor-plan line, paid off to the lender with the interest to the
    delivery day (the vehicle, the lender's collateral, leaves the dealer). None when it had none."""
    plan = session.scalar(
        select(FloorPlan).where(
            FloorPlan.stock_vehicle_id == order.stock_vehicle_id, FloorPlan.repaid_on.is_(None)
        )
    )
    if plan is None:
        return None
    close(plan, local_date(now), "sold", order)
    audit.record(
        session,
        actor,
        now,
        "floor_plan_payoff",
        "stock_vehicle",
        order.vehicle.vin,
        AUDIT_FLOOR_PLAN_PAYOFF.format(
            order=order.number,
            cents=plan.principal_cents,
            interest=plan.interest_paid_cents,
            days=days(plan, plan.repaid_on),
        ),
        order.dealer_code,
    )
    return plan
