"""Vehicle funds and financing (资金管理, 经销商融资管理).

- A customer's finance application on a sales order: lender, down payment, term and yearly rate; the
  monthly payment is the annuity of the financed amount (total - down payment), rounded half up to the
  cent (a rate of 0 divides evenly). The salesperson submits it; the lender's answer (approved or
  declined) is recorded by a sales manager or an administrator. One open application per order: a new
  one only after a decline.
- The dealer's floor plan (inventory financing): a stock vehicle financed by a lender from a start day;
  interest accrues per day in stock (principal x yearly rate / 365 x days, half up), until the dealer
  repays it by hand, or the vehicle's delivery pays it off (records/floor_plan), when the interest is
  fixed. Days are calendar days in the reader's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import (
    AUDIT_FINANCE_APPLICATION,
    AUDIT_FLOOR_PLAN,
    AUDIT_FLOOR_PLAN_REPAID,
    N_,
    Text,
    label_msgid,
)
from dealer_portal.records import audit, floor_plan, sales, stock
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.local_day import local_date
from dealer_portal.records.sales_tables import FinanceApplication, FloorPlan, SalesOrder
from dms.errors import UserError

TERMS = (12, 24, 36, 48, 60)
MAX_RATE_BP = 3600  # 36 % a year: above it a typing error, not a loan


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def monthly_payment(financed_cents: int, rate_bp: int, months: int) -> int:
    """The annuity: P * r / (1 - (1 + r)^-n), r the monthly rate; P / n without interest. Cents."""
    if rate_bp == 0:
        return _half_up(Decimal(financed_cents) / months)
    r = Decimal(rate_bp) / Decimal(10_000) / 12
    return _half_up(Decimal(financed_cents) * r / (1 - (1 + r) ** -months))


def rate_bp(value: Decimal, field: str = "rate") -> int:
    """A yearly rate typed in percent ("4.5") as hundredths of a percent, within 0-36 %."""
    bp = value * 100
    if bp != bp.to_integral_value() or not 0 <= bp <= MAX_RATE_BP:
        raise FieldError({field: N_("Rate: a yearly percentage from 0 to 36, at most two decimals")})
    return int(bp)


def apply(
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    lender: str,
    down_payment_cents: int,
    term_months: int | None,
    rate: Decimal,
    now: datetime,
) -> FinanceApplication:
    """The customer's loan application for a signed (or delivered) order."""
    order = sales.get_order(session, actor, order_id)
    if order.status == "cancelled":
        raise UserError(Text(N_("order {number} is cancelled"), number=order.number))
    if _open(session, order) is not None:
        raise UserError(N_("this order has a finance application already; a new one only after a decline"))
    errors: dict[str, str] = {}
    if not lender.strip():
        errors["lender"] = N_("Lender: the bank or finance company")
    if down_payment_cents >= order.total_cents:
        errors["down_payment"] = N_("Down payment: less than the contract total (else nothing is financed)")
    if term_months not in TERMS:
        errors["term_months"] = Text(
            N_("Term: one of {terms} months"), terms=", ".join(str(t) for t in TERMS)
        )
    if errors:
        raise FieldError(errors)
    bp = rate_bp(rate)
    financed = order.total_cents - down_payment_cents
    application = FinanceApplication(
        order_id=order.id,
        dealer_code=order.dealer_code,
        lender=lender.strip()[:120],
        down_payment_cents=down_payment_cents,
        financed_cents=financed,
        term_months=term_months,
        rate_bp=bp,
        monthly_cents=monthly_payment(financed, bp, term_months),
        status="submitted",
        note="",
        created_at=now,
        created_by=actor.username,
    )
    session.add(application)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "finance",
        "sales_order",
        order.number,
        AUDIT_FINANCE_APPLICATION.format(
            lender=application.lender,
            cents=financed,
            months=term_months,
            bp=bp,
            monthly=application.monthly_cents,
        ),
        order.dealer_code,
    )
    return application


def _open(session: Session, order: SalesOrder) -> FinanceApplication | None:
    return session.scalar(
        select(FinanceApplication).where(
            FinanceApplication.order_id == order.id, FinanceApplication.status != "declined"
        )
    )


def of_order(session: Session, actor: Actor, order_id: int) -> list[FinanceApplication]:
    order = sales.get_order(session, actor, order_id)
    return list(
        session.scalars(
            select(FinanceApplication)
            .where(FinanceApplication.order_id == order.id)
            .order_by(FinanceApplication.id)
        )
    )


