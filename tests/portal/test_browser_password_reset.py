"""Password reset by a one-time link in real Chromium (#20), with the local SMTP server the
notification tests use: an administrator sends a link, the user sets a new password with it (a refusal
first), signs in with it, and the link does not work twice; a user who forgot their password asks for a
link on the login page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.notify import smtp_server
from tests.support.portal import login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def mail_portal(sample_db):
    """The sample portal sending its e-mail to a local SMTP server: (portal URL, mailbox)."""
    from dealer_portal.app import create_app
    from dealer_portal.background_server import serve
    from dealer_portal.notify.settings import NotifySettings
    from dealer_portal.settings import PortalSettings

    with smtp_server() as box:
        settings = PortalSettings(
            notify=NotifySettings(smtp_host=box.host, smtp_port=box.port, enabled=False)
        )
        with serve(create_app(sample_db, settings)) as url:
            yield url, box


def _link_in(box, url: str) -> str:
    body = box.messages[-1].get_payload(decode=True).decode("utf-8")
    return re.search(re.escape(url) + r"/password/reset/\S+", body).group(0)


def _sign_in(page, url: str, username: str, password: str):
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_administrator_sends_a_one_time_link_and_the_user_sets_a_password(
    browser_page, chromium, mail_portal
):
    url, box = mail_portal
    page = browser_page
    login(page, url, "ada")
    page.goto(f"{url}/admin/users?q=dora")
    page.get_by_role("link", name="dora").first.click()
    form = page.get_by_test_id("reset-link")
    form.locator("input[name=email]").fill("dora@example")  # refused, kept
    form.get_by_role("button").click()
    expect(form.locator("[data-field-error=email]")).to_contain_text("name@example.com")
    expect(form.locator("input[name=email]")).to_have_value("dora@example")
    form.locator("input[name=email]").fill("dora@example.com")
    form.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("dora@example.com")
    assert box.messages[-1]["To"] == "dora@example.com"
    link = _link_in(box, url)

    user = chromium.new_context().new_page()  # dora, signed out, opens the mail's link
    user.goto(link)
    reset = user.get_by_test_id("reset-form")
    reset.locator("input[name=password]").fill("a-long-new-secret")
    reset.locator("input[name=repeat]").fill("not-the-same-one")
    reset.get_by_role("button").click()
    expect(user.locator("[data-field-error=repeat]")).to_contain_text("not the same")
    user.get_by_test_id("reset-form").locator("input[name=password]").fill("a-long-new-secret")
    user.get_by_test_id("reset-form").locator("input[name=repeat]").fill("a-long-new-secret")
    user.get_by_test_id("reset-form").get_by_role("button").click()
    expect(user.get_by_test_id("password-set")).to_be_visible()
    _sign_in(user, url, "dora", "a-long-new-secret")
    expect(user.get_by_test_id("who")).to_contain_text("dora")
    user.goto(link)  # once only
    expect(user.get_by_test_id("link-invalid")).to_contain_text("not valid")

    page.goto(f"{url}/audit?q=dora")
    expect(page.get_by_test_id("audit")).to_contain_text("one-time reset link sent to dora@example.com")
    expect(page.get_by_test_id("audit")).to_contain_text("password set with a one-time link")
    user.context.close()


def test_a_user_who_forgot_the_password_asks_on_the_login_page(browser_page, mail_portal):
    url, box = mail_portal
    page = browser_page
    sent = len(box.messages)
    page.goto(f"{url}/login")
    page.get_by_test_id("forgot-password").click()
    page.fill("input[name=username]", "nobody-here")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("link-requested")).to_be_visible()  # the same answer: no user list
    assert len(box.messages) == sent
    page.fill("input[name=username]", "dora")  # has an address since the test above
    page.click("button[type=submit]")
    expect(page.get_by_test_id("link-requested")).to_be_visible()
    assert len(box.messages) == sent + 1 and box.messages[-1]["To"] == "dora@example.com"
    page.goto(_link_in(box, url))
    expect(page.locator(".login")).to_contain_text("dora")
