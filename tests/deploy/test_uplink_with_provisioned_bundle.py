"""The product's own uplink, configured only by a `dms provision` bundle, against the shipped broker config."""

from __future__ import annotations

import json

import pytest

from dms.contract import DriverEvent
from edge.config import load_device_config
from edge.uplink import MqttUplink, Outbox
from tests.deploy.test_broker_acl import drain
from tests.support.deploy import connect
from tests.support.mqtt import wait_for
from tools.cli import main as dms

pytestmark = pytest.mark.slow


def test_bundle_drives_the_uplink_and_a_stolen_credential_cannot_speak_for_another_vehicle(
    shipped_broker, tmp_path, monkeypatch
):
    monkeypatch.delenv("DMS_MQTT_PASSWORD", raising=False)
    broker = shipped_broker(started=False)
    for name, extra in (("A", []), ("B", []), ("_gateway", ["--gateway"])):
        assert (
            dms(
                [
                    "provision",
                    name,
                    "--out",
                    str(tmp_path / name),
                    "--password-file",
                    str(broker.password_file),
                    "--acl-file",
                    str(broker.acl_file),
                    "--broker-url",
                    f"mqtt://127.0.0.1:{broker.vehicle_port}",
                    "--device-dir",
                    str(tmp_path / name),
                    *extra,
                ]
            )
            == 0
        )
    broker.start()
    gateway = connect(
        broker.gateway_port,
        "_gateway",
        (tmp_path / "_gateway" / "mqtt_password").read_text().strip(),
        client_id="gateway-1",
    )
    assert not gateway.subscribe("$share/gw/dms/v1/+/+")[0].is_failure
    config = load_device_config(tmp_path / "A" / "device.yaml")

    # A, as provisioned: its event arrives (after its retained "online" presence).
    with Outbox(tmp_path / "a.sqlite") as box:
        uplink = MqttUplink(config.mqtt, box, config.vehicle_id).start()
        try:
            event = DriverEvent(vehicle_id="A", type="microsleep", level=2, episode_id="e1", t=1.0)
            uplink.submit(event)
            assert uplink.wait_drained(20), uplink.failed
        finally:
            uplink.close()
    got = [gateway.next_message() for _ in range(3)]  # online, event, offline
    assert [m.topic for m in got] == ["dms/v1/A/presence", "dms/v1/A/event", "dms/v1/A/presence"]
    assert json.loads(got[1].payload)["msg_id"] == event.msg_id

    # A's credential used to speak for B (a stolen device re-flashed as B): nothing of it reaches the gateway.
    with Outbox(tmp_path / "impostor.sqlite") as box:
        impostor = MqttUplink(config.mqtt, box, "B").start()
        try:
            impostor.submit(DriverEvent(vehicle_id="B", type="sleep", level=3, episode_id="e2", t=2.0))
            wait_for(
                lambda: impostor.failed or impostor.stats.rejected, 20, "the broker to refuse the impostor"
            )
        finally:
            impostor.close()
    sentinel = connect(broker.vehicle_port, "A", config.mqtt.password())
    assert not sentinel.publish("dms/v1/A/status", b"{}").is_failure
    sentinel.close()
    assert gateway.next_message().topic == "dms/v1/A/status"
    assert [m.topic for m in drain(gateway)] == []
    gateway.close()
