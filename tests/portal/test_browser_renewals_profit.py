"""Issue #21, third part, in real headless Chromium, each workflow as the role that does it: the service
advisor records a vehicle's annual-inspection date, the reminder appears, is sent to the consenting
customer and mailed through a real SMTP server; the admin reads margins and the profit and loss of a
period. With refusals for the wrong role and another dealer's records."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.portal.test_browser_workshop import _logout, _refused, _tampered_post
from tests.support.portal import login

pytestmark = pytest.mark.browser


def test_advisor_sets_an_inspection_date_and_the_reminder_is_mailed(browser_page, portal_url, sample_db):
    from dealer_portal.notify.settings import NotifySettings
    from dealer_portal.notify.worker import NotificationWorker
    from gateway.db.session import make_engine, make_sessionmaker
    from tests.support.notify import smtp_server

    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/customers?q=1234567")
    page.get_by_role("link", name="Spree Logistics GmbH").first.click()
    customer_url = page.url.split("?")[0]
    dates = page.get_by_test_id("renewals-VAN-1")
    dates.locator("input[name=inspection_due]").fill("2040-01-01")  # a typo: far beyond five years
    dates.get_by_role("button", name="Save dates").click()
    dates = page.get_by_test_id("renewals-VAN-1")
    expect(dates.locator("[data-field-error=inspection_due]")).to_contain_text("at most five years ahead")
    expect(dates.locator("input[name=inspection_due]")).to_have_value("2040-01-01")  # kept
    due_on = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    dates.locator("input[name=inspection_due]").fill(due_on)
    dates.get_by_role("button", name="Save dates").click()
    expect(page.get_by_role("status")).to_contain_text("dates of vehicle VAN-1 saved")

    page.get_by_role("link", name="Reminders").click()
    row = page.locator("[data-testid=due] tr[data-kind=inspection]", has_text="Spree Logistics GmbH")
    expect(row).to_contain_text(f"annual inspection due on {due_on}")
    expect(row.get_by_test_id("state")).to_have_text("no consent to contact")  # not offered to send
    expect(row.get_by_role("button", name="Send reminder")).to_have_count(0)
    page.goto(customer_url)
    edit = page.get_by_test_id("customer-edit")
    edit.locator("input[name=email]").fill("fleet@spree.example")
    edit.locator("input[name=consent]").check()
    edit.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("customer saved")

    page.goto(f"{portal_url}/reminders")
    row = page.locator("[data-testid=due] tr[data-kind=inspection]", has_text="Spree")
    row.get_by_role("button", name="Send reminder").click()
    expect(page.get_by_role("status")).to_contain_text("reminder queued for fleet@spree.example")
    expect(page.locator("[data-testid=due] tr[data-kind=inspection]")).to_have_count(0)  # reminded once
    with smtp_server() as box:  # the notification worker, as `dms portal notify` runs it
        settings = NotifySettings(smtp_host=box.host, smtp_port=box.port)
        worker = NotificationWorker(
            make_sessionmaker(make_engine(sample_db)), settings, lambda: datetime.now(UTC)
        )
        passed = worker.run_once()
        assert passed.failed == 0 and passed.sent >= 1, passed.errors
        (mail,) = [m for m in box.messages if m["To"] == "fleet@spree.example"]
    assert re.fullmatch(r"Annual inspection reminder for your vehicle VAN-1 \(.+\)", mail["Subject"])
    assert f"annual inspection due on {due_on}" in mail.get_payload(decode=True).decode()
    page.reload()
    sent = page.locator("[data-testid=sent] tr", has_text="annual inspection due on")
    expect(sent.get_by_test_id("delivery")).to_have_text("sent")
    _logout(page)

    login(page, portal_url, "olga")  # another dealer's advisor
    _refused(page, customer_url, 404, "no customer")
    page.goto(f"{portal_url}/reminders")
    expect(page.get_by_test_id("sent")).not_to_contain_text("Spree")
    _tampered_post(page, f"{customer_url}/vehicles/VAN-1/renewals", {"inspection_due": due_on})
    expect(page.get_by_test_id("error-message")).to_contain_text("no customer")
    _logout(page)
    login(page, portal_url, "tim")
    _refused(page, f"{portal_url}/reminders", 403, "a technician may not use customers")


def test_admin_reads_margins_and_the_profit_and_loss_of_a_period(browser_page, portal_url, sample_db):
    from zoneinfo import ZoneInfo

    from dealer_portal.records import profit
    from dealer_portal.records.actor import Actor
    from dealer_portal.settings import PortalSettings
    from gateway.db.session import make_engine, make_sessionmaker

    zone = ZoneInfo(PortalSettings().default_time_zone)
    with make_sessionmaker(make_engine(sample_db))() as db:
        year = profit.report(db, Actor("ada", "admin", None), date(2026, 1, 1), date(2026, 12, 31), zone)
    (cny,) = year.statements.values()
    assert year.margins  # the sample world's settled visits

    page = browser_page
    login(page, portal_url, "ada")
    page.goto(f"{portal_url}/finance")
    period = page.get_by_test_id("period-form")
    period.locator("input[name=from]").fill("2026-01-01")
    period.locator("input[name=to]").fill("2026-12-31")
    period.get_by_role("button", name="Show").click()
    pnl = page.get_by_test_id("pnl")
    margin = f"{cny.margin_cents // 100:,}.{cny.margin_cents % 100:02d}"
    expect(pnl.locator("tr[data-row=margin_cents] td[data-currency=CNY]")).to_contain_text(margin)
    revenue = f"{cny.revenue_cents // 100:,}.{cny.revenue_cents % 100:02d}"
    expect(pnl.locator("tr[data-row=revenue_cents] td[data-currency=CNY]")).to_contain_text(revenue)
    expect(page.get_by_test_id("margins").locator("tr[data-margin]")).to_have_count(len(year.margins))
    first = year.margins[0]
    row = page.locator(f"tr[data-margin=order-{first.ref}]")
    expect(row.get_by_test_id("margin")).to_contain_text(
        f"{first.margin_cents // 100:,}.{first.margin_cents % 100:02d}"
    )

    quarter = page.get_by_test_id("quarter-form")
    quarter.locator("input[name=quarter]").fill("2026-Q9")
    quarter.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("error-message")).to_contain_text("enter a quarter like 2026-Q1")
    page.goto(f"{portal_url}/finance")
    month = page.get_by_test_id("month-form")
    month.locator("input[name=month]").fill("2025-01")
    month.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("margins")).to_contain_text("Nothing invoiced or settled in this period.")
    _logout(page)

    login(page, portal_url, "olga")  # another dealer: none of D1's orders
    page.goto(f"{portal_url}/finance?from=2026-01-01&to=2026-12-31")
    expect(page.get_by_test_id("margins").locator("tr[data-margin]")).to_have_count(0)
    _logout(page)
    login(page, portal_url, "tim")
    _refused(page, f"{portal_url}/finance?quarter=2026-Q4", 403, "a technician may not use invoices")
