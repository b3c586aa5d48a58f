"""The JetStream receiver on one real nats-server node: open pull requests bring what is stored, no more
than `receive_maximum` unacknowledged, and a refused request is asked again after a pause, not at once."""

from __future__ import annotations

import asyncio
import logging
import queue
import shutil
import time

import pytest

from gateway.jetstream import NatsReceiver, parse_nats_url
from gateway.settings import GatewaySettings
from tools.load.nats_cluster import NATS_SERVER, STREAM, NatsCluster

pytestmark = pytest.mark.skipif(
    shutil.which(NATS_SERVER) is None, reason="nats-server is not installed (apt-get install nats-server)"
)


def _store(urls: str, vehicles: list[str]) -> None:
    """What nats-server stores for a vehicle's QoS 1 MQTT PUBLISH: a message on `$MQTT.msgs.<subject>`."""
    import nats

    async def publish() -> None:
        nc = await nats.connect(urls.split(","))
        js = nc.jetstream()
        for i, vid in enumerate(vehicles):
            await js.publish(f"$MQTT.msgs.dms.v1.{vid}.status", b'{"n": %d}' % i, stream=STREAM)
        await nc.close()

    asyncio.run(publish())


def _drain(receiver: NatsReceiver, wait_s: float) -> list:
    got, deadline = [], time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            got.append(receiver.deliveries.get(timeout=0.05))
        except queue.Empty:
            pass
    return got


def _consumer(urls: str, group: str):
    import nats

    async def info():
        nc = await nats.connect(urls.split(","))
        try:
            return await nc.jetstream().consumer_info(STREAM, group)
        finally:
            await nc.close()

    return asyncio.run(info())


def test_open_requests_bring_what_is_stored_within_receive_maximum(tmp_path):
    settings = GatewaySettings(stream_replicas=1, batch_max=4, receive_maximum=6, group="rx")
    with NatsCluster(tmp_path / "nats", size=1) as node:
        receiver = NatsReceiver(parse_nats_url(node.nats_urls), settings, "rx-1")
        receiver.start()
        try:
            _store(node.nats_urls, [f"V{i}" for i in range(15)])
            first = _drain(receiver, 1.0)
            assert len(first) == 6  # receive_maximum: the rest waits in the stream
            # each message's topic is its stored subject's, its payload as published
            assert all(d.payload == b'{"n": %d}' % int(d.topic.split("/")[2][1:]) for d in first)
            receiver.ack(first)
            second = _drain(receiver, 1.0)
            assert len(second) == 6
            receiver.ack(second)
            third = _drain(receiver, 1.0)
            # several requests are open at once: their messages may interleave (the ingest orders one
            # vehicle's messages by their time, as it must for several gateways anyway)
            assert sorted(d.topic for d in first + second + third) == sorted(
                f"dms/v1/V{i}/status" for i in range(15)
            )
            receiver.ack(third)
            time.sleep(0.3)
            info = _consumer(node.nats_urls, "rx")
            assert (info.num_ack_pending, info.num_pending) == (0, 0)
        finally:
            receiver.stop()


def test_a_refused_request_is_asked_again_after_a_pause_and_said_once(tmp_path, caplog):
    """A consumer that lets one request wait (made so by hand: the gateway keeps a consumer as it finds
    it) refuses the others at once (409): asking again at once would spin."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

    from gateway.jetstream import MQTT_STORE_PREFIX, SUBJECTS

    settings = GatewaySettings(stream_replicas=1, group="narrow", batch_max=100, receive_maximum=1000)
    with NatsCluster(tmp_path / "nats", size=1) as node:

        async def narrow_consumer() -> None:
            nc = await nats.connect(node.nats_urls.split(","))
            js = nc.jetstream()
            await js.add_stream(StreamConfig(name=STREAM, subjects=[MQTT_STORE_PREFIX + ">"]))
            config = ConsumerConfig(
                durable_name="narrow", filter_subject=SUBJECTS, ack_policy=AckPolicy.EXPLICIT, max_waiting=1
            )
            await js.add_consumer(STREAM, config)
            await nc.close()

        asyncio.run(narrow_consumer())
        receiver = NatsReceiver(parse_nats_url(node.nats_urls), settings, "rx-2")
        with caplog.at_level(logging.WARNING, logger="gateway.jetstream"):
            receiver.start()
            try:
                time.sleep(2.0)
                asked = receiver._pulls.opened
                refusals = [r.getMessage() for r in caplog.records if "refused a pull" in r.getMessage()]
                _store(node.nats_urls, ["V1"])  # the one request that waits still brings messages
                got = _drain(receiver, 1.0)
            finally:
                receiver.stop()
    # 10 requests wanted, 9 refused at once each time: asked again after a pause, not in a loop
    assert asked <= 10 * (2.0 / 0.5 + 2), asked
    assert len(refusals) == 1 and "409 Exceeded MaxWaiting" in refusals[0], refusals
    assert [d.topic for d in got] == ["dms/v1/V1/status"]
