"""The publisher against real brokers: the machine's Mosquitto, a private one with passwords, amqtt."""

import asyncio
import threading

import pytest

from dms.contract import DriverEvent, DriverState, VehicleSignals, VehicleStatus
from dms.errors import UserError
from edge.config import DeviceConfig
from edge.policy.synthetic import frames
from edge.runtime import EdgeRuntime
from edge.uplink import MqttSettings, MqttUplink, Outbox
from tests.support.mqtt import free_port, wait_for


def event(vid, i):
    return DriverEvent(vehicle_id=vid, type="microsleep", level=2, episode_id=f"ep{i}", t=float(i))


def test_each_kind_arrives_in_outbox_order_and_the_outbox_empties(tmp_path, mosquitto_url, recorder):
    vid = f"pub-{free_port()}"
    rec = recorder(mosquitto_url, vid)
    assert rec.subscribed.wait(5)
    sent = {"event": [], "state": [], "status": []}
    with Outbox(tmp_path / "o.sqlite") as box:
        uplink = MqttUplink(MqttSettings(url=mosquitto_url, max_inflight=5), box, vid).start()
        try:
            for i in range(60):
                for msg in (
                    event(vid, i),
                    DriverState(vehicle_id=vid, monitoring=True),
                    VehicleStatus(vehicle_id=vid, signals=VehicleSignals(speed=i)),
                ):
                    uplink.submit(msg)
                    sent[msg.kind].append(msg.msg_id)
            assert uplink.wait_drained(20)
            wait_for(lambda: len(rec.ids("status")) >= 60, 10, "all status samples")
        finally:
            uplink.close()
        assert box.count() == 0
    for kind, ids in sent.items():
        assert rec.ids(kind) == ids
    # the clean "offline" is published as the uplink closes: it may still be on its way to the recorder
    wait_for(lambda: any(p["state"] == "offline" for p in rec.payloads("presence")), 5, "the clean offline")
    presence = rec.payloads("presence")
    assert presence[0]["state"] == "online" and presence[-1]["state"] == "offline"
    assert uplink.stats.protocol == "5"


@pytest.mark.slow
def test_refused_credentials_give_one_clear_error_and_no_retry_loop(tmp_path, private_broker):
    broker = private_broker(users={"van-1": "right"}).start()
    settings = MqttSettings(
        url=broker.url,
        username="van-1",
        password_env="TEST_DMS_WRONG_PW",
        password_file=None,
        reconnect_min_s=1,
        reconnect_max_s=1,
    )
    import os

    os.environ["TEST_DMS_WRONG_PW"] = "wrong"
    try:
        with Outbox(tmp_path / "o.sqlite") as box:
            uplink = MqttUplink(settings, box, "van-1").start()
            wait_for(lambda: uplink.failed, 10, "the refusal")
            attempts = broker.log.read_text().count("New client connected")
            # with a 1 s reconnect delay a retry loop would have connected again within 3 s
            threading.Event().wait(3)
            assert broker.log.read_text().count("New client connected") == attempts
            refusal = r"refused the connection \((bad user name or password|not authorized), user .van-1.\)"
            with pytest.raises(UserError, match=refusal):
                uplink.raise_if_failed()
            assert "wrong" not in uplink.failed
            uplink.close()
        # The runtime ends with that one error instead of running on without an uplink.
        config = DeviceConfig(
            vehicle_id="van-1",
            speed_kmh=60,
            outbox={"path": tmp_path / "r.sqlite"},
            mqtt=settings.model_dump(),
        )
        with pytest.raises(UserError, match="refused the connection"):
            EdgeRuntime(config).run(frames([(30.0, "ahead")], fps=10), realtime=True)
    finally:
        del os.environ["TEST_DMS_WRONG_PW"]


