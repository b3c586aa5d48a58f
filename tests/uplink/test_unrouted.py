"""PUBACK 0x10 "no matching subscribers" against the machine's Mosquitto (MQTT 5): the broker drops such a
message, so the uplink keeps it and sends it again once somebody subscribed (`hold_unrouted`)."""

from dms.contract import DriverEvent
from edge.uplink import MqttSettings, MqttUplink, Outbox
from tests.support.mqtt import free_port, wait_for

FAST_RETRY = {"unrouted_retry_min_s": 0.2, "unrouted_retry_max_s": 0.5}


def event(vid, i):
    return DriverEvent(vehicle_id=vid, type="microsleep", level=2, episode_id=f"ep{i}", t=float(i))


def test_a_message_nobody_subscribed_to_is_kept_and_delivered_in_order_once_subscribed(
    tmp_path, mosquitto_url, recorder
):
    vid = f"unrouted-{free_port()}"
    now = [0.0]  # the uplink's own clock: it moves 0.05 s each time the test looks, never by a sleep

    def ticking(check):
        def tick():
            now[0] += 0.05
            return check()

        return tick

    with Outbox(tmp_path / "o.sqlite") as box:
        uplink = MqttUplink(
            MqttSettings(url=mosquitto_url, max_inflight=5, **FAST_RETRY), box, vid, monotonic=lambda: now[0]
        ).start()
        try:
            sent = [event(vid, i) for i in range(3)]
            for msg in sent:
                uplink.submit(msg)
            # several re-send rounds (each after a pause on that clock), nobody listening yet
            wait_for(ticking(lambda: uplink.stats.unrouted >= 8), 10, "re-send rounds")
            assert box.count() == 3 and uplink.stats.acknowledged == 0
            assert uplink.stats.protocol == "5"
            rec = recorder(mosquitto_url, vid)
            assert rec.subscribed.wait(5)
            wait_for(ticking(lambda: box.count() == 0), 10, "the outbox drained once somebody subscribed")
            wait_for(lambda: len(rec.ids("event")) >= 3, 5, "the kept events")
        finally:
            uplink.close()
    assert rec.ids("event") == [m.msg_id for m in sent]
    assert uplink.stats.acknowledged == 3


def test_without_hold_unrouted_or_for_a_retained_row_0x10_counts_as_delivered(tmp_path, mosquitto_url):
    vid = f"unrouted-{free_port()}"
    with Outbox(tmp_path / "o.sqlite") as box:
        uplink = MqttUplink(MqttSettings(url=mosquitto_url, hold_unrouted=False), box, vid).start()
        try:
            uplink.submit(event(vid, 1))
            assert uplink.wait_drained(10)
        finally:
            uplink.close()
    with Outbox(tmp_path / "r.sqlite") as box:
        # a retained message is kept by the broker for later subscribers: nothing to hold
        # (an empty retained payload: it leaves nothing retained on the shared broker)
        box.put("r1", "event", f"dms/v1/{vid}/retained-probe", b"", qos=1, retain=True)
        uplink = MqttUplink(MqttSettings(url=mosquitto_url), box, vid).start()
        try:
            assert uplink.wait_drained(10)
        finally:
            uplink.close()
    assert uplink.stats.unrouted == 0 and uplink.stats.acknowledged == 1
