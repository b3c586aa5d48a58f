"""Live detail on demand (issue 27), over the machine's Mosquitto: a dispatcher opens a vehicle's live
view through the REST API, the API publishes a command on dms/v1/<id>/cmd, and the vehicle (the real
runtime and uplink, default profile: a status every 5 min parked, batched for 20 s) sends driver state and
status every second within 2 s, then falls back by itself when the request's time runs out. The vehicle's
timeline is driven by the test: in real time while the command travels, then moved past the window at
once. That each vehicle reads only its own command topic is the shipped ACL's test (tests/deploy)."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from dms.contract import LiveRequest, VehicleSignals, decode_command
from dms.errors import UserError
from edge.config import DeviceConfig
from edge.policy.synthetic import LOOKS
from edge.runtime import EdgeRuntime
from edge.signals import FrameSignals
from gateway import auth
from gateway.api import create_app
from gateway.commands import CommandPublisher
from gateway.db.session import session_scope
from gateway.settings import GatewaySettings
from tests.support.db import T0
from tests.support.factories import register
from tests.support.mqtt import free_port, wait_for

pytestmark = pytest.mark.slow
LIVE_S = 30.0


class Parked:
    """The vehicle's signals: standing (a status heartbeat every 5 min in the default profile)."""

    def read(self, t: float) -> VehicleSignals:
        return VehicleSignals(speed=0.0, latitude=48.1, longitude=11.5, traveled_distance=1234.0)

    def close(self) -> None:
        pass


def _status_times(rec) -> list[float]:
    return [datetime.fromisoformat(d["ts"]).timestamp() for d in rec.payloads("status")]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_opening_the_live_view_raises_the_rate_within_2_s_and_it_falls_back(
    tmp_path, mosquitto_url, recorder, db_url, sessions, clock
):
    vid = f"live-{free_port()}"
    rec = recorder(mosquitto_url, vid)
    assert rec.subscribed.wait(5)
    register(sessions, vid, now=T0)
    with session_scope(sessions) as db:
        auth.create_user(db, "disp", "pw-disp", "dispatcher", dealer_code=None, now=T0, rounds=4)
    settings = GatewaySettings(jwt_secret="a test secret that is long enough!!", live_view_s=LIVE_S)
    app = create_app(db_url, settings, clock=lambda: datetime.now(UTC))
    app.state.gateway.commands = CommandPublisher(mosquitto_url)
    api = TestClient(app)
    token = api.post("/api/token", data={"username": "disp", "password": "pw-disp"}).json()["access_token"]

    config = DeviceConfig(
        vehicle_id=vid, mqtt={"url": mosquitto_url}, outbox={"path": tmp_path / "o.sqlite"}, speed_kmh=0
    )
    start = datetime.now(UTC)
    runtime = EdgeRuntime(config, vehicle=Parked(), start_utc=start)
    began = time.monotonic()
    index = 0

    def step(t: float) -> None:
        nonlocal index
        runtime.process_signals(FrameSignals(t=t, frame_index=index, **LOOKS["ahead"]))
        index += 1

    try:
        assert runtime.uplink.listening.wait(10), "the vehicle subscribed to its command topic"
        step(0.0)  # the first status goes into a 20 s batch: nothing on the wire yet
        opened = api.post(f"/api/vehicles/{vid}/live", headers={"Authorization": f"Bearer {token}"})
        assert opened.status_code == 200, opened.text
        body = opened.json()
        asked = time.monotonic() - began
        assert body["seconds"] == LIVE_S
        # The vehicle's clock runs in real time (a live camera) until it reacts.
        while (t := time.monotonic() - began) < asked + 3.0:
            step(t)
            if len(_status_times(rec)) >= 4:
                break
            time.sleep(0.05)
        wait_for(lambda: len(_status_times(rec)) >= 3, 2.5, "status samples every second")
        times = _status_times(rec)
        first_live = start.timestamp() + asked
        # Within 2 s of opening, the vehicle sends status every second (the first batch flushed at once).
        rose = next(x for x in times if x >= first_live - 0.05) - first_live
        print(f"\nlive view: first 1 Hz status {rose:.2f} s after the request; statuses at {times}")
        assert rose <= 2.0
        assert max(b - a for a, b in itertools.pairwise(times[1:])) <= 1.5

        # Jump the vehicle's timeline past the request (no waiting): back to the default cadence.
        seen = len(times)
        t_after = asked + LIVE_S + 1.0
        for i in range(120):  # two more minutes, parked: no status heartbeat due (5 min)
            step(t_after + i)
        assert runtime.uplink.wait_drained(10)
        time.sleep(0.3)  # the recorder's share of the last PUBACKed messages
        late = [x for x in _status_times(rec)[seen:] if x >= start.timestamp() + t_after]
        assert late == [], "no status every second after the live view ran out"
        assert runtime._live.active(t_after) is False
    finally:
        runtime.close()
        app.state.gateway.commands.close()


def test_a_command_is_the_vehicles_own_and_bounded():
    vid = "V1"
    payload = LiveRequest(vehicle_id=vid, seconds=60).model_dump_json().encode()
    assert decode_command(vid, "dms/v1/V1/cmd", payload).seconds == 60
    with pytest.raises(UserError):
        CommandPublisher("nope://x")
    for topic, data in [
        ("dms/v1/V2/cmd", payload),  # another vehicle's topic
        ("dms/v1/V1/cmd", LiveRequest(vehicle_id="V2", seconds=60).model_dump_json().encode()),
        ("dms/v1/V1/cmd", b'{"vehicle_id": "V1", "command": "live", "seconds": 99999}'),
    ]:
        with pytest.raises(ValueError):
            decode_command(vid, topic, data)
