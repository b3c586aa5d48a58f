"""Fatigue-aware dispatch in real headless Chromium: typing a driver who had a microsleep on today's
drive warns at once and offers rested drivers (one click fills the field); booking them anyway needs
a reason, and the booking then stands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.support.portal import login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fatigue_portal(sample_db):
    """The sample portal; Jonas Weber, out with VAN-1, had a microsleep ten minutes ago."""
    from dealer_portal.app import create_app
    from dealer_portal.background_server import serve
    from gateway.db.models import Alert
    from gateway.db.session import make_engine, make_sessionmaker

    engine = make_engine(sample_db)
    with make_sessionmaker(engine)() as db:
        db.add(
            Alert(
                alert_key="event:VAN-1:browser-microsleep",
                kind="driver_event",
                vehicle_id="VAN-1",
                type="microsleep",
                level=3,
                opened_at=datetime.now(UTC) - timedelta(minutes=10),
            )
        )
        db.commit()
    engine.dispose()
    with serve(create_app(sample_db)) as url:
        yield url


def test_a_fatigued_driver_is_warned_about_and_booked_only_with_a_reason(browser_page, fatigue_portal):
    page = browser_page
    login(page, fatigue_portal, "dora")
    page.goto(f"{fatigue_portal}/dispatch?vehicle=VAN-5")
    form = page.get_by_test_id("booking-form")
    tomorrow = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    form.locator("input[name=starts_at]").fill(f"{tomorrow}T08:00")
    form.locator("input[name=ends_at]").fill(f"{tomorrow}T12:00")
    driver = form.locator("input[name=driver]")
    driver.fill("Jonas Weber")
    warning = page.get_by_test_id("fatigue-warning")
    expect(warning).to_contain_text("Jonas Weber had 1 fatigue episode(s) in the last 24 h")
    expect(warning).to_contain_text("microsleep")
    rested = page.get_by_test_id("fatigue-hint").get_by_test_id("rested-drivers")
    expect(rested.get_by_role("button", name="Mia Schulz")).to_be_visible()
    rested.get_by_role("button", name="Mia Schulz").click()
    expect(driver).to_have_value("Mia Schulz")
    expect(warning).to_have_count(0)  # a rested driver: no warning

    driver.fill("Jonas Weber")
    expect(warning).to_be_visible()
    form.get_by_role("button", name="Book").click()
    expect(form.locator("[data-field-error=driver]")).to_contain_text("give a reason")
    reason = form.locator("textarea[name=override_reason]")
    expect(reason).to_be_visible()
    expect(form.locator("input[name=starts_at]")).to_have_value(f"{tomorrow}T08:00")  # input kept
    reason.fill("second driver on board, short local run")
    form.get_by_role("button", name="Book").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
