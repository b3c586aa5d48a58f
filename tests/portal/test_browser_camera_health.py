"""The fleet board's camera-health badge in real Chromium, in English and in Chinese: a vehicle whose
driver state says the driver camera's lens is dirty, and one whose camera is fine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.support.i18n import untranslated
from tests.support.portal import login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dirty_lens_world(sample_db) -> None:
    """VAN-1 reports, now, that its driver camera cannot see through a dirty lens; VAN-2 that it is fine."""
    from gateway.db.models import VehicleLiveStatus
    from gateway.db.session import make_engine, make_sessionmaker

    now = datetime.now(UTC)
    engine = make_engine(sample_db)
    try:
        with make_sessionmaker(engine)() as db:
            for vid, health in (("VAN-1", "lens_dirty"), ("VAN-2", "ok")):
                live = db.get(VehicleLiveStatus, vid)
                live.driver_state = {
                    "monitoring": health == "ok",
                    "is_eyes_on_road": True,
                    "active_events": [] if health == "ok" else ["not_monitoring"],
                    "camera_health": health,
                }
                live.driver_state_ts = live.last_seen = live.presence_ts = now
                live.presence = "online"
            db.commit()
    finally:
        engine.dispose()


def test_the_fleet_board_says_the_lens_is_dirty_in_english_and_in_chinese(
    browser_page, portal_url, dirty_lens_world
):
    page = browser_page
    login(page, portal_url, "ada")
    page.goto(f"{portal_url}/fleet")
    van1, van2 = page.locator("tr[data-vehicle=VAN-1]"), page.locator("tr[data-vehicle=VAN-2]")
    expect(van1.get_by_test_id("camera-health")).to_have_text("Camera: lens dirty")
    expect(van1.get_by_test_id("driver-state")).to_contain_text("Not monitored")
    expect(van2.get_by_test_id("camera-health")).to_have_count(0)  # a camera that sees: no badge
    page.select_option("[data-testid=language]", "zh_CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.goto(f"{portal_url}/fleet")
    badge = van1.get_by_test_id("camera-health")
    expect(badge).to_have_text("摄像头：镜头脏污")
    assert not untranslated([badge.inner_text(), van1.get_by_test_id("driver-state").inner_text()])
    expect(van2.get_by_test_id("camera-health")).to_have_count(0)
