"""Used-car buying with appraisal, promotions, financing, the floor plan and the yard map in real
headless Chromium (issue #22), each done by the role that does it, with the wrong role and the other
dealer refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from dealer_portal.sample_data import sample_vin
from tests.portal.test_browser_sales import choose
from tests.support.portal import login

pytestmark = pytest.mark.browser


def test_a_private_sellers_car_is_appraised_approved_and_bought(browser_page, portal_url):
    """The salesperson appraises; above the limit the sales manager approves; the car enters used stock."""
    page = browser_page
    login(page, portal_url, "sue")
    page.goto(f"{portal_url}/used-cars")
    form = page.get_by_test_id("appraisal-form")
    form.locator("input[name=seller_name]").fill("Zhang Min")
    form.locator("input[name=vin]").fill("LFV3A23C0G3000123")
    form.locator("input[name=model]").fill("Sagitar 1.4T")
    form.locator("input[name=first_registered]").fill("2016")
    form.locator("input[name=odometer_km]").fill("88000")
    boxes = form.locator("input[type=checkbox]")
    for i in range(boxes.count()):  # everything in order but the tyres and the papers
        if i not in (5, 7):
            boxes.nth(i).check()
    form.locator("select[name=grade]").select_option("A")
    form.locator("input[name=offered]").fill("120000")
    form.get_by_role("button").click()
    expect(page.locator("[data-field-error=grade]")).to_contain_text("A needs every checklist item")
    expect(form.locator("input[name=seller_name]")).to_have_value("Zhang Min")  # the form is kept
    expect(form.locator("input[type=checkbox]:checked")).to_have_count(6)
    form.locator("select[name=grade]").select_option("C")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("appraisal-status")).to_have_text("pending")
    expect(page.get_by_test_id("appraisal-actions")).to_contain_text("waits for a sales manager")
    expect(page.get_by_test_id("checklist").locator(".badge.bad")).to_have_count(2)
    url = page.url.split("?")[0]
    page.click("text=Log out")

    login(page, portal_url, "sven")  # the other dealer's sales manager
    assert page.goto(url).status == 404
    page.click("text=Log out")
    login(page, portal_url, "sam")  # the workshop does not buy cars
    assert page.goto(f"{portal_url}/used-cars").status == 403
    page.click("text=Log out")

    login(page, portal_url, "max")
    page.goto(url)
    page.get_by_role("button", name="Approve purchase").click()
    expect(page.get_by_test_id("appraisal-status")).to_have_text("approved")
    page.click("text=Log out")

    login(page, portal_url, "sue")
    page.goto(url)
    buy = page.get_by_test_id("buy-form")
    buy.get_by_role("button").click()  # no yard place: refused, nothing bought
    expect(page.get_by_test_id("appraisal-status")).to_have_text("approved")
    buy.locator("input[name=location]").fill("U-01")
    buy.get_by_role("button").click()
    expect(page.get_by_test_id("appraisal-status")).to_have_text("bought")
    page.get_by_test_id("stock-link").click()
    expect(page.get_by_test_id("stock-status")).to_have_text("In stock")
    expect(page.locator("body")).to_contain_text("AP-")
    page.goto(f"{portal_url}/stock?condition=used")
    expect(page.locator("[data-vin=LFV3A23C0G3000123]").get_by_test_id("used")).to_contain_text("88,000 km")


def test_a_promotion_on_a_quote_the_contract_the_stats_and_a_finance_application(browser_page, portal_url):
    """The sales manager enters promotions; the salesperson's quote is refused the one not valid for the
    model and takes the right one; it is on the contract and in the statistics; the customer's loan
    application is answered by the sales manager."""
    page = browser_page
    today = datetime.now(UTC).date()
    login(page, portal_url, "max")
    page.goto(f"{portal_url}/sales/promotions")
    for name, models, amount in (("EV week", "Lumen EV", "3000"), ("Aurora spring", "Aurora SUV", "5000")):
        form = page.get_by_test_id("promotion-form")
        form.locator("input[name=name]").fill(name)
        form.locator("input[name=amount]").fill(amount)
        form.locator("input[name=valid_from]").fill((today - timedelta(days=1)).isoformat())
        form.locator("input[name=valid_to]").fill((today + timedelta(days=30)).isoformat())
        form.locator("textarea[name=models]").fill(models)
        form.get_by_role("button").click()
        expect(page.locator(f"[data-promotion='{name}']").get_by_test_id("promotion-state")).to_have_text(
            "current"
        )
    page.click("text=Log out")

    login(page, portal_url, "sue")
    page.goto(f"{portal_url}/sales/promotions")
    expect(page.get_by_test_id("promotion-form")).to_have_count(0)  # a salesperson reads them only
    page.goto(f"{portal_url}/sales")
    lead = page.get_by_test_id("new-lead")
    choose(lead.locator("select[name=customer_id]"), "Spree Logistics")
    lead.locator("input[name=interest]").fill("Aurora SUV")
    lead.get_by_role("button").click()
    quote = page.get_by_test_id("quote-form")
    choose(quote.locator("select[name=stock_vehicle_id]"), sample_vin(101))
    choose(quote.locator("select[name=promotion_id]"), "EV week")
    quote.get_by_role("button").click()
    expect(page.locator("[data-field-error=promotion_id]")).to_contain_text(
        "EV week is not valid for Aurora SUV (only Lumen EV)"
    )
    choose(quote.locator("select[name=promotion_id]"), "Aurora spring")
    quote.get_by_role("button").click()
    expect(page.get_by_test_id("quote-promotion")).to_contain_text("Aurora spring")
    expect(page.get_by_test_id("quote-total")).to_have_text("CN¥244,800.00")  # 249,800 - 5,000
    page.get_by_role("button", name="Sign contract").click()
    expect(page.get_by_test_id("order-promotion")).to_contain_text("CN¥5,000.00")
    order_url = page.url.split("?")[0]
    page.get_by_test_id("contract-link").click()
    expect(page.get_by_test_id("contract-promotion")).to_contain_text("Aurora spring")
    pdf = page.request.get(f"{order_url}/contract.pdf")
    assert pdf.ok and pdf.body()[:5] in (b"%PDF-", b"<!doc")
    if pdf.body()[:5] == b"%PDF-":
        assert b"promotion Aurora spring" in pdf.body()  # in the PDF's keywords

    page.goto(order_url)
    finance = page.get_by_test_id("finance-form")
    finance.locator("input[name=lender]").fill("Bank of Ningbo")
    finance.locator("input[name=down_payment]").fill("300000")  # more than the total: refused
    finance.locator("input[name=rate]").fill("4.5")
    finance.get_by_role("button").click()
    expect(page.locator("[data-field-error=down_payment]")).to_contain_text("less than the contract total")
    expect(finance.locator("input[name=lender]")).to_have_value("Bank of Ningbo")
    finance.locator("input[name=down_payment]").fill("44800")
    finance.locator("select[name=term_months]").select_option("36")
    finance.get_by_role("button").click()
    row = page.get_by_test_id("finance").locator("tr[data-application]")
    expect(row.get_by_test_id("monthly")).to_have_text("CN¥5,949.38")  # 200,000 at 4.5 % over 36 months
    expect(row.get_by_test_id("finance-status")).to_have_text("submitted")
    expect(row.get_by_role("button", name="Lender approved")).to_have_count(0)  # not hers to record
    page.click("text=Log out")

    login(page, portal_url, "max")
    page.goto(order_url)
    page.get_by_role("button", name="Lender approved").click()
    expect(page.get_by_test_id("finance-status")).to_have_text("approved")
    page.goto(f"{portal_url}/sales/stats")
    used = page.locator("[data-promotion='Aurora spring']")
    expect(used.get_by_test_id("promotion-orders")).to_have_text("1")
    expect(used.get_by_test_id("promotion-amount")).to_have_text("CN¥5,000.00")
    page.click("text=Log out")
    login(page, portal_url, "sven")
    page.goto(f"{portal_url}/sales/promotions")
    expect(page.get_by_test_id("promotions")).not_to_contain_text("Aurora spring")  # D1's promotion
    assert page.goto(order_url).status == 404


def test_the_floor_plan_and_the_yard_map(browser_page, portal_url):
    """The sales manager finances a stock vehicle; the service advisor moves vehicles on the yard map;
    the salesperson reads the map but moves nothing; the other dealer sees none of it."""
    page = browser_page
    login(page, portal_url, "max")
    page.goto(f"{portal_url}/stock?q={sample_vin(103)}")
    page.get_by_role("link", name=sample_vin(103)).click()
    vehicle_url = page.url.split("?")[0]
    plan = page.get_by_test_id("floor-plan-form")
    plan.locator("input[name=lender]").fill("Bank of Ningbo")
    plan.locator("input[name=principal]").fill("150000")
    plan.locator("input[name=rate]").fill("5.5")
    plan.get_by_role("button").click()
    expect(page.get_by_test_id("floor-plan")).to_contain_text("Bank of Ningbo")
    # the sample vehicle arrived 118 days ago: 150,000 x 5.5 % x 118 / 365 = 2,667.12
    expect(page.get_by_test_id("interest")).to_have_text("CN¥2,667.12")
    page.goto(f"{portal_url}/stock/floor-plan")
    expect(page.locator(f"[data-vin={sample_vin(103)}]").get_by_test_id("days")).to_have_text("118")
    page.click("text=Log out")

    login(page, portal_url, "sue")
    assert page.goto(f"{portal_url}/stock/floor-plan").status == 403
    page.goto(vehicle_url)
    expect(page.get_by_test_id("floor-plan")).to_have_count(0)
    expect(page.get_by_test_id("move-form")).to_have_count(0)
    page.goto(f"{portal_url}/stock/yard")
    expect(page.locator("[data-slot=A-01-03]")).to_contain_text(sample_vin(103)[-6:])
    expect(page.get_by_test_id("zone-form")).to_have_count(0)
    page.click("text=Log out")

    login(page, portal_url, "sam")
    page.goto(vehicle_url)
    move = page.get_by_test_id("move-form")
    move.locator("input[name=row]").fill("1")
    move.locator("input[name=slot]").fill("2")  # taken by 102
    move.get_by_role("button").click()
    expect(page.locator("[data-field-error=slot]")).to_contain_text(f"A-01-02 is taken by {sample_vin(102)}")
    move.locator("input[name=row]").fill("3")
    move.locator("input[name=slot]").fill("6")
    move.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("moved to A-03-06")
    page.goto(f"{portal_url}/stock/yard")
    zone = page.locator("[data-zone=A]")
    expect(zone.locator("[data-slot=A-03-06]")).to_contain_text(sample_vin(103)[-6:])
    expect(zone.locator("[data-slot=A-01-03]")).not_to_contain_text(sample_vin(103)[-6:])
    expect(zone.locator("td.taken")).to_have_count(3)
    form = page.get_by_test_id("zone-form")
    form.locator("input[name=zone]").fill("EV")
    form.locator("input[name=rows]").fill("2")
    form.locator("input[name=slots]").fill("4")
    form.get_by_role("button").click()
    expect(page.locator("[data-zone=EV]").locator("td.free")).to_have_count(8)
    page.click("text=Log out")

    login(page, portal_url, "olga")  # the other dealer: its own zone B, none of D1's vehicles
    page.goto(f"{portal_url}/stock/yard")
    expect(page.locator("[data-zone=B]")).to_have_count(1)
    expect(page.locator("[data-zone=A]")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(sample_vin(103)[-6:])
    assert page.goto(vehicle_url).status == 404
