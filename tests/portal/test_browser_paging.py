"""Paging on the lists that grow (#20), in real Chromium at a phone's 390 px: 120 more vehicles and 60
more customers than the sample world has; the filters stay in the URL from page to page, the pager
says where one is, the search box's live results are paged too, and no page is wider than the screen."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from tests.support.portal import login

pytestmark = pytest.mark.browser
PAGE_WIDTH = "document.scrollingElement.scrollWidth"


@pytest.fixture(scope="module")
def many(sample_db):
    from dealer_portal.records import customers, vehicle_records
    from dealer_portal.records.actor import Actor
    from dealer_portal.records.vehicle_records import VehicleInput
    from dealer_portal.sample_data import sample_vin
    from gateway.db.session import make_engine, make_sessionmaker

    admin, advisor = Actor("ada", "admin", None), Actor("sam", "service_advisor", "D1")
    now = datetime.now(UTC)
    engine = make_engine(sample_db)
    try:
        with make_sessionmaker(engine)() as db:
            for i in range(120):
                data = VehicleInput(
                    vehicle_id=f"PG-{i:03d}",
                    model="Pager van",
                    plate=f"PG {i:03d}",
                    vin=sample_vin(600 + i),
                    purchase_date=date(2024, 1, 1),
                    dealer_code="D1",
                )
                vehicle_records.create(db, admin, data, now)
            for i in range(60):
                customers.create(
                    db, advisor, name=f"Pager customer {i:02d}", phone=f"1380000{i:04d}", now=now
                )
            db.commit()
    finally:
        engine.dispose()


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_long_vehicle_list_pages_at_390_px_and_keeps_its_filter(phone, portal_url, many):
    page = phone
    login(page, portal_url, "ada")
    page.goto(f"{portal_url}/vehicles?q=pager")
    pager = page.get_by_test_id("pager").first
    expect(pager).to_contain_text("1–50 of 120")
    expect(page.get_by_test_id("vehicles").locator("tbody tr")).to_have_count(50)
    assert page.evaluate(PAGE_WIDTH) <= 390
    pager.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"/vehicles\?q=pager&page=2$"))
    expect(page.get_by_test_id("pager").first).to_contain_text("51–100 of 120")
    expect(page.locator("input[name=q]")).to_have_value("pager")
    page.get_by_test_id("pager").first.get_by_role("link", name="Next →").click()
    expect(page.get_by_test_id("pager").first).to_contain_text("101–120 of 120")
    expect(page.get_by_test_id("vehicles").locator("tbody tr")).to_have_count(20)
    assert page.evaluate(PAGE_WIDTH) <= 390
    page.goto(f"{portal_url}/vehicles?q=pager&page=xyz")  # an odd page number is the first page
    expect(page.get_by_test_id("pager").first).to_contain_text("1–50 of 120")

    page.locator("input[name=q]").fill("")
    page.locator("input[name=q]").press_sequentially(
        "PG-11"
    )  # the live search answers a paged list, in the URL
    expect(page.get_by_test_id("pager").first).to_contain_text("1–10 of 10")
    expect(page).to_have_url(re.compile(r"q=PG-11"))


def test_the_customer_list_pages_too(phone, portal_url, many):
    page = phone
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/customers?q=Pager")
    expect(page.get_by_test_id("pager").first).to_contain_text("1–50 of 60")
    page.get_by_test_id("pager").first.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"/customers\?q=Pager&page=2$"))
    expect(page.get_by_test_id("customer-list").locator("tbody tr")).to_have_count(10)
    assert page.evaluate(PAGE_WIDTH) <= 390
