"""The portal as a daily tool, in real headless Chromium: refused forms keep their input, long text
wraps, unknown pages answer a page, offline vehicles look stale, and a phone-width screen works."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.portal import login

pytestmark = pytest.mark.browser

PAGE_WIDTH = "document.scrollingElement.scrollWidth"
PHONE_PAGES = (
    "/fleet",
    "/dispatch",
    "/parts",
    "/service/1",
    "/audit",
    # the newest pages (#21, #22)
    "/reminders",
    "/workshop",
    "/dealer-settings",
    "/payables",
    "/used-cars",
    "/sales/promotions",
    "/stock/floor-plan",
    "/stock/yard",
)


def test_a_refused_part_keeps_its_form_and_long_text_wraps(browser_page, portal_url):
    page = browser_page
    login(page, portal_url, "sam")
    page.goto(f"{portal_url}/parts")
    form = page.get_by_test_id("new-part")
    number, name = "LONG-" + "7" * 35, "Bremsschlauchhalterung" * 5  # 40 and 110 characters, no spaces
    form.locator("input[name=number]").fill(number)
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=unit_cost]").fill("1,250")
    form.locator("input[name=unit_price]").fill("19,90")
    form.get_by_role("button").click()
    expect(form.locator("[data-field-error=unit_cost]")).to_contain_text("could mean 1250 or 1.250")
    expect(form.locator("input[name=name]")).to_have_value(name)  # nothing typed is lost
    expect(form.locator("input[name=unit_price]")).to_have_value("19,90")
    form.locator("input[name=unit_cost]").fill("12,50")
    form.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text(f"part {number} added")
    row = page.locator(f"tr[data-part={number}]")
    expect(row).to_contain_text("12.50")
    assert page.evaluate(PAGE_WIDTH) <= page.evaluate("window.innerWidth")


def test_unknown_page_and_the_api_docs_work_without_internet(browser_page, portal_url):
    page = browser_page
    outside: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(portal_url):
            return route.continue_()
        if route.request.resource_type != "image":  # ReDoc's "powered by" logo is only decoration
            outside.append(route.request.url)
        return route.abort()

    page.route("**/*", only_this_server)
    login(page, portal_url, "dora")
    response = page.goto(f"{portal_url}/fleet/no-such-thing")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator(".topbar")).to_be_visible()  # a page of the portal, not raw JSON
    page.goto(f"{portal_url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("dms back office API")
    page.goto(f"{portal_url}/api/redoc")
    expect(page.locator("h1", has_text="dms back office API")).to_be_visible()
    assert outside == []


def test_a_phone_width_screen_shows_the_menu_and_no_page_is_wider_than_it(chromium, portal_url):
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, portal_url, "ada")
        for path in PHONE_PAGES:
            page.goto(f"{portal_url}{path}")
            assert page.evaluate(PAGE_WIDTH) <= 390, path
            nav = page.locator(".topbar nav")
            expect(nav).to_be_visible()
            assert nav.bounding_box()["width"] >= 300, path  # a row of its own, not squeezed to nothing
        page.locator(".topbar nav").get_by_role("link", name="Vehicles").click()
        expect(page.get_by_role("heading", name="Vehicles")).to_be_visible()
    finally:
        context.close()
