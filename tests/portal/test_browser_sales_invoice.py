"""A vehicle sale invoiced (销售开票) in real headless Chromium (issue #22): the salesperson hands the
vehicle over (its floor-plan line is paid off), is refused the invoice; the sales manager issues it and
downloads its PDF; the other dealer's manager does not find it; the receivables desk records the payment
and the sale leaves the receivables; the customer's record lists the purchase."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from dealer_portal.records import sales, sales_finance
from dealer_portal.records.sales_tables import StockVehicle
from dealer_portal.records.tables import Customer
from dealer_portal.sample_data import sample_vin
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.portal import SALES, SALES_MANAGER, csrf_of, login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def signed_order(sample_db) -> tuple[int, int]:
    """A signed order (deposit 20,000.00) on sample vehicle 103 (PDI done), on the floor plan: what the
    lead-to-delivery walk of test_browser_sales does in the browser, done here in the records."""
    now = datetime.now(UTC)
    engine = make_engine(sample_db)
    with make_sessionmaker(engine)() as db:
        vehicle = db.query(StockVehicle).filter_by(vin=sample_vin(103)).one()
        customer = db.query(Customer).filter_by(dealer_code="D1").order_by(Customer.id).first()
        lead = sales.create_lead(db, SALES, customer_id=customer.id, interest="Aurora SUV", now=now)
        quote = sales.create_quote(
            db,
            SALES,
            lead.id,
            stock_vehicle_id=vehicle.id,
            options=[("Tow bar", 85_000)],
            discount_cents=100_000,
            threshold_pct=Decimal(3),
            now=now,
        )
        order = sales.sign_order(db, SALES, quote.id, 2_000_000, now)
        sales_finance.finance_vehicle(
            db,
            SALES_MANAGER,
            vehicle.id,
            lender="Bank of Ningbo",
            principal_cents=18_000_000,
            rate=Decimal("5.5"),
            started_on=None,
            now=now,
        )
        db.commit()
        ids = order.id, customer.id
    engine.dispose()
    return ids


def test_a_delivered_sale_is_invoiced_paid_and_leaves_the_receivables(browser_page, portal_url, signed_order):
    page = browser_page
    order_id, customer_id = signed_order
    order_url = f"{portal_url}/sales/orders/{order_id}"
    login(page, portal_url, "sue")
    page.goto(order_url)
    expect(page.get_by_test_id("sale-invoice")).to_contain_text("invoiced once the vehicle is delivered")
    deliver = page.get_by_test_id("deliver-form")
    deliver.locator("input[name=plate]").fill("B-NS 103")
    deliver.locator("input[name=received_by]").fill("Spree Logistics fleet manager")
    for box in deliver.locator("input[type=checkbox]").all():
        box.check()
    deliver.get_by_role("button").click()
    expect(page.get_by_test_id("order-status")).to_have_text("delivered")
    # the salesperson who sold it does not invoice: no button, and the request itself is refused
    expect(page.get_by_test_id("sale-invoice-form")).to_have_count(0)
    refused = page.request.post(f"{order_url}/invoice", form={"csrf_token": csrf_of(page.content())})
    assert refused.status == 403
    page.click("text=Log out")

    login(page, portal_url, "sven")  # the other dealer's sales manager
    assert page.goto(order_url).status == 404
    page.click("text=Log out")

    login(page, portal_url, "max")
    page.goto(order_url)
    page.get_by_test_id("sale-invoice-form").get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("issued")
    number = page.get_by_test_id("sale-invoice-number").inner_text()
    assert number.startswith("D1-") and page.get_by_test_id("sale-invoice-form").count() == 0
    # 189,900 + 850 - 1,000 = 189,750.00, less the 20,000.00 deposit
    expect(page.get_by_test_id("sale-invoice-outstanding")).to_have_text("CN¥169,750.00")
    pdf = page.request.get(portal_url + page.get_by_test_id("sale-invoice-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"
    assert pdf.headers["content-type"] == "application/pdf"
    page.goto(f"{portal_url}/stock/floor-plan")  # delivery paid the lender off
    paid = page.get_by_test_id("floor-plan-payoffs").locator(f"[data-vin={sample_vin(103)}]")
    expect(paid.get_by_test_id("payoff")).to_contain_text("at the sale SO-D1-")
    expect(page.get_by_test_id("floor-plans").locator(f"[data-vin={sample_vin(103)}]")).to_have_count(0)
    page.click("text=Log out")

    login(page, portal_url, "sam")  # the receivables desk: the same list as the workshop's invoices
    page.goto(f"{portal_url}/invoices")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("invoice-sale")).to_contain_text("SO-D1-")
    lines = page.get_by_test_id("invoice-lines")
    expect(lines).to_contain_text("Vehicle: Aurora SUV")
    expect(lines).to_contain_text("Discount")
    expect(page.get_by_test_id("payments")).to_contain_text("deposit on the contract")
    pay = page.get_by_test_id("payment-form")
    expect(pay.locator("select[name=method] option[value=deposit]")).to_have_count(0)
    pay.locator("input[name=amount]").fill("169750.01")
    pay.get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text("at most the 169750.00 outstanding")
    pay.locator("input[name=amount]").fill("169750.00")
    pay.locator("select[name=method]").select_option("transfer")
    pay.get_by_role("button").click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("paid")
    page.goto(f"{portal_url}/invoices")
    expect(page.locator("body")).not_to_contain_text(number)
    page.goto(f"{portal_url}/customers/{customer_id}")  # the customer's purchase history (购车经历)
    expect(page.get_by_test_id("customer-purchases")).to_contain_text(number)
