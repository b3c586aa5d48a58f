"""A zh-CN session in real Chromium: the language chosen on the login page, the zone in the header,
and every main page without a text of the portal left in English.

Texts stored in English and read in the reader's language are scanned too: audit-log details, the
reasons the gateway writes on proposed maintenance (the service list, a work order, the vehicle's
timeline), and the API documentation's error answers. Texts people typed stay as typed and are no
msgid, so they are not flagged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.support.i18n import untranslated

pytestmark = pytest.mark.browser

# Every visible text node, plus the texts people read in attributes (placeholders, tooltips, labels).
VISIBLE_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('script,style,noscript')) continue;
    if (el.closest('select') && !el.closest('option')) continue;
    out.push(n.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder],[title],[aria-label]')) {
    for (const a of ['placeholder', 'title', 'aria-label']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  out.push(document.title);
  return out;
}"""

PAGES = [
    "/fleet",
    "/vehicles",
    "/vehicles/VAN-1",
    "/dispatch",
    "/service",
    None,
    "proposal",
    "/parts",
    "/scrapping",
    "/kpis",
    "/audit",
    "/no-such-page",
]


def test_a_chinese_session_shows_every_main_page_in_chinese(browser_page, portal_url):
    page = browser_page
    from dealer_portal.sample_data import password_for

    page.goto(f"{portal_url}/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.select_option("[data-testid=language]", "zh_CN")  # before login: remembered in a cookie
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator(".login .brand")).to_have_text("登录")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", password_for("ada"))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=who]")
    page.select_option("[data-testid=language]", "zh_CN")  # stored on the user
    page.select_option("[data-testid=time-zone]", "Asia/Shanghai")
    expect(page.get_by_role("status")).to_have_text("语言和时区已保存")
    page.goto(f"{portal_url}/fleet")
    expect(page.get_by_test_id("time-zone-label")).to_contain_text("Asia/Shanghai (UTC+08:00)")
    page.context.clear_cookies(name="dms_lang")  # the user's setting alone keeps the language
    problems = {}
    for path in PAGES:
        if path is None:  # a work order
            page.goto(f"{portal_url}/service?show=all")
            path = page.locator("[data-testid=orders] tbody a").first.get_attribute("href")
        if path == "proposal":  # the gateway's reason on the maintenance it proposed, in Chinese
            page.goto(f"{portal_url}/service")
            page.get_by_role(
                "link", name="Oil service：每 15000 km，到期于 60000 km（当前 59650 km）"
            ).click()
            path = page.url.removeprefix(portal_url)
        page.goto(f"{portal_url}{path}")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        if left := untranslated(page.evaluate(VISIBLE_TEXTS)):
            problems[path] = left
    assert not problems, f"English left on zh-CN pages: {problems}"
    expect(page.get_by_test_id("error-message")).to_contain_text("没有页面")