def decide(
    session: Session, actor: Actor, application_id: int, approve: bool, note: str, now: datetime
) -> FinanceApplication:
    """The lender's answer, recorded by a sales manager (or an administrator)."""
    actor.require("sales_approval")
    application = session.get(FinanceApplication, application_id)
    if application is None:
        raise NotFound(Text(N_("no finance application {id}"), id=application_id))
    order = sales.get_order(session, actor, application.order_id)
    if application.status != "submitted":
        raise UserError(
            Text(
                N_("this finance application is already {status}"),
                status=Text(label_msgid(application.status)),
            )
        )
    application.status = "approved" if approve else "declined"
    application.decided_by, application.decided_at = actor.username, now
    application.note = note.strip()[:200]
    audit.record(
        session,
        actor,
        now,
        "finance_" + application.status,
        "sales_order",
        order.number,
        f"{application.lender}; {application.note}".strip("; "),
        order.dealer_code,
    )
    return application


# ---- floor plan -------------------------------------------------------------------------------------


accrued_cents = floor_plan.accrued_cents  # the floor plan's arithmetic lives in records/floor_plan
days = floor_plan.days


def finance_vehicle(
    session: Session,
    actor: Actor,
    stock_id: int,
    *,
    lender: str,
    principal_cents: int,
    rate: Decimal,
    started_on: date | None,
    now: datetime,
) -> FloorPlan:
    """Put a stock vehicle on the dealer's floor plan (from its arrival day unless another is given)."""
    actor.require("floor_plan")
    vehicle = stock.get(session, actor, stock_id)
    if vehicle.status == "delivered":
        raise UserError(Text(N_("{vin} is delivered; its stock record is closed"), vin=vehicle.vin))
    if session.scalar(select(FloorPlan.id).where(FloorPlan.stock_vehicle_id == vehicle.id)) is not None:
        raise UserError(Text(N_("{vin} is on the floor plan already"), vin=vehicle.vin))
    errors: dict[str, str] = {}
    if not lender.strip():
        errors["lender"] = N_("Lender: the bank or finance company")
    if principal_cents <= 0:
        errors["principal"] = N_("Amount financed: more than zero")
    today = local_date(now)
    start = started_on or (local_date(vehicle.arrived_at) if vehicle.arrived_at else today)
    if start > today:
        errors["started_on"] = N_("From: today or a day before")
    if errors:
        raise FieldError(errors)
    plan = FloorPlan(
        stock_vehicle_id=vehicle.id,
        dealer_code=vehicle.dealer_code,
        lender=lender.strip()[:120],
        principal_cents=principal_cents,
        rate_bp=rate_bp(rate),
        started_on=start,
        created_at=now,
        created_by=actor.username,
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "floor_plan",
        "stock_vehicle",
        vehicle.vin,
        AUDIT_FLOOR_PLAN.format(lender=plan.lender, cents=principal_cents, bp=plan.rate_bp, start=start),
        vehicle.dealer_code,
    )
    return plan


def plan_of(session: Session, actor: Actor, stock_id: int) -> FloorPlan | None:
    vehicle = stock.get(session, actor, stock_id)
    return session.scalar(select(FloorPlan).where(FloorPlan.stock_vehicle_id == vehicle.id))


def repay(session: Session, actor: Actor, stock_id: int, now: datetime) -> FloorPlan:
    """The dealer repays the lender: the interest is fixed at what accrued until today."""
    actor.require("floor_plan")
    plan = plan_of(session, actor, stock_id)
    if plan is None:
        raise UserError(N_("this vehicle is not on the floor plan"))
    if plan.repaid_on is not None:
        raise UserError(N_("this floor plan is repaid already"))
    floor_plan.close(plan, local_date(now), "repaid")
    audit.record(
        session,
        actor,
        now,
        "repaid",
        "stock_vehicle",
        plan.vehicle.vin,
        AUDIT_FLOOR_PLAN_REPAID.format(
            cents=plan.principal_cents, interest=plan.interest_paid_cents, days=days(plan, plan.repaid_on)
        ),
        plan.dealer_code,
    )
    return plan


@dataclass(frozen=True)
class FloorPlanTotals:
    financed_cents: int
    interest_cents: int
    vehicles: int


def floor_plans(actor: Actor, open_only: bool = True) -> Select:
    actor.require("floor_plan")
    query = select(FloorPlan).order_by(FloorPlan.started_on, FloorPlan.id)
    if not actor.sees_all_dealers:
        query = query.where(FloorPlan.dealer_code == actor.dealer_code)
    if open_only:
        query = query.where(FloorPlan.repaid_on.is_(None))
    return query


def paid_off(actor: Actor, limit: int = 50) -> Select:
    """The latest closed floor-plan lines (repaid by hand or paid off at a sale), newest first."""
    query = floor_plans(actor, open_only=False).where(FloorPlan.repaid_on.is_not(None))
    return query.order_by(None).order_by(FloorPlan.repaid_on.desc(), FloorPlan.id.desc()).limit(limit)


def totals(plans: list[FloorPlan], today: date) -> FloorPlanTotals:
    return FloorPlanTotals(
        sum(p.principal_cents for p in plans), sum(accrued_cents(p, today) for p in plans), len(plans)
    )
