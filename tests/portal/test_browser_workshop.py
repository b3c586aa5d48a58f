"""Issue #21, second part, in real headless Chromium, each workflow as the role that does it: the
dealer admin's currency and VAT rate on the next invoice; the advisor's technician teams and skills with
assignment by skill; a service reminder e-mailed to a consenting customer through a real SMTP server; a
supplier invoice matched to a receipt, its difference accepted by an admin, paid, and the payables on
/finance. Each with refusals for the wrong role and for another dealer's records."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.portal import login

pytestmark = pytest.mark.browser
ZERO = re.compile(r"^\D*0\.00$")  # in whichever currency D1 is in by then


def _refused(page, url: str, status: int, text: str) -> None:
    response = page.goto(url)
    assert response.status == status
    expect(page.get_by_test_id("error-message")).to_contain_text(text)


def _tampered_post(page, action: str, fields: dict[str, str]) -> None:
    """Submit a form the page does not offer (a hand-made POST with the session's own CSRF token)."""
    page.evaluate(
        """([action, fields]) => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = action;
            const token = document.querySelector('input[name=csrf_token]').value;
            for (const [name, value] of Object.entries({...fields, csrf_token: token})) {
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        [action, fields],
    )


def _logout(page) -> None:
    page.click("text=Log out")


def test_dealer_admin_sets_currency_and_vat_and_the_next_invoice_uses_them(
    browser_page, portal_url, sample_db
):
    from dealer_portal.sample_data import password_for
    from gateway.auth import create_user
    from gateway.db.session import make_engine, make_sessionmaker, session_scope

    with session_scope(make_sessionmaker(make_engine(sample_db))) as db:  # the operator made a D2 admin
        from datetime import UTC, datetime

        create_user(
            db, "dana", password_for("dana"), "admin", dealer_code="D2", now=datetime.now(UTC), rounds=4
        )
    page = browser_page
    login(page, portal_url, "ada")
    page.goto(f"{portal_url}/admin/users")
    page.get_by_test_id("admin-tabs").get_by_role("link", name="Invoicing settings").click()
    form = page.get_by_test_id("settings-D1")
    form.locator("input[name=currency]").fill("EURO")
    form.locator("input[name=tax_rate]").fill("19")
    form.get_by_role("button").click()
    form = page.get_by_test_id("settings-D1")
    expect(form.locator("[data-field-error=currency]")).to_contain_text("ISO 4217")
    expect(form.locator("input[name=tax_rate]")).to_have_value("19")  # what was typed is kept
    form.locator("input[name=currency]").fill("EUR")
    form.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("settings of dealer D1 saved")
    expect(page.get_by_test_id("settings-D2").locator("input[name=currency]")).to_have_value("CNY")
    _logout(page)

    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/counter")
    form = page.get_by_test_id("sale-form")
    plugs = form.locator("select[name=part_0] option", has_text="SP-040").get_attribute("value")
    form.locator("select[name=part_0]").select_option(plugs)
    form.locator("input[name=qty_0]").fill("1")
    form.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("sold: invoice D1-")
    expect(page.get_by_test_id("invoice-gross")).to_contain_text("€")
    expect(page.locator("table", has=page.get_by_test_id("invoice-tax"))).to_contain_text("VAT 19 %")
    pdf = page.request.get(page.url.split("?")[0] + "/pdf").body()
    assert pdf.startswith(b"%PDF-")  # (its text: test_workshop_records)
    _refused(
        page, f"{portal_url}/dealer-settings", 403, "a service advisor may not use the invoicing settings"
    )
    _logout(page)

    login(page, portal_url, "dana")  # D2's admin: their own dealer only
    page.goto(f"{portal_url}/dealer-settings")
    expect(page.get_by_test_id("settings-D2")).to_be_visible()
    expect(page.get_by_test_id("settings-D1")).to_have_count(0)
    _tampered_post(
        page, "/dealer-settings/D1", {"currency": "USD", "tax_rate": "0", "service_interval": "12"}
    )
    expect(page.get_by_test_id("error-message")).to_contain_text("no dealer D1")


def test_advisor_keeps_teams_and_skills_and_assigns_by_skill(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.get_by_role("link", name="Workshop").click()
    team = page.get_by_test_id("team-form")
    team.locator("input[name=team]").fill("EV team")
    team.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("team EV team created")
    profile = page.get_by_test_id("profile-tim")
    profile.locator("select[name=team_id]").select_option(label="EV team")
    profile.get_by_label("Engine and drivetrain").check()
    profile.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("tim: team and skills saved")

    page.goto(f"{portal_url}/service?show=all")
    page.locator("tr", has_text="rattle from rear door").first.get_by_role("link").first.click()
    order_url = page.url.split("?")[0]
    page.get_by_role("button", name="Customer accepted: open work order").click()
    skill = page.get_by_test_id("skill-form")
    skill.locator("select[name=skill]").select_option(label="High-voltage (EV) systems")
    skill.get_by_role("button").click()
    expect(page.get_by_test_id("order-skill")).to_have_text("High-voltage (EV) systems")
    page.get_by_test_id("assign-form").get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text("tim does not have the skill this work order needs")
    expect(page.get_by_test_id("order-technician")).to_have_text("—")

    page.goto(f"{portal_url}/workshop")
    page.get_by_test_id("profile-tim").get_by_label("High-voltage (EV) systems").check()
    page.get_by_test_id("profile-tim").get_by_role("button").click()
    page.goto(order_url)
    page.get_by_test_id("assign-form").get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("technician assigned")
    expect(page.get_by_test_id("order-technician")).to_have_text("tim")
    page.goto(f"{portal_url}/workshop")
    order_id = order_url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("open-tim")).to_contain_text(f"#{order_id}")
    expect(page.locator("[data-testid=team-loads] tr[data-team='EV team']")).to_contain_text("1")
    _logout(page)

    login(page, portal_url, "olga")  # another dealer: D1's technicians are not hers
    page.goto(f"{portal_url}/workshop")
    expect(page.get_by_test_id("technicians")).not_to_contain_text("tim")
    _tampered_post(page, "/workshop/technicians/tim", {"skill": "paint"})
    expect(page.get_by_test_id("error-message")).to_contain_text("no technician tim")
    _logout(page)
    login(page, portal_url, "tim")
    _refused(page, f"{portal_url}/workshop", 403, "a technician may not use the workshop")


def test_advisor_reminds_a_consenting_customer_by_email(browser_page, portal_url, sample_db):
    from datetime import UTC, datetime

    from dealer_portal.notify.settings import NotifySettings
    from dealer_portal.notify.worker import NotificationWorker
    from gateway.db.session import make_engine, make_sessionmaker
    from tests.support.notify import smtp_server

    page = browser_page
    login(page, portal_url, "sam")
    page.get_by_role("link", name="Reminders").click()
    row = page.locator("[data-testid=due] tr", has_text="Spree Logistics GmbH")
    expect(row).to_contain_text("maintenance due at 60,000 km")
    expect(row.get_by_test_id("state")).to_have_text("no consent to contact")  # not offered to send
    expect(row.get_by_role("button")).to_have_count(0)
    row.get_by_role("link", name="Spree Logistics GmbH").click()
    customer_url = page.url.split("?")[0]
    edit = page.get_by_test_id("customer-edit")
    edit.locator("input[name=email]").fill("service@spree.example")
    edit.locator("input[name=consent]").check()
    edit.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("customer saved")

    page.goto(f"{portal_url}/reminders")
    page.locator("[data-testid=due] tr", has_text="Spree").get_by_role("button", name="Send reminder").click()
    expect(page.get_by_role("status")).to_contain_text("reminder queued for service@spree.example")
    expect(page.get_by_test_id("due")).not_to_contain_text("Spree")  # reminded once
    sent = page.locator("[data-testid=sent] tr", has_text="Spree")
    expect(sent.get_by_test_id("delivery")).to_have_text("queued")

    with smtp_server() as box:  # the notification worker, as `dms portal notify` runs it
        settings = NotifySettings(smtp_host=box.host, smtp_port=box.port)
        worker = NotificationWorker(
            make_sessionmaker(make_engine(sample_db)), settings, lambda: datetime.now(UTC)
        )
        passed = worker.run_once()
        assert passed.failed == 0 and passed.sent >= 1, passed.errors
        (mail,) = [m for m in box.messages if m["To"] == "service@spree.example"]
    assert re.fullmatch(r"Service reminder for your vehicle VAN-1 \(.+\)", mail["Subject"])
    assert "maintenance due at 60,000 km" in mail.get_payload(decode=True).decode()
    page.reload()
    expect(page.locator("[data-testid=sent] tr", has_text="Spree").get_by_test_id("delivery")).to_have_text(
        "sent"
    )
    _logout(page)

    login(page, portal_url, "olga")
    _refused(page, customer_url, 404, "no customer")
    page.goto(f"{portal_url}/reminders")
    expect(page.get_by_test_id("sent")).not_to_contain_text("Spree")
    _tampered_post(page, "/reminders/send", {"key": "appointment:1"})
    expect(page.get_by_test_id("error-message")).to_contain_text("no due service appointment:1")
    _logout(page)
    login(page, portal_url, "tim")
    _refused(page, f"{portal_url}/reminders", 403, "a technician may not use customers")


def test_supplier_invoice_matched_to_a_receipt_accepted_paid_and_aged(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/purchasing")
    boxes = page.locator("[data-testid=needs] input[type=checkbox]")
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    page.locator("tr[data-need=BP-220] input[type=checkbox]").check()
    page.get_by_test_id("order-form").get_by_role("button").click()
    expect(page.get_by_test_id("po-state")).to_have_text("Ordered")
    line = page.locator("tr[data-line=BP-220]")
    line.locator("input[name=qty]").fill("2")
    line.get_by_role("button", name="Receive").click()
    expect(page.get_by_test_id("po-state")).to_have_text("Partly received")

    form = page.get_by_test_id("supplier-invoice-form")
    form.locator("input[name=supplier_number]").fill("BR-7781")
    invoiced = form.locator("tr[data-invoice-line=BP-220]")
    expect(invoiced.locator("input[name^=qty_]")).to_have_value("2")
    cost = float(invoiced.locator("input[name^=unit_]").input_value())
    invoiced.locator("input[name^=qty_]").fill("3")
    form.get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "BP-220: 3 invoiced, but only 2 received and not yet invoiced"
    )
    form = page.get_by_test_id("supplier-invoice-form")
    expect(form.locator("input[name=supplier_number]")).to_have_value("BR-7781")  # kept
    invoiced = form.locator("tr[data-invoice-line=BP-220]")
    invoiced.locator("input[name^=qty_]").fill("2")
    invoiced.locator("input[name^=unit_]").fill(f"{cost + 1:.2f}")
    form.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("supplier invoice BR-7781 recorded")
    expect(page.get_by_test_id("supplier-invoice-status")).to_have_text("difference to check")
    invoice_url = page.url.split("?")[0]
    expect(page.get_by_test_id("accept-difference")).to_have_count(0)  # an advisor cannot accept it
    page.get_by_test_id("supplier-payment-form").get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text("an admin must accept the difference first")
    _logout(page)

    login(page, portal_url, "ada")
    page.goto(invoice_url)
    page.get_by_test_id("accept-difference").click()
    expect(page.get_by_test_id("supplier-invoice-status")).to_have_text("open")
    _logout(page)

    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/finance")
    expect(page.get_by_test_id("payables-ageing")).to_contain_text("not yet due")
    expect(page.get_by_test_id("payables-total")).not_to_have_text(ZERO)
    page.get_by_role("link", name="Supplier invoices and payments").click()
    page.locator("tr[data-invoice=BR-7781]").get_by_role("link").first.click()
    page.get_by_test_id("supplier-payment-form").get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("payment to the supplier recorded")
    expect(page.get_by_test_id("supplier-invoice-status")).to_have_text("paid")
    page.goto(f"{portal_url}/finance")
    expect(page.get_by_test_id("payables-total")).to_have_text(ZERO)
    _logout(page)

    login(page, portal_url, "olga")
    _refused(page, invoice_url, 404, "no supplier invoice")
    _logout(page)
    login(page, portal_url, "tim")
    _refused(page, f"{portal_url}/payables", 403, "a technician may not use invoices")