@pytest.fixture(scope="module")
def new_pages_world(sample_db) -> dict[str, str]:
    """Records the sample world has none of, so the new pages show them: a signed sale, one shipment in
    transit and one received with a transport claim, a dead letter, a notification rule with a failed
    delivery, and a microsleep of Jonas Weber (the dispatch form's fatigue warning). Paths by name."""
    from dealer_portal.messages import AUDIT_BOOKED, AUDIT_BOOKED_DESPITE
    from dealer_portal.notify import rules
    from dealer_portal.notify.tables import NotificationDelivery
    from dealer_portal.records import (
        appraisals,
        audit,
        logistics,
        payables,
        promotions,
        purchasing,
        sales,
        sales_finance,
        sales_invoices,
        warranty,
    )
    from dealer_portal.records.actor import Actor
    from dealer_portal.records.sales_tables import StockVehicle
    from dealer_portal.sample_data import ADMIN, ADVISOR, sample_vin
    from gateway.db.models import Alert, DeadLetter
    from gateway.db.session import make_engine, make_sessionmaker
    from gateway.ingest.dead_letters import dead_letter_row

    now = datetime.now(UTC)
    engine = make_engine(sample_db)
    try:
        with make_sessionmaker(engine)() as db:
            seller = Actor("sue", "salesperson", "D1")
            customer = sales.customers(db, seller)[0]
            lead = sales.create_lead(db, seller, customer_id=customer.id, interest="Aurora SUV", now=now)
            stock = {v.vin: v for v in db.scalars(select(StockVehicle))}
            manager = Actor("max", "sales_manager", "D1")
            promotion = promotions.create(
                db,
                manager,
                sponsor="dealer",
                name="Aurora spring",
                amount_cents=300_000,
                valid_from=(now - timedelta(days=1)).date().isoformat(),
                valid_to=(now + timedelta(days=30)).date().isoformat(),
                models="Aurora SUV",
                now=now,
            )
            quote = sales.create_quote(
                db,
                seller,
                lead.id,
                stock_vehicle_id=stock[sample_vin(102)].id,
                options=[("Tow bar", 85_000)],
                discount_cents=100_000,
                threshold_pct=Decimal(3),
                now=now,
                promotion_id=promotion.id,
            )
            order = sales.sign_order(db, seller, quote.id, 2_000_000, now)
            sales_finance.apply(
                db,
                seller,
                order.id,
                lender="Bank of Ningbo",
                down_payment_cents=5_000_000,
                term_months=36,
                rate=Decimal("4.5"),
                now=now,
            )
            sales_finance.finance_vehicle(
                db,
                manager,
                stock[sample_vin(101)].id,
                lender="Bank of Ningbo",
                principal_cents=20_000_000,
                rate=Decimal("5.5"),
                started_on=None,
                now=now,
            )
            # a sale delivered and invoiced (#22): its floor-plan line paid off at delivery, the deposit
            # credited on the invoice (audit details of both in the stored formats)
            sold = stock[sample_vin(103)]
            sold_lead = sales.create_lead(db, seller, customer_id=customer.id, interest="Aurora SUV", now=now)
            sold_quote = sales.create_quote(
                db,
                seller,
                sold_lead.id,
                stock_vehicle_id=sold.id,
                options=[],
                threshold_pct=Decimal(3),
                now=now,
            )
            invoiced = sales.sign_order(db, seller, sold_quote.id, 1_000_000, now)
            sales_finance.finance_vehicle(
                db,
                manager,
                sold.id,
                lender="Bank of Ningbo",
                principal_cents=18_000_000,
                rate=Decimal("5.5"),
                started_on=None,
                now=now,
            )
            sales.deliver(
                db,
                seller,
                invoiced.id,
                vehicle_id="SUV-103",
                plate="B-NS 103",
                odometer_km=10,
                received_by="Li",
                checked=set(sales.HANDOVER_ITEMS),
                now=now,
            )
            vehicle_invoice = sales_invoices.issue(db, manager, invoiced.id, now)
            appraisal = appraisals.appraise(
                db,
                seller,
                seller_name="Zhang Min",
                seller_phone="139",
                vin="LFV3A23C0G3000123",
                model="Sagitar",
                first_registered=2016,
                odometer_km=88_000,
                passed=set(appraisals.CHECKLIST) - {"tyres"},
                grade="B",
                offered_cents=15_000_000,
                notes="",
                limit=Decimal(100_000),
                now=now,
            )
            shipped = logistics.create(
                db,
                ADVISOR,
                waybill="WB-7001",
                carrier="Trans Cargo",
                vins=[sample_vin(104)],
                eta=now + timedelta(days=2),
                now=now,
            )
            received = logistics.create(
                db,
                ADVISOR,
                waybill="WB-7002",
                carrier="Trans Cargo",
                vins=[sample_vin(105)],
                eta=None,
                now=now,
            )
            item = received.items[0]
            logistics.receive(
                db,
                ADVISOR,
                received.id,
                {item.id: logistics.Finding("C-01", "scratch on the tailgate", 45_000)},
                now,
            )
            db.add(
                DeadLetter(
                    **dead_letter_row(
                        "dms/v1/VAN-404/status",
                        b'{"v": 1}',
                        "unknown_vehicle",
                        "VAN-404",
                        now=now,
                        max_bytes=65536,
                    )
                )
            )
            rule = rules.create(
                db,
                ADMIN,
                event_type="microsleep",
                channel="webhook",
                target="https://hooks.example.com/dms",
                secret="",
                now=now,
            )
            db.add(
                NotificationDelivery(
                    rule_id=rule.id,
                    username="ada",
                    channel="webhook",
                    target=rule.target,
                    event_key="alert:1",
                    event_type="microsleep",
                    vehicle_id="VAN-1",
                    subject="Microsleep on VAN-1",
                    body="{}",
                    status="failed",
                    attempts=5,
                    next_attempt_at=now,
                    last_error="the rule was deleted",
                    created_at=now,
                )
            )
            db.add(
                Alert(
                    alert_key="event:VAN-1:zh-microsleep",
                    kind="driver_event",
                    vehicle_id="VAN-1",
                    type="microsleep",
                    level=3,
                    opened_at=now - timedelta(minutes=10),
                )
            )
            # audit details the records layer writes in English (a booking made despite a warning)
            audit.record(
                db,
                ADMIN,
                now,
                "book",
                "booking",
                "0",
                AUDIT_BOOKED.format(
                    vehicle="VAN-6", starts="2026-03-02 08:00", ends="2026-03-02 10:00", driver="Mia"
                )
                + AUDIT_BOOKED_DESPITE.format(warning="VAN-6"),
            )
            # after-sales records with a page of their own: a purchase order received and invoiced by
            # the supplier, and a warranty claim
            po = purchasing.order_from_reorder_list(db, ADVISOR, now)[0]
            line = po.lines[0]
            purchasing.receive(db, ADVISOR, po.id, line.id, qty=line.quantity, bin_code="A-01", now=now)
            supplier_invoice = payables.record(
                db,
                ADVISOR,
                po.id,
                number="SI-7001",
                invoice_date=now.date(),
                due_date=(now + timedelta(days=30)).date(),
                lines={line.id: (line.quantity, line.unit_cost_cents + 100)},  # a price difference
                now=now,
            )
            claim = warranty.create(db, ADVISOR, warranty.claimable(db, ADVISOR)[0].id, now)
            db.commit()
            letter = db.scalar(select(DeadLetter.id).order_by(DeadLetter.id.desc()))
            return {
                "lead": f"/sales/leads/{lead.id}",
                "order": f"/sales/orders/{order.id}",
                "contract": f"/sales/orders/{order.id}/contract",
                "invoiced order": f"/sales/orders/{invoiced.id}",
                "vehicle invoice": f"/invoices/{vehicle_invoice.id}",
                "stock vehicle": f"/stock/{stock[sample_vin(102)].id}",
                "financed stock vehicle": f"/stock/{stock[sample_vin(101)].id}",
                "appraisal": f"/used-cars/{appraisal.id}",
                "shipment in transit": f"/logistics/{shipped.id}",
                "shipment received": f"/logistics/{received.id}",
                "dead letter": f"/admin/dead-letters/{letter}",
                "purchase order": f"/purchasing/{po.id}",
                "supplier invoice": f"/payables/{supplier_invoice.id}",
                "warranty claim": f"/warranty/{claim.id}",
            }
    finally:
        engine.dispose()


