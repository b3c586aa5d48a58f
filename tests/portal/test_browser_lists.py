"""The lists that grew unpaged (#20), in real Chromium on a phone: the live board's vehicle table pages
and sorts while its map keeps every vehicle, a dispatcher's notification rules filter, sort and page
with everything in the URL, a vehicle's odometer pages apart from its other lists, the after-sales
lists (reorder, purchase needs, claimable work, reminders, workshop, payables) sort at 360 px; the
vehicle CSV downloads in the reader's language; a form field stops at its length limit."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.support.portal import login

pytestmark = pytest.mark.browser
PAGE_WIDTH = "document.scrollingElement.scrollWidth"


@pytest.fixture(scope="module")
def grown(sample_db):
    """40 more vehicles of D1 (no position: off the map), 45 odometer readings of VAN-1, and 55
    notification rules of dora (5 of them webhooks)."""
    from dealer_portal.notify import rules
    from dealer_portal.records import vehicle_records
    from dealer_portal.records.actor import Actor
    from dealer_portal.records.vehicle_records import VehicleInput
    from dealer_portal.sample_data import sample_vin
    from gateway.db.models import OdometerReading
    from gateway.db.session import make_engine, make_sessionmaker

    admin, dora = Actor("ada", "admin", None), Actor("dora", "dispatcher", None)
    now = datetime.now(UTC)
    engine = make_engine(sample_db)
    try:
        with make_sessionmaker(engine)() as db:
            for i in range(40):
                data = VehicleInput(
                    vehicle_id=f"LB-{i:02d}",
                    model="List van",
                    plate=f"LB {i:02d}",
                    vin=sample_vin(700 + i),
                    purchase_date=date(2024, 1, 1),
                    dealer_code="D1",
                )
                vehicle_records.create(db, admin, data, now)
            for i in range(45):
                at = now - timedelta(days=400 - i)
                db.add(
                    OdometerReading(
                        vehicle_id="VAN-1", ts=at, odometer_km=100.0 + i, source="manual", created_at=at
                    )
                )
            kinds = list(rules.EVENT_TYPES)
            for i in range(55):
                webhook = i % 11 == 0
                rules.create(
                    db,
                    dora,
                    event_type=kinds[i % len(kinds)],
                    channel="webhook" if webhook else "email",
                    target=f"https://hooks.example.com/r{i}" if webhook else f"rule{i}@example.com",
                    secret="",
                    now=now,
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


def _points(page) -> list[str]:
    return [p["id"] for p in json.loads(page.locator("#fleet-points").get_attribute("data-points"))]


def test_the_fleet_table_pages_and_sorts_while_the_map_keeps_every_vehicle(phone, portal_url, grown):
    page = phone
    login(page, portal_url, "dora")
    page.goto(f"{portal_url}/fleet")
    table = page.get_by_test_id("fleet-table").locator("tbody tr")
    expect(table).to_have_count(25)
    total = int(page.get_by_test_id("vehicle-count").inner_text())
    assert total >= 44
    on_map = _points(page)
    assert on_map and not any(p.startswith("LB-") for p in on_map)
    assert page.evaluate(PAGE_WIDTH) <= 390
    page.get_by_test_id("pager").get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"/fleet\?page=2$"))
    expect(table).to_have_count(total - 25)
    assert _points(page) == on_map  # the map still shows every vehicle, not this page's
    page.get_by_test_id("sort").get_by_role("link", name="most alerts").click()
    expect(page).to_have_url(re.compile(r"/fleet\?sort=alerts$"))  # a new order starts at page 1
    first = table.first.locator("td").last
    expect(first.locator(".badge.alert")).to_be_visible()  # the vehicle with open alerts leads
    page.locator("#q").press_sequentially("LB-0")
    expect(table).to_have_count(10)
    expect(page).to_have_url(re.compile(r"/fleet\?q=LB-0&sort=alerts$"))  # the filter is in the URL
    page.reload()
    expect(page.locator("#q")).to_have_value("LB-0")
    expect(table).to_have_count(10)
    assert page.evaluate(PAGE_WIDTH) <= 390


def test_notification_rules_filter_sort_and_page_in_the_url(phone, portal_url, grown):
    page = phone
    login(page, portal_url, "dora")
    page.goto(f"{portal_url}/notifications")
    rows = page.get_by_test_id("notification-rules").locator("tbody tr")
    expect(page.get_by_test_id("pager")).to_contain_text("1–50 of 55")
    expect(rows).to_have_count(50)
    page.get_by_test_id("rule-filters").locator("select[name=channel]").select_option("webhook")
    expect(page).to_have_url(re.compile(r"/notifications\?.*channel=webhook"))
    expect(rows).to_have_count(5)
    page.get_by_test_id("sort").get_by_role("link", name="newest").click()
    expect(page).to_have_url(re.compile(r"channel=webhook&sort=newest$"))
    expect(rows.first).to_contain_text("hooks.example.com/r44")
    expect(page.get_by_test_id("rule-filters").locator("select[name=channel]")).to_have_value("webhook")
    assert page.evaluate(PAGE_WIDTH) <= 390


def test_a_vehicles_odometer_pages_on_its_own_and_other_lists_sort_at_360_px(chromium, portal_url, grown):
    context = chromium.new_context(viewport={"width": 360, "height": 780})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, portal_url, "ada")
        page.goto(f"{portal_url}/vehicles/VAN-1")
        odometer = page.locator("#odometer")
        expect(odometer.get_by_test_id("odometer").locator("tbody tr")).to_have_count(20)
        odometer.get_by_test_id("sort").get_by_role("link", name="oldest").click()
        expect(page).to_have_url(re.compile(r"/vehicles/VAN-1\?odo_sort=oldest#odometer$"))
        expect(odometer.get_by_test_id("odometer").locator("tbody tr").first).to_contain_text("100")
        odometer.get_by_test_id("pager").get_by_role("link", name="Next →").click()
        expect(page).to_have_url(re.compile(r"odo_sort=oldest&odo_page=2#odometer$"))
        assert page.evaluate(PAGE_WIDTH) <= 360
        for path, testid in (
            ("/parts?buy_sort=cost", "reorder"),
            ("/purchasing", "needs"),
            ("/warranty", "claimable"),
            ("/reminders", "due"),
            ("/workshop", "technicians"),
            ("/payables?show=all", "supplier-invoices"),
        ):
            page.goto(f"{portal_url}{path}")
            expect(page.get_by_test_id(testid)).to_be_visible()
            assert page.get_by_test_id("sort").count() >= 1, path
            assert page.evaluate(PAGE_WIDTH) <= 360, path
            expect(page.locator(".topbar nav")).to_be_visible()
        page.goto(f"{portal_url}/workshop?sort=hours")
        expect(page.get_by_test_id("sort").locator("[aria-current=true]")).to_have_attribute(
            "data-sort", "hours"
        )
    finally:
        context.close()


def test_the_vehicle_csv_and_its_note_read_in_chinese(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.select_option("[data-testid=language]", "zh_CN")
    expect(page.get_by_role("status")).to_have_text("语言和时区已保存")
    page.goto(f"{portal_url}/vehicles")
    expect(page.get_by_test_id("csv-note")).to_contain_text("无千位分隔符")
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    with open(download.value.path(), encoding="utf-8-sig") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    assert (rows[0][0], rows[0][9], len(rows[0])) == ("车辆编号", "里程表读数（公里）", 11), rows[0]
    statuses = {r[8] for r in rows[1:]}
    assert statuses and not any(re.search("[a-z]", s) for s in statuses), statuses
    assert all(re.fullmatch(r"\d*", r[9]) for r in rows[1:])  # no thousands separator
    page.select_option("[data-testid=language]", "en")
    expect(page.get_by_role("status")).to_have_text("Language and time zone saved")


def test_a_text_field_stops_at_its_length_limit(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/parts")
    field = page.get_by_test_id("new-part").locator("input[name=number]")
    limit = int(field.get_attribute("maxlength"))
    field.fill("X" * 300)
    assert len(field.input_value()) == limit < 300
