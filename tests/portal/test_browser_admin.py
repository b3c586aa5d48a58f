"""Admin screens and 'request service' in real headless Chromium: a user created with a temporary
password that signs in, reset and disabled; a maintenance rule refused then saved; a dead letter
inspected and discarded; other roles without the admin menu; a dispatcher's service request confirmed
by the dealer's service advisor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from gateway.db.models import DeadLetter
from gateway.db.session import make_engine, make_sessionmaker
from gateway.ingest.dead_letters import dead_letter_row
from tests.support.portal import login

pytestmark = pytest.mark.browser


def _sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_admin_creates_resets_and_disables_a_user(chromium, browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "ada")
    page.locator(".topbar nav").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    form = page.get_by_test_id("new-user")
    form.locator("input[name=username]").fill("petra")
    form.locator("select[name=role]").select_option("service_advisor")
    form.get_by_role("button").click()  # no dealer: refused, the name kept
    expect(form.locator("[data-field-error=dealer_code]")).to_contain_text("belongs to a dealer")
    expect(form.locator("input[name=username]")).to_have_value("petra")
    form.locator("select[name=dealer_code]").select_option("D2")
    form.get_by_role("button").click()
    password = page.get_by_test_id("temporary-password").locator("code").inner_text()
    assert len(password) >= 12

    other = chromium.new_context()
    try:
        petra = other.new_page()
        _sign_in(petra, portal_url, "petra", password)
        expect(petra.get_by_test_id("who")).to_contain_text("petra")
        expect(petra.get_by_test_id("who")).to_contain_text("D2")
        expect(petra.locator(".topbar nav").get_by_role("link", name="Admin")).to_have_count(0)
        assert petra.goto(f"{portal_url}/admin/users").status == 403

        page.get_by_test_id("reset-password").get_by_role("button").click()
        second = page.get_by_test_id("temporary-password").locator("code").inner_text()
        assert second != password
        page.get_by_test_id("user-active").get_by_role("button", name="Disable").click()
        expect(page.get_by_role("status")).to_contain_text("petra disabled")
        petra.goto(f"{portal_url}/fleet")  # disabled: sent to the login page
        expect(petra.locator("input[name=password]")).to_be_visible()
    finally:
        other.close()
    page.goto(f"{portal_url}/audit?entity=user")
    expect(page.get_by_test_id("audit")).to_contain_text(
        "admin:password reset"
    )  # the action through its label


def test_a_rule_is_refused_then_saved_and_a_dead_letter_inspected_and_discarded(
    browser_page, portal_url, sample_db
):
    now = datetime.now(UTC)
    sessions = make_sessionmaker(make_engine(sample_db))
    with sessions() as db:
        row = dead_letter_row(
            "dms/v1/VAN-404/status",
            b'{"v": 1, "oops": true}',
            "invalid",
            "missing field msg_id",
            now=now,
            max_bytes=65536,
        )
        db.add(DeadLetter(**row))
        db.commit()
    page = browser_page
    login(page, portal_url, "ada")
    page.goto(f"{portal_url}/admin/rules")
    form = page.get_by_test_id("rule-form")
    form.locator("input[name=name]").fill("Timing belt")
    form.locator("select[name=type]").select_option("months")
    form.locator("input[name=model]").fill("Ford Transit Custom")
    form.locator("input[name=period]").fill("5000")
    form.get_by_role("button", name="Add rule").click()
    expect(form.locator("[data-field-error=period]")).to_contain_text("between 1 and 1200")
    expect(form.locator("input[name=name]")).to_have_value("Timing belt")
    form.locator("input[name=period]").fill("60")
    form.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("added")
    expect(page.get_by_test_id("rules")).to_contain_text("Timing belt")

    page.get_by_test_id("admin-tabs").get_by_role("link", name="Dead letters").click()
    page.get_by_test_id("dead-letter-filters").locator("select[name=reason]").select_option("invalid")
    expect(page).to_have_url(f"{portal_url}/admin/dead-letters?reason=invalid&q=")
    page.get_by_test_id("dead-letters").get_by_role("link", name="dms/v1/VAN-404/status").click()
    expect(page.get_by_test_id("payload")).to_contain_text('"oops": true')
    page.get_by_role("button", name="Replay").click()  # still invalid: refused, kept
    expect(page.get_by_role("alert")).to_contain_text("Still refused")
    page.get_by_role("button", name="Discard").click()
    expect(page.get_by_role("status")).to_contain_text("discarded")
    expect(page.get_by_test_id("dead-letters")).not_to_contain_text("VAN-404")


def test_a_dispatcher_requests_service_and_the_dealer_confirms_it(chromium, browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "dora")
    expect(page.locator(".topbar nav").get_by_role("link", name="Admin")).to_have_count(0)
    page.goto(f"{portal_url}/vehicles/VAN-2")
    box = page.get_by_test_id("request-service")
    box.locator("summary").click()
    box.locator("input[name=reason]").fill("Rattling from the rear axle")
    box.locator("input[name=preferred_date]").fill((datetime.now(UTC) + timedelta(days=3)).date().isoformat())
    box.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("status")).to_contain_text("service requested from dealer D1")

    other = chromium.new_context()
    try:
        sam = other.new_page()
        login(sam, portal_url, "sam")
        sam.goto(f"{portal_url}/service")
        sam.get_by_test_id("orders").get_by_role(
            "link", name="Rattling from the rear axle (requested by dora)"
        ).click()
        sam.locator("input[name=scheduled_at]").fill(
            (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT09:00")
        )
        sam.get_by_role("button", name="Confirm appointment").click()
        expect(sam.get_by_role("status")).to_contain_text("appointment confirmed")
        olga = other.new_page()
        other.clear_cookies()
        login(olga, portal_url, "olga")
        olga.goto(f"{portal_url}/service")
        expect(olga.get_by_test_id("orders")).not_to_contain_text("Rattling")
    finally:
        other.close()
