#!/usr/bin/env python3
"""Regenerate docs/screenshots: the portal's main pages over the sample world, in headless Chromium,
in English (docs/screenshots/*.png) and Simplified Chinese (docs/screenshots/zh-CN/*.png).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--languages en zh-CN]
                                            [--chromium /usr/bin/chromium]

Per language: builds a fresh SQLite database in a temp folder (dealer_portal.sample_data), serves the
real app on a free port, logs in as the user each page is for (a browser asking for that language; the
Chinese users choose 简体中文 and Asia/Shanghai in the page header, which stores it on the user), and
saves one full-page PNG per page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dealer_portal.headless import CHROMIUM, CHROMIUM_ARGS

# file name, user, path (None: find the path on the service list), what must be visible first
SHOTS = [
    ("01-login.png", None, "/login", ".login .brand"),
    ("02-fleet-board.png", "dora", "/fleet", "[data-testid=alert-feed]"),
    ("03-vehicles.png", "sam", "/vehicles", "#vehicle-rows"),
    ("04-vehicle-record.png", "sam", "/vehicles/VAN-1", "#driver-sessions"),
    ("05-dispatch.png", "dora", "/dispatch", "[data-testid=bookings]"),
    ("06-service.png", "sam", "/service", "[data-testid=orders]"),
    ("07-work-order.png", "sam", None, "[data-testid=trail]"),
    ("08-parts.png", "sam", "/parts", "[data-testid=catalogue]"),
    ("09-scrapping.png", "dora", "/scrapping", "[data-testid=flags]"),
    ("10-kpis.png", "ada", "/kpis", "svg.chart"),
    ("11-audit.png", "ada", "/audit", "[data-testid=audit]"),
    ("12-admin-users.png", "ada", "/admin/users", "[data-testid=users]"),
    ("13-admin-rules.png", "ada", "/admin/rules", "[data-testid=rules]"),
    ("14-dead-letters.png", "ada", "/admin/dead-letters", "[data-testid=dead-letters]"),
    ("15-stock.png", "sam", "/stock", "[data-testid=stock]"),
    ("18-logistics.png", "sam", "/logistics", "[data-testid=shipments]"),
    ("19-exchange.png", "sam", "/exchange", "[data-testid=import-form]"),
    ("26-reminders.png", "sam", "/reminders", "[data-testid=due]"),
    ("27-workshop.png", "sam", "/workshop", "[data-testid=technicians]"),
    ("28-payables.png", "sam", "/payables?show=all", "[data-testid=supplier-invoices]"),
    ("16-sales.png", "max", "/sales", "[data-testid=leads]"),
    ("17-sales-stats.png", "max", "/sales/stats", "[data-testid=salespeople]"),
    ("29-promotions.png", "max", "/sales/promotions", "[data-testid=promotions]"),
    ("30-floor-plan.png", "max", "/stock/floor-plan", "[data-testid=floor-plans]"),
    ("20-vehicle-trips.png", "dora", "/vehicles/VAN-3", "[data-testid=timeline]"),
    ("21-notifications.png", "dora", "/notifications", "[data-testid=notification-rules]"),
    ("32-fleet-board-phone.png", "dora", "/fleet", "[data-testid=fleet-table]"),
    ("22-yard-map.png", "sam", "/stock/yard", "[data-testid=yard-grid]"),
    ("23-used-car-buying.png", "sue", "/used-cars", "[data-testid=appraisal-form]"),
    ("24-forgot-password.png", None, "/password/forgot", "[data-testid=forgot-form]"),
    ("25-admin-user.png", "ada", "/admin/users/2", "[data-testid=reset-link]"),
    ("31-dealer-settings.png", "ada", "/dealer-settings", "[data-testid=settings-D1]"),
    ("33-finance-profit-and-loss.png", "sam", "/finance", "[data-testid=finance-figures]"),
    ("34-demand-forecast.png", "max", "/sales/forecast", "[data-testid=forecast]"),
    ("35-dealers-compared.png", "ada", "/sales/stats?view=dealers", "[data-testid=stats-tabs]"),
]

VIEWPORT_ONLY = {"11-audit.png", "32-fleet-board-phone.png"}  # the first screen says enough
PHONE = {"32-fleet-board-phone.png"}  # at a phone's 390 px: the menu on a row of its own, no page wider
DESKTOP, PHONE_SIZE = {"width": 1400, "height": 900}, {"width": 390, "height": 844}
# language -> (sub-folder of --out, gettext locale id, the zone its users choose)
LANGUAGES = {"en": ("", "en", None), "zh-CN": ("zh-CN", "zh_CN", "Asia/Shanghai")}


def _shoot(args, language, create_app, serve, create_sample_database, password_for, sync_playwright) -> None:
    folder, locale_id, zone = LANGUAGES[language]
    out = args.out / folder if folder else args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'portal.db'}"
        create_sample_database(url, datetime.now(UTC), password_rounds=4)
        with serve(create_app(url)) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=DESKTOP, device_scale_factor=1, locale=language)
            page = context.new_page()
            current = None
            for name, user, path, ready in SHOTS:
                if user != current:
                    context.clear_cookies()
                    if user:
                        page.goto(f"{base}/login")
                        page.fill("input[name=username]", user)
                        page.fill("input[name=password]", password_for(user))
                        page.click("button[type=submit]")
                        page.wait_for_selector("[data-testid=who]")
                        if zone:  # stored on the user, as a Chinese dealer would set it once
                            for select, value in (("language", locale_id), ("time-zone", zone)):
                                with page.expect_navigation():  # the switcher submits on change
                                    page.select_option(f"[data-testid={select}]", value)
                    current = user
                if path is None:  # the work order in progress on the service list
                    page.goto(f"{base}/service")
                    path = (
                        page.locator("[data-testid=orders] tr", has_text="rattle")
                        .locator("a")
                        .first.get_attribute("href")
                    )
                page.set_viewport_size(PHONE_SIZE if name in PHONE else DESKTOP)
                page.goto(f"{base}{path}")
                page.wait_for_selector(ready)
                page.screenshot(path=str(out / name), full_page=name not in VIEWPORT_ONLY)
                print(f"{out / name}")
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--chromium", default=CHROMIUM, help="Chromium executable (Debian's package)")
    parser.add_argument("--languages", nargs="+", choices=sorted(LANGUAGES), default=list(LANGUAGES))
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from dealer_portal.app import create_app
    from dealer_portal.background_server import serve
    from dealer_portal.sample_data import create_sample_database, password_for

    for language in args.languages:
        _shoot(args, language, create_app, serve, create_sample_database, password_for, sync_playwright)
    return 0


if __name__ == "__main__":
    sys.exit(main())
