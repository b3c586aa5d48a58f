"""Used-car buying, a promotion, a finance application, the floor plan and the yard map on PostgreSQL
(issue #22), over the sample world (its yard zones and slots are seeded through the same records)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dealer_portal.migrate import upgrade
from dealer_portal.records import appraisals, promotions, sales, sales_finance, sales_stats, stock, yard
from dealer_portal.records.actor import Actor
from dealer_portal.records.tables import Customer
from dealer_portal.sample_data import ADVISOR, sample_vin, seed_sample
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.db import scratch_pg_database

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.slow

SALES, MANAGER = Actor("sue", "salesperson", "D1"), Actor("max", "sales_manager", "D1")


def test_appraisal_promotion_finance_floor_plan_and_yard_on_postgresql():
    with scratch_pg_database() as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine)() as db:
                seed_sample(db, NOW, password_rounds=4)
                assert [z.used for z in yard.yard_map(db, ADVISOR).zones] == [3, 0]  # zones A and U
                promotion = promotions.create(
                    db,
                    MANAGER,
                    sponsor="dealer",
                    name="Winter",
                    amount_cents=500_000,
                    valid_from="2026-11-01",
                    valid_to="2026-12-31",
                    models="Aurora SUV",
                    now=NOW,
                )
                customer = db.query(Customer).filter_by(dealer_code="D1").first()
                lead = sales.create_lead(db, SALES, customer_id=customer.id, interest="SUV", now=NOW)
                vehicle = stock.by_vin(db, ADVISOR, sample_vin(103))
                quote = sales.create_quote(
                    db,
                    SALES,
                    lead.id,
                    stock_vehicle_id=vehicle.id,
                    options=[],
                    threshold_pct=Decimal(3),
                    now=NOW,
                    promotion_id=promotion.id,
                )
                order = sales.sign_order(db, SALES, quote.id, 0, NOW)
                application = sales_finance.apply(
                    db,
                    SALES,
                    order.id,
                    lender="Bank",
                    down_payment_cents=4_490_000,
                    term_months=36,
                    rate=Decimal("4.5"),
                    now=NOW,
                )
                sales_finance.decide(db, MANAGER, application.id, True, "", NOW)
                plan = sales_finance.finance_vehicle(
                    db,
                    MANAGER,
                    stock.by_vin(db, ADVISOR, sample_vin(101)).id,
                    lender="Bank",
                    principal_cents=20_000_000,
                    rate=Decimal("5.5"),
                    started_on=None,
                    now=NOW,
                )
                found = appraisals.appraise(
                    db,
                    SALES,
                    seller_name="Zhang Min",
                    seller_phone="",
                    vin="LFV3A23C0G3000123",
                    model="Sagitar",
                    first_registered=2016,
                    odometer_km=88_000,
                    passed=set(appraisals.CHECKLIST),
                    grade="A",
                    offered_cents=8_000_000,
                    notes="",
                    limit=Decimal(100_000),
                    now=NOW,
                )
                car = appraisals.buy(db, SALES, found.id, "U-01-01", NOW)
                yard.move(db, ADVISOR, car.id, zone="U", row=1, slot=1, now=NOW)
                db.commit()
                assert application.monthly_cents == sales_finance.monthly_payment(14_000_000, 450, 36)
                assert sales_finance.accrued_cents(plan, NOW.date()) == 36_164  # 12 days at 5.5 %
                later = NOW + timedelta(days=1)
                used = sales_stats.stats(db, MANAGER, later, 30, Decimal(1)).promotions
                assert [(u.name, u.orders, u.amount_cents) for u in used] == [("Winter", 1, 500_000)]
                assert [z.used for z in yard.yard_map(db, ADVISOR).zones] == [3, 1]  # 103, reserved, stays
        finally:
            engine.dispose()
