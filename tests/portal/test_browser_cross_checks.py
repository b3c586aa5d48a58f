"""#20's cross-checks and admin screens that had no browser test, in real Chromium: booking a vehicle
due for scrapping asks for confirmation (kept in the audit log); an alert whose episode ended leaves
the ongoing feed for "ended, not acknowledged" and is acknowledged from there with who; an
administrator adds and renames a dealer (a duplicate code refused, the form kept); a dead letter of an
unknown vehicle is replayed after the vehicle was registered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.support.portal import login

pytestmark = pytest.mark.browser


def test_booking_a_vehicle_due_for_scrapping_asks_first_and_the_audit_keeps_the_answer(
    browser_page, portal_url
):
    page = browser_page
    login(page, portal_url, "dora")
    page.goto(f"{portal_url}/dispatch")
    form = page.get_by_test_id("booking-form")
    due = form.locator("select[name=vehicle_id] option", has_text="due for scrapping").first
    vehicle = due.get_attribute("value")
    form.locator("select[name=vehicle_id]").select_option(vehicle)
    day = (datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%d")
    form.locator("input[name=starts_at]").fill(f"{day}T08:00")
    form.locator("input[name=ends_at]").fill(f"{day}T09:00")
    form.locator("input[name=driver]").fill("Rested Rita")
    form.get_by_role("button", name="Book").click()
    form = page.get_by_test_id("booking-form")
    expect(form.locator("[data-field-error=vehicle_id]")).to_contain_text("is due for scrapping")
    expect(form.locator("input[name=driver]")).to_have_value("Rested Rita")  # nothing typed is lost
    expect(form.locator("select[name=vehicle_id]")).to_have_value(vehicle)
    form.get_by_test_id("book-anyway").check()
    form.get_by_role("button", name="Book").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    page.click("text=Log out")
    login(page, portal_url, "ada")
    page.goto(f"{portal_url}/audit?entity=booking")
    expect(page.get_by_test_id("audit").locator("tbody tr").first).to_contain_text("due for scrapping")


def test_an_ended_alert_leaves_the_ongoing_feed_and_is_acknowledged_from_the_ended_list(
    browser_page, portal_url, sample_db
):
    from gateway.db.session import make_engine, make_sessionmaker
    from gateway.ingest.batch import Ingestor
    from gateway.settings import GatewaySettings
    from tests.support.factories import event

    now = datetime.now(UTC)
    engine = make_engine(sample_db)
    try:
        ingest = Ingestor(
            make_sessionmaker(engine), GatewaySettings(), clock=lambda: now + timedelta(seconds=5)
        )
        start = event("VAN-2", now, type="drowsiness", level=2, episode="x-ended", driver="drv-ended-9")
        end = event(
            "VAN-2", now + timedelta(seconds=4), type="drowsiness", level=2, phase="end", episode="x-ended"
        )
        assert ingest.apply([start, end]).applied == 2
    finally:
        engine.dispose()
    page = browser_page
    login(page, portal_url, "dora")
    page.goto(f"{portal_url}/fleet")
    ended = page.get_by_test_id("ended-alerts").locator("li", has_text="VAN-2")
    expect(ended).to_have_count(1)
    expect(ended).to_contain_text("ended")
    expect(page.get_by_test_id("alert-feed")).not_to_contain_text("drv-ended-9")  # not shown as going on
    ended.get_by_role("button", name="Acknowledge").click()
    expect(
        page.locator("li.acknowledged", has_text="drv-ended-9").get_by_test_id("acknowledged-by")
    ).to_contain_text("dora")
    page.reload()
    expect(page.get_by_test_id("ended-alerts").locator("li", has_text="drv-ended-9")).to_have_count(0)
    expect(page.get_by_test_id("acknowledged-alerts")).to_contain_text("drv-ended-9")


def test_an_administrator_adds_and_renames_a_dealer(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "ada")
    page.goto(f"{portal_url}/admin/dealers")
    form = page.get_by_test_id("new-dealer")
    form.locator("input[name=dealer_code]").fill("D1")
    form.locator("input[name=name]").fill("Second Motors")
    form.get_by_role("button", name="Add dealer").click()
    form = page.get_by_test_id("new-dealer")
    expect(form.locator("[data-field-error=dealer_code]")).to_be_visible()
    expect(form.locator("input[name=name]")).to_have_value("Second Motors")
    form.locator("input[name=dealer_code]").fill("D7")
    form.get_by_role("button", name="Add dealer").click()
    expect(page.get_by_role("status")).to_contain_text("D7")
    row = page.locator("tr[data-dealer=D7]")
    row.locator("input[name=name]").fill("Second Motors Hangzhou")
    row.get_by_role("button", name="Save").click()
    expect(page.locator("tr[data-dealer=D7] input[name=name]")).to_have_value("Second Motors Hangzhou")
    page.goto(f"{portal_url}/audit?entity=dealer")
    expect(page.get_by_test_id("audit")).to_contain_text("dealer renamed")


def test_a_dead_letter_of_an_unknown_vehicle_is_replayed_once_the_vehicle_is_registered(
    browser_page, portal_url, sample_db
):
    from dealer_portal.records import vehicle_records
    from dealer_portal.records.actor import Actor
    from dealer_portal.records.vehicle_records import EDITABLE_FIELDS, VehicleInput
    from dealer_portal.sample_data import sample_vin
    from gateway.db.models import DeadLetter
    from gateway.db.session import make_engine, make_sessionmaker
    from gateway.ingest.dead_letters import dead_letter_row
    from tests.support.factories import status

    now = datetime.now(UTC)
    engine = make_engine(sample_db)
    sessions = make_sessionmaker(engine)
    try:
        topic, payload = status("VAN-405", now, speed=42.0, odometer=1234.0)
        with sessions() as db:
            db.add(
                DeadLetter(
                    **dead_letter_row(topic, payload, "unknown_vehicle", "VAN-405", now=now, max_bytes=65536)
                )
            )
            db.commit()
        page = browser_page
        login(page, portal_url, "ada")
        page.goto(f"{portal_url}/admin/dead-letters?reason=unknown_vehicle")
        page.get_by_test_id("dead-letters").get_by_role("link", name=topic).click()
        letter = page.url
        page.get_by_role("button", name="Replay").click()  # the vehicle is still unknown: kept
        expect(page.get_by_role("alert")).to_contain_text("VAN-405")
        with sessions() as db:  # the fix: the vehicle registered
            typed = {"vehicle_id": "VAN-405", "model": "Transit", "plate": "DL 405", "vin": sample_vin(405)}
            data = VehicleInput.parse(
                dict.fromkeys(EDITABLE_FIELDS, "") | typed | {"purchase_date": "2025-01-01"}
            )
            vehicle_records.create(db, Actor("ada", "admin", None), data, now)
            db.commit()
        page.goto(letter)
        page.get_by_role("button", name="Replay").click()
        expect(page.get_by_role("status")).to_contain_text("1 applied")
        expect(page.get_by_test_id("dead-letters")).not_to_contain_text("VAN-405")
        page.goto(f"{portal_url}/vehicles/VAN-405")
        expect(page.locator(".subtitle").first).to_contain_text("1,234")  # the replayed status's odometer
    finally:
        engine.dispose()
