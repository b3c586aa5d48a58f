"""The demand forecast and the dealers compared in real headless Chromium (issue #22): the sales manager
reads what to order and orders the suggested vehicle from the manufacturer; the operator's admin
compares two dealers in their own currencies; the other dealer's manager sees only their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from dealer_portal.records.workshop_tables import DealerSettings
from dealer_portal.sample_data import sample_vin
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.portal import login
from tests.support.sales_history import past_sale

pytestmark = pytest.mark.browser
LUXURY = {"model": "Aurora SUV", "configuration": "2.0T AWD Luxury", "colour": "Pearl white"}


@pytest.fixture(scope="module")
def sold(sample_db):
    """Four Pearl white Luxury SUVs delivered by D1 in the last months, one SUV by D2 (a euro dealer)."""
    now = datetime.now(UTC)
    engine = make_engine(sample_db)
    with make_sessionmaker(engine)() as db:
        for serial, days_ago in ((401, 15), (402, 45), (403, 100), (404, 150)):
            past_sale(
                db, serial, dealer="D1", at=now - timedelta(days=days_ago), price_cents=24_980_000, **LUXURY
            )
        db.add(
            DealerSettings(
                dealer_code="D2",
                currency="EUR",
                tax_rate_bp=1900,
                service_interval_months=12,
                updated_at=now,
                updated_by="ada",
            )
        )
        past_sale(
            db,
            405,
            dealer="D2",
            model="Aurora SUV",
            at=now - timedelta(days=10),
            price_cents=3_500_000,
            salesperson="sven",
        )
        db.commit()
    engine.dispose()


def test_the_sales_manager_orders_what_the_forecast_suggests(sold, browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "max")
    page.goto(f"{portal_url}/sales/stats")
    expect(page.get_by_test_id("compare-dealers")).to_have_count(0)  # a dealer's manager: no other dealers
    page.get_by_test_id("forecast-link").click()
    expect(page.get_by_test_id("forecast-method")).to_contain_text("moving average")
    row = page.locator('tr[data-forecast="Aurora SUV 2.0T AWD Luxury Pearl white"]')
    # 4 delivered in 6 months: 0.67 a month; 1 in the yard (the sample's 101) covers 1.5 months; 2 wanted
    expect(row.get_by_test_id("delivered")).to_have_text("4")
    expect(row.get_by_test_id("rate")).to_have_text("0.67")
    expect(row.get_by_test_id("cover")).to_have_text("1.5")
    expect(row.get_by_test_id("suggested")).to_have_text("1")
    page.fill("input[name=months]", "3")  # the window is in the URL: 2 in 3 months, 0.67 again
    page.get_by_test_id("forecast-settings").get_by_role("button").click()
    expect(page).to_have_url(f"{portal_url}/sales/forecast?months=3&cover=2")
    expect(row.get_by_test_id("delivered")).to_have_text("2")
    order = row.get_by_test_id("forecast-order")
    order.locator("textarea[name=vins]").fill(sample_vin(411))
    order.get_by_role("button", name="Order 1 vehicles").click()
    expect(page.locator(".flash")).to_contain_text("1 × Aurora SUV ordered from the manufacturer")
    expect(row.get_by_test_id("suggested")).to_have_text("0")  # the ordered vehicle now covers the demand
    expect(row.get_by_test_id("forecast-order")).to_have_count(0)
    page.goto(f"{portal_url}/stock?status=ordered")
    expect(page.locator("main")).to_contain_text(sample_vin(411))


def test_the_admin_compares_two_dealers_in_their_own_currencies(sold, browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "ada")
    page.goto(f"{portal_url}/sales/stats")
    page.get_by_test_id("compare-dealers").click()
    table = page.get_by_test_id("dealer-comparison")
    d1, d2 = table.locator('tr[data-dealer="D1"]'), table.locator('tr[data-dealer="D2"]')
    expect(d1.get_by_test_id("dealer-delivered")).to_have_text("4")
    expect(d1.get_by_test_id("dealer-revenue")).to_have_text("CN¥999,200.00")
    expect(d2.get_by_test_id("dealer-delivered")).to_have_text("1")
    expect(d2.get_by_test_id("dealer-revenue")).to_have_text("€35,000.00")
    table.locator("a[data-sort=orders]").click()
    expect(table.locator("tbody tr").first).to_have_attribute("data-dealer", "D1")
    page.click("text=Log out")
    login(page, portal_url, "sven")
    page.goto(f"{portal_url}/sales/stats?view=dealers")
    expect(page.locator('tr[data-dealer="D2"]')).to_have_count(1)
    expect(page.locator('tr[data-dealer="D1"]')).to_have_count(0)
    page.goto(f"{portal_url}/sales/forecast")
    expect(page.get_by_test_id("forecast")).not_to_contain_text("Pearl white")
