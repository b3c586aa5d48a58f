"""The fleet board updates without a reload when a driver alert arrives over MQTT: real Mosquitto, a
real `dms gateway run` process writing the portal's database, SSE from the change log, headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from dms.contract import codec
from dms.contract.messages import DriverEvent, DriverState
from tests.support.portal import login
from tests.support.services import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def gateway_process(sample_db, mosquitto_url):
    """`dms gateway run` on the portal's database, in a consumer group of its own (other gateways on
    this broker keep their copies)."""
    group = f"portal-test-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.cli",
            "gateway",
            "run",
            "--mqtt",
            mosquitto_url,
            "--db",
            sample_db,
            "--group",
            group,
            "--client-id",
            group,
            "--http",
            "127.0.0.1:0",
            # the broker forgets this throw-away consumer group's session soon after the test
            "--session-expiry",
            "5",
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    for line in proc.stderr:  # the gateway says when its subscription stands
        lines.append(line)
        if "gateway: consuming" in line:
            break
    else:
        pytest.fail("the gateway did not start:\n" + "".join(lines))
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining its log
    yield proc
    proc.terminate()
    proc.wait(timeout=20)


class Publisher:
    """Publishes the same messages every half second until stopped: msg_ids make repeats harmless,
    and no test has to guess when a subscription or a page's event stream is ready."""

    def __init__(self, url: str, messages):
        import paho.mqtt.client as mqtt

        self._payloads = [codec.encode(m) for m in messages]
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"portal-pub-{uuid.uuid4().hex[:8]}"
        )
        host, port = url.removeprefix("mqtt://").split(":")
        self._client.connect(host, int(port))
        self._client.loop_start()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            for topic, payload in self._payloads:
                self._client.publish(topic, payload, qos=1)
            self._stop.wait(0.5)

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._client.loop_stop()
        self._client.disconnect()


def test_fleet_board_shows_an_mqtt_alert_live_and_the_dispatcher_acknowledges_it(
    browser_page, portal_url, gateway_process, mosquitto_url
):
    page = browser_page
    login(page, portal_url, "dora")
    expect(page.locator("[data-live-src]")).to_have_attribute("data-live", "connected")
    page.evaluate("window.__not_reloaded = true")
    feed = page.get_by_test_id("alert-feed")
    expect(feed).not_to_contain_text("VAN-6")

    now = datetime.now(UTC)
    episode = uuid.uuid4().hex[:12]
    publisher = Publisher(
        mosquitto_url,
        [
            DriverEvent(
                vehicle_id="VAN-6",
                ts=now,
                type="sleep",
                phase="start",
                level=3,
                episode_id=episode,
                driver_id="drv-6",
                speed_kmh=48.0,
            ),
            DriverState(
                vehicle_id="VAN-6", ts=now, monitoring=True, is_eyes_on_road=False, active_events=["sleep"]
            ),
        ],
    )
    try:
        expect(feed).to_contain_text("VAN-6 · sleep", timeout=30_000)
        expect(page.locator("tr[data-vehicle=VAN-6] [data-testid=driver-state]")).to_have_text(
            "Asleep", timeout=30_000
        )
    finally:
        publisher.stop()
    assert page.evaluate("window.__not_reloaded") is True  # updated in place, no reload
    alert = feed.locator("li", has_text="VAN-6 · sleep")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(feed).not_to_contain_text("VAN-6 · sleep")