NEW_PAGES = [
    "/stock",
    "stock vehicle",
    "/sales",
    "lead",
    "order",
    "contract",
    "invoiced order",
    "vehicle invoice",
    "/sales/stats",
    "/sales/stats?view=dealers",  # the dealers compared, and the demand forecast (#22)
    "/sales/forecast",
    "/sales/promotions",
    "/used-cars",
    "appraisal",
    "/stock/yard",
    "/stock/floor-plan",
    "financed stock vehicle",
    "/logistics",
    "shipment in transit",
    "shipment received",
    "/exchange",
    "/admin/users",
    "/admin/users/2",
    "/admin/dealers",
    "/admin/rules",
    "/admin/rules/1",
    "/admin/dead-letters",
    "dead letter",
    "/notifications",
    "/notifications/log?everyone=1",
    "/vehicles/VAN-3",  # yesterday's two trips, the route, the timeline of alerts, trips and service
    "/audit",  # the new screens' actions
    "/customers",  # after-sales (#21)
    "/customers/1",
    "/warranty",
    "/invoices",
    "/invoices/1",
    "/finance",
    "/purchasing",
    "/counter",
    "/workshop",  # teams and skills, reminders, dealer settings, payables (#21, dp0008)
    "/reminders",
    "/dealer-settings",
    "/payables",
    "purchase order",  # pages of one record (#21)
    "supplier invoice",
    "warranty claim",
    "/vehicles?q=VAN",  # the lists paged and sorted (#20): sort links, pager, the CSV note
    "/fleet?sort=alerts",
    "/notifications?channel=email&sort=newest",
    "/password/forgot",  # the one-time reset link: asking for one, and a link that no longer works
    "/password/reset/no-such-link",
]


