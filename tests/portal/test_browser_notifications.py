"""Notifications as a dispatcher sets them up, in real Chromium (#20): a refused address keeps the form,
an e-mail rule and a signed webhook rule are added, the gateway's ingest opens a microsleep alert, the
notification worker mails it to a local SMTP server and posts it to a loopback webhook receiver, and
the delivery log shows both as sent; another user sees none of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.support.portal import login

pytestmark = pytest.mark.browser
SECRET = "browser-signing-secret-1"


def test_a_dispatcher_is_told_by_mail_and_webhook_and_reads_the_delivery_log(
    browser_page, portal_url, sample_db
):
    from dealer_portal.notify.send import SIGNATURE_HEADER, signature
    from dealer_portal.notify.settings import NotifySettings
    from dealer_portal.notify.worker import NotificationWorker
    from gateway.db.session import make_engine, make_sessionmaker
    from gateway.ingest.batch import Ingestor
    from gateway.settings import GatewaySettings
    from tests.support.factories import event
    from tests.support.notify import smtp_server, webhook_receiver

    page = browser_page
    login(page, portal_url, "dora")
    page.goto(f"{portal_url}/notifications")
    form = page.get_by_test_id("new-notification")
    form.locator("select[name=event_type]").select_option("microsleep")
    form.locator("input[name=target]").fill("dora at fleet")
    form.get_by_role("button", name="Add notification").click()
    expect(form.locator("[data-field-error=target]")).to_be_visible()
    expect(form.locator("input[name=target]")).to_have_value("dora at fleet")  # nothing typed is lost
    expect(form.locator("select[name=event_type]")).to_have_value("microsleep")
    form.locator("input[name=target]").fill("dora@fleet.example")
    form.get_by_role("button", name="Add notification").click()
    expect(page.get_by_role("status")).to_have_text("notification added")

    engine = make_engine(sample_db)
    sessions = make_sessionmaker(engine)
    try:
        with smtp_server() as box, webhook_receiver() as hooks:
            form = page.get_by_test_id("new-notification")
            form.locator("select[name=event_type]").select_option("microsleep")
            form.locator("select[name=channel]").select_option("webhook")
            form.locator("input[name=target]").fill(f"{hooks.url}/in")
            form.locator("input[name=secret]").fill(SECRET)
            form.get_by_role("button", name="Add notification").click()
            expect(page.get_by_role("status")).to_have_text("notification added")
            expect(page.get_by_test_id("notification-rules").locator("tbody tr")).to_have_count(2)

            now = datetime.now(UTC)
            settings = NotifySettings(
                smtp_host=box.host, smtp_port=box.port, portal_url=portal_url, webhook_allow_private=True
            )
            worker = NotificationWorker(sessions, settings, lambda: now + timedelta(seconds=5))
            worker.run_once()  # running before the alert came
            ingest = Ingestor(sessions, GatewaySettings(), clock=lambda: now + timedelta(seconds=5))
            applied = ingest.apply(
                [event("VAN-1", now, type="microsleep", level=2, episode="browser-1", driver="drv-7")]
            )
            assert applied.applied == 1
            passed = worker.run_once()
            assert (passed.sent, passed.failed) == (2, 0), passed.errors
            (mail,) = box.messages
            assert mail["To"] == "dora@fleet.example" and "VAN-1" in mail["Subject"]
            (path, headers, body) = hooks.calls[0]
            assert path == "/in" and headers[SIGNATURE_HEADER] == signature(SECRET, body)
    finally:
        engine.dispose()

    page.goto(f"{portal_url}/notifications/log")
    log = page.get_by_test_id("deliveries").locator("tbody tr")
    expect(log).to_have_count(2)
    expect(log.filter(has_text="dora@fleet.example")).to_contain_text("sent")
    expect(log.filter(has_text="/in")).to_contain_text("sent")
    page.click("text=Log out")

    login(page, portal_url, "sam")  # another user: neither the rules nor the deliveries
    page.goto(f"{portal_url}/notifications")
    expect(page.get_by_test_id("notification-rules")).not_to_contain_text("dora@fleet.example")
    page.goto(f"{portal_url}/notifications/log?everyone=1")  # only an administrator sees everyone's
    expect(page.get_by_test_id("deliveries")).not_to_contain_text("dora@fleet.example")
