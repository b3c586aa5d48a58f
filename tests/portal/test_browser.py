"""End-to-end in real headless Chromium against the real app (uvicorn thread, temp SQLite, sample world)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.portal import login

pytestmark = pytest.mark.browser


def test_login_refuses_a_wrong_password_then_lets_the_dispatcher_in(browser_page, portal_url):
    page = browser_page
    page.goto(f"{portal_url}/fleet")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Ffleet$"))
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("Wrong user name or password")
    login(page, portal_url, "dora")
    expect(page).to_have_url(f"{portal_url}/fleet")
    expect(page.get_by_test_id("vehicle-count")).to_have_text("6")
    expect(page.locator(".fleet-map .map-dot")).to_have_count(6)
    page.click("text=Log out")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_full_service_flow_from_proposal_to_settlement_issues_a_part(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/parts")
    on_hand = page.locator("tr[data-part=OF-100] [data-testid=on-hand]")
    before = float(on_hand.inner_text())

    page.goto(f"{portal_url}/service")
    page.get_by_role("link", name=re.compile("Oil service: every 15000 km, due at 60000 km")).click()
    state = page.get_by_test_id("order-state")
    expect(state).to_have_text("Proposed")
    page.fill("input[name=scheduled_at]", "2030-01-07T09:00")
    page.click("text=Confirm appointment")
    expect(state).to_have_text("Appointment")
    page.fill("textarea[name=complaint]", "oil service, check brakes")
    page.fill("input[name=odometer_km]", "61400")
    page.click("text=Receive vehicle")
    expect(state).to_have_text("Reception")
    labour = page.get_by_test_id("labour-form")
    labour.locator("input[name=description]").fill("Oil service")
    labour.locator("input[name=quantity]").fill("1.5")
    labour.locator("input[name=rate]").fill("95")
    labour.get_by_role("button").click()
    part = page.get_by_test_id("part-form")
    filter_value = part.locator("option", has_text="OF-100").get_attribute("value")
    part.locator("select[name=part_id]").select_option(filter_value)
    part.get_by_role("button").click()
    expect(page.get_by_test_id("lines")).to_contain_text("OF-100 Oil filter")
    page.click("text=Make estimate")
    expect(state).to_have_text("Estimate")
    page.click("text=Customer accepted: open work order")
    expect(state).to_have_text("Work order")
    page.select_option("select[name=technician]", "tim")
    page.get_by_role("button", name="Assign").click()
    expect(state).to_have_text("Assigned")
    page.click("text=Issue parts from stock")
    expect(state).to_have_text("Parts issued")
    page.get_by_role("button", name="Passed").click()
    expect(state).to_have_text("Quality checked")
    page.click("text=Settle and invoice")
    expect(state).to_have_text("Settled")
    expect(page.get_by_test_id("invoice-total")).to_have_text(
        "CN¥157.50"
    )  # 1.5 h x 95 + 15.00 filter, in CNY
    expect(page.get_by_test_id("trail")).to_contain_text("tim")

    page.goto(f"{portal_url}/parts")
    assert float(on_hand.inner_text()) == before - 1


def test_booking_conflict_is_refused_and_a_workshop_vehicle_cannot_be_chosen(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "dora")
    page.goto(f"{portal_url}/dispatch")
    row = page.locator("[data-testid=bookings] tr", has_text="Mia Schulz")
    window = row.locator("td").nth(2).inner_text().split("\n")
    start, end = window[0].strip(), window[1].replace("→", "").strip()
    form = page.get_by_test_id("booking-form")
    expect(form.locator("option[value=VAN-2]")).to_be_disabled()  # in the workshop (received at the dealer)
    form.locator("select[name=vehicle_id]").select_option("VAN-3")
    form.locator("input[name=starts_at]").fill(start.replace(" ", "T"))
    form.locator("input[name=ends_at]").fill(end.replace(" ", "T"))
    form.locator("input[name=driver]").fill("Nora Klein")
    form.get_by_role("button", name="Book").click()
    expect(page.get_by_role("alert")).to_contain_text("VAN-3 is already booked by Mia Schulz")
    expect(page.locator("[data-testid=bookings] tr", has_text="Nora Klein")).to_have_count(0)


def test_scrap_request_is_approved_and_retires_the_vehicle(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "dora")
    page.goto(f"{portal_url}/scrapping")
    expect(page.get_by_test_id("flags")).to_contain_text("VAN-4")
    form = page.get_by_test_id("scrap-form")
    form.locator("select[name=vehicle_id]").select_option("VAN-4")
    form.locator("input[name=reason]").fill("service life reached")
    form.locator("select[name=method]").select_option("recycle")
    form.locator("textarea[name=paperwork]").fill(
        "deregistration certificate 2026-0815, recycler Alba Berlin"
    )
    form.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("sent for approval")
    page.click("text=Log out")

    login(page, portal_url, "ada")
    page.goto(f"{portal_url}/scrapping")
    request = page.locator("[data-testid=scrap-requests] tr", has_text="VAN-4")
    request.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("VAN-4 retired")
    page.goto(f"{portal_url}/vehicles/VAN-4")
    expect(page.locator("h1 .badge").first).to_have_text("retired")
    page.goto(f"{portal_url}/audit")
    expect(page.get_by_test_id("audit")).to_contain_text("scrap:approved")


def test_technician_and_another_dealers_advisor_are_refused(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/service")
    open_order = page.locator("[data-testid=orders] tr", has_text="rattle from rear door").locator("a").first
    order_url = f"{portal_url}{open_order.get_attribute('href')}"
    page.click("text=Log out")

    login(page, portal_url, "tim")
    expect(page.locator(".topbar nav")).not_to_contain_text("Parts")
    for path, why in (
        ("/parts", "a technician may not use parts"),
        ("/dispatch", "a technician may not use dispatch"),
        ("/audit", "a technician may not use audit"),
    ):
        response = page.goto(f"{portal_url}{path}")
        assert response.status == 403
        expect(page.get_by_test_id("error-message")).to_have_text(why)
    response = page.goto(order_url)
    assert response.status == 403
    expect(page.get_by_test_id("error-message")).to_contain_text("is not assigned to you")
    page.click("text=Log out")

    login(page, portal_url, "olga")
    response = page.goto(order_url)
    assert response.status == 404
    expect(page.get_by_test_id("error-message")).to_contain_text("no work order")
    page.goto(f"{portal_url}/service")
    expect(page.get_by_test_id("orders")).not_to_contain_text("VAN-2")
    assert page.goto(f"{portal_url}/vehicles/VAN-1").status == 404
    # a form posted without the session's CSRF token is refused, even with a valid session cookie
    forged = page.request.post(
        f"{portal_url}/parts", form={"number": "X-1", "name": "forged", "unit_cost": "1", "unit_price": "1"}
    )
    assert forged.status == 403 and "CSRF" in forged.text()