def test_the_new_pages_read_in_chinese_too(browser_page, portal_url, new_pages_world):
    """Stock, sales, logistics, the manufacturer exchange (with an import report), the admin screens,
    notifications, a vehicle's trips and timeline, after-sales (customers, warranty, invoices, finance,
    purchasing, counter sales), and the dispatch form's fatigue warning."""
    page = browser_page
    from dealer_portal.sample_data import password_for

    page.goto(f"{portal_url}/login")
    page.select_option("[data-testid=language]", "zh_CN")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", password_for("ada"))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=who]")
    page.select_option("[data-testid=language]", "zh_CN")
    expect(page.get_by_role("status")).to_have_text("语言和时区已保存")
    problems = {}

    def scan(path: str) -> None:
        if left := untranslated(page.evaluate(VISIBLE_TEXTS)):
            problems[path] = left

    for name in NEW_PAGES:
        path = new_pages_world.get(name, name)
        page.goto(f"{portal_url}{path}")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        scan(path)
    page.goto(f"{portal_url}/vehicles/VAN-3")
    expect(page.get_by_test_id("trips").locator("li[data-trip]")).to_have_count(2)
    page.get_by_test_id("trips").locator("li[data-trip] a").first.click()  # one trip, its replay
    expect(page.locator("[data-replay=play]")).to_have_text("回放")
    scan("/vehicles/VAN-3 (a trip)")
    expect(page.get_by_test_id("timeline")).to_contain_text("行程")

    exported = page.request.get(f"{portal_url}/exchange/export.json?dealer=D1").body()
    page.goto(f"{portal_url}/exchange")
    page.set_input_files(
        "input[name=file]", {"name": "d1.json", "mimeType": "application/json", "buffer": exported}
    )
    page.get_by_test_id("import-form").get_by_role("button", name="校验并导入").click()
    expect(page.get_by_test_id("import-report")).to_contain_text("库存已应用")
    scan("/exchange (import report)")

    page.goto(f"{portal_url}/dispatch?vehicle=VAN-5")
    form = page.get_by_test_id("booking-form")
    day = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    form.locator("input[name=starts_at]").fill(f"{day}T08:00")
    form.locator("input[name=ends_at]").fill(f"{day}T12:00")
    form.locator("input[name=driver]").fill("Jonas Weber")
    warning = page.get_by_test_id("fatigue-warning")
    expect(warning).to_contain_text("Jonas Weber 在过去 24 小时内有 1 次疲劳事件")
    expect(warning).to_contain_text("微睡眠")
    scan("/dispatch (fatigue warning)")
    form.get_by_role("button", name="预约用车").click()  # refused without a reason: the reason field
    expect(form.locator("[data-field-error=override_reason]")).to_contain_text("仍可驾驶")
    scan("/dispatch (booking refused for fatigue)")
    assert not problems, f"English left on zh-CN pages: {problems}"


def test_the_api_docs_error_answers_read_in_chinese(browser_page, portal_url):
    """Swagger UI (served from the package) loads the translated OpenAPI document: an operation's
    documented answers read in Chinese. Swagger UI's own buttons are the tool's and are not scanned."""
    page = browser_page
    from dealer_portal.sample_data import password_for

    page.goto(f"{portal_url}/login")
    page.select_option("[data-testid=language]", "zh_CN")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", password_for("ada"))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=who]")
    page.goto(f"{portal_url}/api/docs")
    expect(page.locator(".info .markdown, .info .renderedMarkdown").first).to_contain_text("车队实时状态")
    page.locator(".opblock-summary").first.click()
    responses = page.locator(".responses-table").first
    expect(responses).to_contain_text("未认证，或令牌无效或已过期。")
    texts = page.evaluate(
        "() => [...document.querySelectorAll('.responses-table tbody .response-col_description, .info')].map(e => e.innerText)"
    )
    assert untranslated([line for t in texts for line in t.splitlines()]) == []


def test_an_english_browser_gets_english_and_the_switch_back_works(browser_page, portal_url):
    page = browser_page
    page.context.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    page.goto(f"{portal_url}/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # Accept-Language, nothing chosen
    page.select_option("[data-testid=language]", "en")
    expect(page.locator(".login .brand")).to_have_text("Sign in")
    expect(page).to_have_url(re.compile(r"/login$"))
