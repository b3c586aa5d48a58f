"""Issue #21 in real headless Chromium, each workflow as the role that does it: the advisor's customer
records (dedupe, complaint, merge), a work-order amendment approved by the customer with the technician
clocking labour, and a warranty claim from draft to credit; refusals for the wrong role and dealer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.support.portal import login

pytestmark = pytest.mark.browser


def _refused(page, url: str, status: int, text: str) -> None:
    response = page.goto(url)
    assert response.status == status
    expect(page.get_by_test_id("error-message")).to_contain_text(text)


def test_advisor_keeps_one_record_per_customer_and_merges_a_duplicate(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/customers")
    form = page.get_by_test_id("customer-form")
    form.locator("input[name=name]").fill("Chen Jie")
    form.locator("input[name=phone]").fill("139 1234 5678")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("Chen Jie")
    chen_url = page.url.split("?")[0]

    page.goto(f"{portal_url}/customers")
    form = page.get_by_test_id("customer-form")
    form.locator("input[name=name]").fill("Jie Chen")
    form.locator("input[name=phone]").fill("13912345678")
    form.get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text("Chen Jie")  # same phone: refused, typed kept
    expect(form.locator("input[name=name]")).to_have_value("Jie Chen")
    form.locator("input[name=phone]").fill("")
    form.locator("input[name=email]").fill("chen.jie@example.com")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("Jie Chen")
    duplicate_id = page.url.split("?")[0].rsplit("/", 1)[1]

    page.goto(chen_url)
    complaint = page.get_by_test_id("complaint-form")
    page.get_by_text("Record a complaint").click()
    complaint.locator("textarea[name=text]").fill("car was not washed after the service")
    complaint.get_by_role("button").click()
    row = page.locator("[data-testid=complaints] tr", has_text="not washed")
    row.locator("input[name=resolution]").fill("apologised, free wash voucher")
    row.get_by_role("button", name="Resolve").click()
    expect(page.get_by_test_id("complaints")).to_contain_text("resolved")
    edit = page.get_by_test_id("customer-edit")
    edit.locator("input[name=consent]").check()
    edit.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("customer saved")

    merge = page.get_by_test_id("merge-form")
    merge.locator("select[name=duplicate_id]").select_option(duplicate_id)
    merge.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text(f"customer #{duplicate_id} merged")
    expect(page.get_by_test_id("customer-edit").locator("input[name=email]")).to_have_value(
        "chen.jie@example.com"
    )
    page.goto(f"{portal_url}/customers?q=chen")
    expect(page.locator("[data-testid=customer-list] tbody tr")).to_have_count(1)
    page.click("text=Log out")

    login(page, portal_url, "olga")
    _refused(page, chen_url, 404, "no customer")
    page.click("text=Log out")
    login(page, portal_url, "tim")
    expect(page.locator(".topbar nav")).not_to_contain_text("Customers")
    _refused(page, f"{portal_url}/customers", 403, "a technician may not use customers")


def test_amendment_approved_by_the_customer_labour_clocked_and_the_invoice_paid(chromium, portal_url):
    sam = chromium.new_context(viewport={"width": 1400, "height": 900}).new_page()
    tim = chromium.new_context(viewport={"width": 1400, "height": 900}).new_page()
    login(sam, portal_url, "sam")
    sam.goto(f"{portal_url}/service")
    sam.locator("[data-testid=orders] tr", has_text="rattle from rear door").locator("a").first.click()
    order_url = sam.url.split("?")[0]
    state = sam.get_by_test_id("order-state")
    sam.click("text=Customer accepted: open work order")
    expect(state).to_have_text("Work order")
    sam.select_option("select[name=technician]", "tim")
    sam.get_by_role("button", name="Assign").click()
    expect(state).to_have_text("Assigned")
    promise = sam.get_by_test_id("promise-form")
    promise.locator("input[name=promised_at]").fill("2030-01-07T17:00")
    promise.get_by_role("button").click()
    expect(sam.get_by_test_id("promised")).to_have_text("2030-01-07 17:00")

    sam.get_by_text("Add a line").click()
    add = sam.get_by_test_id("amend-add")
    add.locator("input[name=description]").fill("Replace door check strap")
    add.locator("input[name=quantity]").fill("0.5")
    add.locator("input[name=rate]").fill("95")
    add.locator("input[name=approved_by]").fill("Mr Krause, Spree fleet manager")
    add.locator("input[name=approved_at]").fill("2035-01-01T10:00")
    add.get_by_role("button").click()
    expect(sam.get_by_role("alert")).to_contain_text("cannot be in the future")  # refused, typed kept
    add = sam.get_by_test_id("amend-add")
    expect(add.locator("input[name=description]")).to_have_value("Replace door check strap")
    add.locator("input[name=approved_at]").fill("")
    add.locator("select[name=approval_method]").select_option("phone")
    add.get_by_role("button").click()
    expect(sam.get_by_test_id("estimate")).to_have_text("CN¥142.50")  # 95.00 + 0.5 h x 95
    expect(sam.get_by_test_id("amendments")).to_contain_text("Mr Krause, Spree fleet manager")
    # a second fault found mid-repair, under the manufacturer's warranty: claimed, not charged
    sam.get_by_text("Add a line").click()
    add = sam.get_by_test_id("amend-add")
    add.locator("input[name=description]").fill("Door seal torn, under warranty")
    add.locator("input[name=quantity]").fill("0.25")
    add.locator("input[name=rate]").fill("95")
    add.locator("select[name=pay_type]").select_option("warranty")
    add.locator("input[name=approved_by]").fill("Mr Krause, Spree fleet manager")
    add.locator("select[name=approval_method]").select_option("phone")
    add.get_by_role("button").click()
    expect(sam.get_by_test_id("amendments")).to_contain_text("Door seal torn")

    login(tim, portal_url, "tim")
    tim.goto(order_url)
    expect(tim.get_by_test_id("amend")).to_have_count(0)  # the technician reads, he does not amend
    tim.get_by_role("button", name="Clock on").click()
    expect(tim.get_by_role("status")).to_contain_text("clocked on")
    tim.get_by_role("button", name="Clock off").click()
    expect(tim.get_by_role("status")).to_contain_text("clocked off")
    expect(tim.get_by_test_id("clocked-tim")).to_have_text(re.compile(r"0:0\d h"))
    forged = tim.request.post(f"{order_url}/amend/cancel", form={"item_id": "1"})
    assert forged.status == 403

    sam.reload()
    expect(sam.get_by_test_id("clock")).to_contain_text("tim")
    sam.get_by_role("button", name="Passed").click()
    expect(state).to_have_text("Quality checked")
    sam.click("text=Settle and invoice")
    expect(state).to_have_text("Settled")
    expect(sam.get_by_test_id("invoice-total")).to_have_text("CN¥142.50")  # the warranty line is not billed
    order_id = order_url.rstrip("/").rsplit("/", 1)[1]
    sam.goto(f"{portal_url}/warranty")  # the warranty line goes to the manufacturer as a claim
    sam.get_by_test_id("claimable").locator("tr", has_text=f"#{order_id} ").get_by_role(
        "button", name="Draft claim"
    ).click()
    expect(sam.get_by_test_id("claim-state")).to_have_text("Draft")
    claim = sam.request.get(f"{sam.url.split('?')[0]}/export.json").json()
    assert [line["description"] for line in claim["lines"]] == ["Door seal torn, under warranty"]
    sam.get_by_role("button", name="Submit to the manufacturer").click()
    expect(sam.get_by_test_id("claim-state")).to_have_text("Submitted")
    sam.goto(order_url)

    sam.get_by_test_id("order-invoice").click()  # settlement issued the invoice: the customer pays
    invoice_url = sam.url.split("?")[0]
    expect(sam.get_by_test_id("invoice-gross")).to_have_text("CN¥142.50")
    expect(sam.get_by_test_id("invoice-tax")).to_have_text("CN¥16.39")  # 13 % VAT included
    payment = sam.get_by_test_id("payment-form")
    payment.locator("input[name=amount]").fill("200")
    payment.get_by_role("button").click()
    expect(sam.get_by_role("alert")).to_contain_text("at most the 142.50 outstanding")
    payment = sam.get_by_test_id("payment-form")
    payment.locator("input[name=amount]").fill("100")
    payment.locator("select[name=method]").select_option("wechat")
    payment.get_by_role("button").click()
    expect(sam.get_by_test_id("invoice-status")).to_have_text("partly paid")
    sam.get_by_test_id("payment-form").get_by_role("button").click()  # the rest, 42.50, is proposed
    expect(sam.get_by_test_id("invoice-status")).to_have_text("paid")
    pdf = sam.request.get(f"{invoice_url}/pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    assert tim.goto(invoice_url).status == 403
    sam.goto(order_url)  # the follow-up call: the customer's satisfaction
    survey = sam.get_by_test_id("survey-form")
    survey.locator("select[name=score]").select_option("5")
    survey.locator("input[name=comment]").fill("door quiet, done on time")
    survey.get_by_role("button").click()
    expect(sam.get_by_test_id("survey-answer")).to_contain_text("5 / 5 door quiet")
    sam.context.close()
    tim.context.close()


def test_warranty_claim_from_draft_to_credit(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/warranty")
    page.get_by_test_id("claimable").get_by_role("button", name="Draft claim").first.click()
    state = page.get_by_test_id("claim-state")
    expect(state).to_have_text("Draft")
    claim_url = page.url.split("?")[0]
    exported = page.request.get(f"{claim_url}/export.json")
    assert exported.ok and exported.json()["lines"][0]["part_number"] == "BP-220"
    page.get_by_role("button", name="Submit to the manufacturer").click()
    expect(state).to_have_text("Submitted")
    page.get_by_role("button", name="Manufacturer accepted").click()
    expect(state).to_have_text("Accepted")
    page.get_by_role("button", name="Book credit").click()
    expect(page.get_by_role("alert")).to_contain_text("return the claim's parts")
    page.locator("input[name=reference]").fill("SF1234567890")
    page.get_by_role("button", name="Parts sent back").click()
    expect(page.get_by_test_id("parts-returned")).to_contain_text("SF1234567890")
    page.locator("input[name=credited]").fill("110,00")
    page.get_by_role("button", name="Book credit").click()
    expect(state).to_have_text("Credited")
    expect(page.get_by_test_id("credited")).to_have_text("CN¥110.00")
    page.click("text=Log out")

    login(page, portal_url, "olga")
    _refused(page, claim_url, 404, "no warranty claim")
    page.click("text=Log out")
    login(page, portal_url, "tim")
    _refused(page, f"{portal_url}/warranty", 403, "a technician may not use warranty")


def test_advisor_edits_a_price_orders_the_reorder_list_and_receives_against_it(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/parts")
    row = page.locator("tr[data-part=SP-040]")
    row.locator("summary").click()
    edit = row.get_by_test_id("part-edit")
    edit.locator("input[name=unit_price]").fill("10,90")
    edit.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("part SP-040 saved")
    expect(page.locator("tr[data-part=SP-040]")).to_contain_text("10.90")

    page.goto(f"{portal_url}/purchasing")
    needs = page.get_by_test_id("needs")
    expect(needs).to_contain_text("BP-220")
    page.locator("tr[data-need=WB-500] input[type=checkbox]").uncheck()
    page.get_by_test_id("order-form").get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("ordered: PO-")
    state = page.get_by_test_id("po-state")
    expect(state).to_have_text("Ordered")
    po_url = page.url.split("?")[0]
    line = page.locator("tr[data-line=BP-220]")
    ordered = float(line.locator("td").nth(1).inner_text())
    line.locator("input[name=qty]").fill(str(ordered + 1))
    line.get_by_role("button", name="Receive").click()
    expect(page.get_by_role("alert")).to_contain_text("still open on this line")
    line = page.locator("tr[data-line=BP-220]")
    line.locator("input[name=qty]").fill("1")
    line.get_by_role("button", name="Receive").click()
    expect(state).to_have_text("Partly received")
    page.locator("tr[data-line=BP-220]").get_by_role("button", name="Receive").click()  # the rest
    expect(state).to_have_text("Received")
    page.goto(f"{portal_url}/purchasing")
    expect(page.get_by_test_id("needs")).not_to_contain_text("BP-220")
    page.click("text=Log out")

    login(page, portal_url, "olga")
    _refused(page, po_url, 404, "no purchase order")
    page.click("text=Log out")
    login(page, portal_url, "tim")
    _refused(page, f"{portal_url}/purchasing", 403, "a technician may not use parts")


def test_advisor_reads_revenue_and_parts_figures_for_a_period(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/kpis")
    page.get_by_role("link", name="Revenue, parts share and turnover by period").click()
    form = page.get_by_test_id("period-form")
    year_ago = datetime.now(UTC).date() - timedelta(days=365)
    form.locator("input[name=from]").fill(year_ago.isoformat())
    form.get_by_role("button").click()
    expect(page).to_have_url(re.compile(rf"from={year_ago.isoformat()}"))
    expect(page.get_by_test_id("revenue")).not_to_have_text("CN¥0.00")  # the sample history's invoices
    expect(page.get_by_test_id("parts-share")).to_have_text(re.compile(r"\d+\.\d %"))
    expect(page.get_by_test_id("turnover-avg")).to_have_text(re.compile(r"\d+\.\d\d"))
    expect(page.get_by_test_id("satisfaction")).to_contain_text("5.0 · 100 %")  # the survey answered above
    page.click("text=Log out")
    login(page, portal_url, "dora")
    _refused(page, f"{portal_url}/finance", 403, "a dispatcher may not use invoices")


def test_counter_sale_over_the_counter_is_invoiced_and_paid(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/counter")
    form = page.get_by_test_id("sale-form")
    plugs = form.locator("select[name=part_0] option", has_text="SP-040").get_attribute("value")
    form.locator("select[name=part_0]").select_option(plugs)
    form.locator("input[name=qty_0]").fill("999")
    form.get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text("not enough stock: SP-040")
    form = page.get_by_test_id("sale-form")
    form.locator("input[name=qty_0]").fill("4")
    form.locator("input[name=customer_name]").fill("Walk-in Wu")
    form.locator("select[name=paid_by]").select_option("alipay")
    form.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("sold: invoice D1-")
    expect(page.get_by_test_id("invoice-status")).to_have_text("paid")
    expect(page.get_by_test_id("invoice-lines")).to_contain_text("SP-040")
    page.click("text=Log out")
    login(page, portal_url, "tim")
    _refused(page, f"{portal_url}/counter", 403, "a technician may not use parts")
