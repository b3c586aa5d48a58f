"""Used-car buying with appraisal, promotions, finance applications, the floor plan and the yard map:
the domain rules on SQLite (issue #22)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dealer_portal.forms import FieldError
from dealer_portal.records import appraisals, promotions, sales, sales_finance, sales_stats, stock, yard
from dealer_portal.records.actor import Actor, Forbidden, NotFound
from dealer_portal.records.tables import AuditEntry, Customer
from dealer_portal.sample_data import sample_vin
from dms.errors import UserError
from tests.support.portal import ADMIN, ADVISOR, OTHER_ADVISOR, OTHER_SALES, SALES, SALES_MANAGER, T0, TECH

LIMIT = Decimal(100_000)
OTHER_MANAGER = Actor("vera", "sales_manager", "D2")
USED_VIN = "LFV3A23C0G3000123"


def _vehicle(session, serial=1, model="Aurora SUV", price=20_000_000, actor=ADVISOR, location="a-01"):
    return stock.create(
        session,
        actor,
        vin=sample_vin(serial),
        model=model,
        location=location,
        status="in_stock",
        list_price_cents=price,
        now=T0,
    )


def _appraise(session, actor=SALES, offered=8_000_000, grade="B", passed=None, vin=USED_VIN):
    return appraisals.appraise(
        session,
        actor,
        seller_name="Zhang Min",
        seller_phone="139",
        vin=vin,
        model="Sagitar 1.4T",
        first_registered=2016,
        odometer_km=88_000,
        passed=set(appraisals.CHECKLIST) - {"tyres"} if passed is None else passed,
        grade=grade,
        offered_cents=offered,
        notes="tyres worn",
        limit=LIMIT,
        now=T0,
    )


def _audited(session, entity: str) -> list[str]:
    return [e.action for e in session.query(AuditEntry).filter_by(entity=entity).order_by(AuditEntry.id)]


# ---- used-car buying and appraisal ------------------------------------------------------------------


def test_grade_follows_the_checklist(world):
    with pytest.raises(FieldError, match="A needs every checklist item"):
        _appraise(world, grade="A")
    with pytest.raises(FieldError, match="at most two defects"):
        _appraise(world, grade="B", passed={"body", "frame", "engine", "gearbox", "brakes"})
    found = _appraise(world, grade="A", passed=set(appraisals.CHECKLIST))
    assert appraisals.defects(found) == [] and found.status == "appraised"


def test_a_car_bought_within_the_limit_enters_used_stock(world):
    found = _appraise(world)
    assert appraisals.defects(found) == ["tyres"]
    with pytest.raises(FieldError, match="Location"):
        appraisals.buy(world, SALES, found.id, " ", T0)
    car = appraisals.buy(world, SALES, found.id, "u-01-02", T0)
    assert (car.condition, car.status, car.location) == ("used", "in_stock", "U-01-02")
    assert car.valuation_cents == 8_000_000 and car.source == f"AP-{found.id}" and car.odometer_km == 88_000
    assert found.status == "bought" and found.stock_vehicle_id == car.id
    with pytest.raises(UserError, match="is bought"):
        appraisals.buy(world, SALES, found.id, "U-01", T0)
    with pytest.raises(FieldError, match="in stock records as in stock"):  # the same VIN offered again
        _appraise(world)
    assert _audited(world, "used_car_appraisal") == ["appraise", "bought"]


def test_above_the_limit_a_sales_manager_approves_the_purchase(world):
    found = _appraise(world, offered=12_000_000)  # 120,000 > 100,000
    assert found.status == "pending"
    with pytest.raises(UserError, match="waits for a sales manager"):
        appraisals.buy(world, SALES, found.id, "U-01", T0)
    with pytest.raises(Forbidden):
        appraisals.decide(world, SALES, found.id, True, "", T0)
    with pytest.raises(NotFound):
        appraisals.decide(world, OTHER_MANAGER, found.id, True, "", T0)
    appraisals.decide(world, SALES_MANAGER, found.id, True, "fair for 2016", T0)
    assert (found.status, found.decided_by) == ("approved", "max")
    appraisals.buy(world, SALES, found.id, "U-01", T0)
    assert _audited(world, "used_car_appraisal") == ["appraise", "approved", "bought"]


def test_appraisals_by_role_and_dealer(world):
    found = _appraise(world)
    for actor in (ADVISOR, TECH):
        with pytest.raises(Forbidden):
            appraisals.get(world, actor, found.id)
    with pytest.raises(NotFound):  # a colleague's appraisal, another dealer's
        appraisals.get(world, OTHER_SALES, found.id)
    with pytest.raises(NotFound):
        appraisals.get(world, OTHER_MANAGER, found.id)
    assert appraisals.get(world, SALES_MANAGER, found.id) is found
    assert world.scalars(appraisals.query(OTHER_SALES)).all() == []
    appraisals.withdraw(world, SALES, found.id, T0)
    assert found.status == "withdrawn"


# ---- promotions -------------------------------------------------------------------------------------


def _promotion(session, actor=SALES_MANAGER, sponsor="dealer", start=-1, end=30, models="Aurora SUV"):
    return promotions.create(
        session,
        actor,
        sponsor=sponsor,
        name="Spring bonus",
        amount_cents=500_000,
        valid_from=(T0.date() + timedelta(days=start)).isoformat(),
        valid_to=(T0.date() + timedelta(days=end)).isoformat(),
        models=models,
        now=T0,
    )


def _lead(session):
    customer = Customer(dealer_code="D1", name="Li Wei", phone="138")
    session.add(customer)
    session.flush()
    return sales.create_lead(session, SALES, customer_id=customer.id, interest="Aurora SUV", now=T0)


def _quote(session, lead, vehicle, promotion_id, now=T0, discount=0):
    return sales.create_quote(
        session,
        SALES,
        lead.id,
        stock_vehicle_id=vehicle.id,
        options=[],
        discount_cents=discount,
        threshold_pct=Decimal(3),
        now=now,
        promotion_id=promotion_id,
    )


def test_a_promotion_comes_off_the_total_and_is_not_a_discount(world):
    vehicle, lead = _vehicle(world), _lead(world)
    promotion = _promotion(world)
    quote = _quote(world, lead, vehicle, promotion.id, discount=500_000)  # 2.5 %: no approval
    assert quote.promotion_cents == 500_000 and quote.discount_status == "none"
    assert quote.total_cents == 20_000_000 - 500_000 - 500_000
    order = sales.sign_order(world, SALES, quote.id, 0, T0)
    result = sales_stats.stats(world, SALES_MANAGER, T0 + timedelta(days=1), 30, Decimal(1))
    assert [(u.name, u.orders, u.amount_cents) for u in result.promotions] == [("Spring bonus", 1, 500_000)]
    assert order.total_cents == 19_000_000


@pytest.mark.parametrize(
    ("start", "end", "models", "reason"),
    [
        (-30, -1, "Aurora SUV", "Spring bonus expired on 2026-03-01"),
        (1, 30, "Aurora SUV", "Spring bonus starts on 2026-03-03"),
        (-1, 30, "Lumen EV", r"not valid for Aurora SUV \(only Lumen EV\)"),
    ],
)
def test_a_promotion_not_eligible_is_refused_with_the_reason(world, start, end, models, reason):
    vehicle, lead = _vehicle(world), _lead(world)
    promotion = _promotion(world, start=start, end=end, models=models)
    with pytest.raises(FieldError, match=reason) as refused:
        _quote(world, lead, vehicle, promotion.id)
    assert set(refused.value.errors) == {"promotion_id"}


def test_promotions_by_sponsor_role_and_dealer(world):
    with pytest.raises(Forbidden):
        _promotion(world, actor=SALES)
    with pytest.raises(Forbidden, match="operator's administrator"):
        _promotion(world, sponsor="manufacturer")
    national = _promotion(world, actor=ADMIN, sponsor="manufacturer")
    assert national.dealer_code is None
    theirs = _promotion(world, actor=OTHER_MANAGER)
    assert {p.id for p in world.scalars(promotions.visible(SALES))} == {national.id}
    vehicle, lead = _vehicle(world), _lead(world)
    with pytest.raises(NotFound):
        _quote(world, lead, vehicle, theirs.id)
    promotions.withdraw(world, ADMIN, national.id, T0)
    with pytest.raises(FieldError, match="withdrawn"):
        _quote(world, lead, vehicle, national.id)
    with pytest.raises(FieldError, match="Valid to"):
        _promotion(world, start=5, end=1)


# ---- finance application and floor plan -------------------------------------------------------------


def test_the_monthly_payment_is_the_annuity_to_the_cent():
    assert sales_finance.monthly_payment(10_000_000, 600, 12) == 860_664  # 100,000 at 6 %: 8,606.64
    assert sales_finance.monthly_payment(1_200_000, 0, 12) == 100_000
    with pytest.raises(FieldError, match="Rate"):
        sales_finance.rate_bp(Decimal("4.555"))
    with pytest.raises(FieldError, match="Rate"):
        sales_finance.rate_bp(Decimal(40))


def test_a_finance_application_is_answered_by_the_sales_manager(world):
    vehicle, lead = _vehicle(world), _lead(world)
    order = sales.sign_order(world, SALES, _quote(world, lead, vehicle, None).id, 0, T0)
    with pytest.raises(FieldError) as refused:
        sales_finance.apply(
            world,
            SALES,
            order.id,
            lender="",
            down_payment_cents=30_000_000,
            term_months=7,
            rate=Decimal(4),
            now=T0,
        )
    assert set(refused.value.errors) == {"lender", "down_payment", "term_months"}
    application = sales_finance.apply(
        world,
        SALES,
        order.id,
        lender="Bank of Ningbo",
        down_payment_cents=5_000_000,
        term_months=36,
        rate=Decimal("4.5"),
        now=T0,
    )
    assert application.financed_cents == 15_000_000 and application.rate_bp == 450
    assert application.monthly_cents == sales_finance.monthly_payment(15_000_000, 450, 36) == 446_204
    with pytest.raises(UserError, match="already"):
        sales_finance.apply(
            world, SALES, order.id, lender="X", down_payment_cents=0, term_months=12, rate=Decimal(3), now=T0
        )
    with pytest.raises(Forbidden):
        sales_finance.decide(world, SALES, application.id, True, "", T0)
    with pytest.raises(NotFound):
        sales_finance.decide(world, OTHER_MANAGER, application.id, True, "", T0)
    sales_finance.decide(world, SALES_MANAGER, application.id, False, "income too low", T0)
    assert application.status == "declined"
    again = sales_finance.apply(
        world,
        SALES,
        order.id,
        lender="Ping An",
        down_payment_cents=8_000_000,
        term_months=24,
        rate=Decimal(5),
        now=T0,
    )
    sales_finance.decide(world, SALES_MANAGER, again.id, True, "", T0)
    assert [a.status for a in sales_finance.of_order(world, SALES, order.id)] == ["declined", "approved"]
    assert _audited(world, "sales_order").count("finance") == 2


def test_floor_plan_interest_accrues_per_day_in_stock(world):
    vehicle = _vehicle(world)
    for actor in (SALES, ADVISOR):
        with pytest.raises(Forbidden):
            sales_finance.finance_vehicle(
                world,
                actor,
                vehicle.id,
                lender="B",
                principal_cents=1,
                rate=Decimal(5),
                started_on=None,
                now=T0,
            )
    with pytest.raises(NotFound):
        sales_finance.finance_vehicle(
            world,
            OTHER_MANAGER,
            vehicle.id,
            lender="B",
            principal_cents=1,
            rate=Decimal(5),
            started_on=None,
            now=T0,
        )
    plan = sales_finance.finance_vehicle(
        world,
        SALES_MANAGER,
        vehicle.id,
        lender="Bank of Ningbo",
        principal_cents=20_000_000,
        rate=Decimal("5.5"),
        started_on=None,
        now=T0,
    )
    assert plan.started_on == T0.date()  # the arrival day
    day_40 = T0.date() + timedelta(days=40)
    assert sales_finance.days(plan, day_40) == 40
    assert sales_finance.accrued_cents(plan, day_40) == 120_548  # 200,000 x 5.5 % x 40 / 365
    with pytest.raises(UserError, match="already"):
        sales_finance.finance_vehicle(
            world,
            SALES_MANAGER,
            vehicle.id,
            lender="B",
            principal_cents=1,
            rate=Decimal(5),
            started_on=None,
            now=T0,
        )
    repaid = sales_finance.repay(world, SALES_MANAGER, vehicle.id, T0 + timedelta(days=40))
    assert repaid.interest_paid_cents == 120_548
    assert sales_finance.accrued_cents(plan, date(2027, 1, 1)) == 120_548  # stops at repayment
    assert world.scalars(sales_finance.floor_plans(SALES_MANAGER)).all() == []


# ---- yard map ---------------------------------------------------------------------------------------


def test_vehicles_move_into_free_slots_of_their_dealers_zones(world):
    yard.add_zone(world, ADVISOR, zone="a", name="forecourt", rows=2, slots=3, now=T0)
    with pytest.raises(FieldError, match="exists already"):
        yard.add_zone(world, ADVISOR, zone="A", name="", rows=2, slots=3, now=T0)
    with pytest.raises(FieldError) as refused:
        yard.add_zone(world, ADVISOR, zone="1x", name="", rows=0, slots=99, now=T0)
    assert set(refused.value.errors) == {"zone", "rows", "slots"}
    yard.add_zone(world, OTHER_ADVISOR, zone="B", name="", rows=1, slots=1, now=T0)
    first, second = _vehicle(world, 1), _vehicle(world, 2, location="a-09")
    yard.move(world, ADVISOR, first.id, zone="a", row=2, slot=3, now=T0)
    assert (first.location, first.yard_zone, first.yard_row, first.yard_slot) == ("A-02-03", "A", 2, 3)
    with pytest.raises(FieldError, match=f"A-02-03 is taken by {first.vin}"):
        yard.move(world, ADVISOR, second.id, zone="A", row=2, slot=3, now=T0)
    with pytest.raises(FieldError, match="Row: from 1 to 2"):
        yard.move(world, ADVISOR, second.id, zone="A", row=3, slot=1, now=T0)
    with pytest.raises(FieldError, match="no zone B"):  # the other dealer's zone
        yard.move(world, ADVISOR, second.id, zone="B", row=1, slot=1, now=T0)
    with pytest.raises(Forbidden):
        yard.move(world, SALES, second.id, zone="A", row=1, slot=1, now=T0)
    with pytest.raises(NotFound):
        yard.move(world, OTHER_ADVISOR, second.id, zone="B", row=1, slot=1, now=T0)
    found = yard.yard_map(world, SALES)  # the sales staff read the map
    assert [z.zone.code for z in found.zones] == ["A"] and found.zones[0].grid[1][2] is first
    assert found.unplaced == [second]
    stock.update(world, ADVISOR, first.id, location="Z-99", coc_number="", list_price_cents=1, now=T0)
    assert first.yard_zone is None  # a place typed by hand leaves the map
    assert yard.yard_map(world, OTHER_ADVISOR).unplaced == []
    assert _audited(world, "yard_zone") == ["create", "create"]


def test_a_promotion_runs_by_the_dealers_local_day(world):
    """At 2026-03-02 20:00 UTC it is already 03-03 in Shanghai: a promotion starting that day applies."""
    vehicle, lead = _vehicle(world), _lead(world)
    promotion = _promotion(world, start=1, end=1)
    late = T0 + timedelta(hours=12)
    with pytest.raises(FieldError, match="starts on 2026-03-03"):
        _quote(world, lead, vehicle, promotion.id, now=late)
    quote = sales.create_quote(
        world,
        SALES,
        lead.id,
        stock_vehicle_id=vehicle.id,
        options=[],
        threshold_pct=Decimal(3),
        now=late,
        promotion_id=promotion.id,
        today=date(2026, 3, 3),
    )
    assert quote.promotion_cents == 500_000
