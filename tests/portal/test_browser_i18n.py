"""A zh-CN session in real Chromium: the language chosen on the login page, the zone in the header,
and every main page without a text of the portal left in English.

Known gap: notes the records layer stores as English text (audit details, stock movement notes such as
"work order 7") are shown as stored; their cells carry `data-stored-text` and are not scanned."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

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
    if (el.closest('[data-stored-text]')) continue;  // notes stored as written (see the report: a gap)
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
        page.goto(f"{portal_url}{path}")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        if left := untranslated(page.evaluate(VISIBLE_TEXTS)):
            problems[path] = left
    assert not problems, f"English left on zh-CN pages: {problems}"
    expect(page.get_by_test_id("error-message")).to_contain_text("没有页面")


def test_an_english_browser_gets_english_and_the_switch_back_works(browser_page, portal_url):
    page = browser_page
    page.context.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    page.goto(f"{portal_url}/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # Accept-Language, nothing chosen
    page.select_option("[data-testid=language]", "en")
    expect(page.locator(".login .brand")).to_have_text("Sign in")
    expect(page).to_have_url(re.compile(r"/login$"))