@pytest.mark.slow
def test_right_credentials_are_accepted(tmp_path, private_broker, recorder, monkeypatch):
    broker = private_broker(users={"van-1": "right", "recorder": "r"}).start()
    monkeypatch.setenv("TEST_DMS_PW", "right")
    with Outbox(tmp_path / "o.sqlite") as box:
        # nobody subscribes (the test is about the credential): "no matching subscribers" counts as delivered
        uplink = MqttUplink(
            MqttSettings(url=broker.url, username="van-1", password_env="TEST_DMS_PW", hold_unrouted=False),
            box,
            "van-1",
        ).start()
        uplink.submit(event("van-1", 1))
        assert uplink.wait_drained(10)
        uplink.close()
    assert uplink.failed is None


@pytest.mark.slow
def test_a_publish_the_broker_acl_refuses_stops_the_uplink_and_keeps_the_message(
    tmp_path, private_broker, monkeypatch
):
    broker = private_broker(users={"van-1": "right"}, acl="user van-1\ntopic write dms/v1/van-1/#\n").start()
    monkeypatch.setenv("TEST_DMS_PW", "right")
    with Outbox(tmp_path / "o.sqlite") as box:
        # van-1's credential used for another vehicle id: its topics are outside van-1's ACL
        uplink = MqttUplink(
            MqttSettings(url=broker.url, username="van-1", password_env="TEST_DMS_PW"), box, "van-2"
        ).start()
        uplink.submit(event("van-2", 1))
        wait_for(lambda: uplink.failed, 10, "the refusal")
        assert "refused a publish to dms/v1/van-2/event (not authorized)" in uplink.failed
        uplink.close()
        assert box.count("event") == 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # amqtt's own, about its config style
def test_falls_back_to_mqtt_311_for_a_broker_without_mqtt5(tmp_path):
    """amqtt (the demo's embedded broker) refuses MQTT 5 connections."""
    amqtt_broker = pytest.importorskip("amqtt.broker")
    port = free_port()
    ready, done = threading.Event(), threading.Event()

    def serve():
        async def main():
            broker = amqtt_broker.Broker(
                {
                    "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
                    "auth": {"allow-anonymous": True, "plugins": ["auth_anonymous"]},
                    "topic-check": {"enabled": False},
                }
            )
            await broker.start()
            ready.set()
            while not done.is_set():
                await asyncio.sleep(0.05)
            await broker.shutdown()

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(15)
    try:
        with Outbox(tmp_path / "o.sqlite") as box:
            uplink = MqttUplink(MqttSettings(url=f"mqtt://127.0.0.1:{port}"), box, "amqtt-1").start()
            for i in range(5):
                uplink.submit(event("amqtt-1", i))
            assert uplink.wait_drained(15)
            assert uplink.stats.protocol == "3.1.1" and uplink.stats.acknowledged == 5
            uplink.close()
    finally:
        done.set()
        thread.join(10)


def test_a_lost_broker_is_left_for_the_next_address_and_the_outbox_follows(
    tmp_path, mosquitto_url, private_broker, recorder
):
    """`failover_urls`: the private broker the uplink is on dies (kill -9); it moves to the next address
    (the machine's Mosquitto) and delivers what was stored meanwhile, in order."""
    vid = f"fo-{free_port()}"
    rec = recorder(mosquitto_url, vid)
    assert rec.subscribed.wait(5)
    first = private_broker().start()
    settings = MqttSettings(
        url=first.url, failover_urls=(mosquitto_url,), reconnect_min_s=1, reconnect_max_s=1
    )
    with Outbox(tmp_path / "o.sqlite") as box:
        uplink = MqttUplink(settings, box, vid).start()
        try:
            wait_for(lambda: uplink.connected, 10, "connected to the first broker")
            first.proc.kill()
            first.proc.wait(10)
            for i in range(20):
                uplink.submit(event(vid, i))
            assert uplink.wait_drained(20)
            wait_for(lambda: len(rec.ids("event")) >= 20, 10, "the events on the next broker")
        finally:
            uplink.close()
    assert [p["episode_id"] for p in rec.payloads("event")] == [f"ep{i}" for i in range(20)]
    assert uplink.stats.failovers == 1 and (uplink.host, uplink.port) == ("127.0.0.1", 1883)
