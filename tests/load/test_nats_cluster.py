"""The clustered bus end to end: a real 3-node NATS cluster (JetStream + MQTT listener) on loopback ports,
vehicles with the real uplink and outbox publishing MQTT into it, two `dms gateway run --bus nats://...`
sharing one durable consumer into PostgreSQL. Under load one NATS node and then one of the two gateways
are killed with SIGKILL: every message must be stored exactly once, each vehicle's live view must end at
its last message (applied by message time, whichever gateway committed first), and the consumer's backlog
must return to zero.

In the first test the killed node leads the stream the gateways consume (nats-server's MQTT QoS 1 store)
and holds a gateway's connection, and the vehicles are on another node; in the second the killed node is
the one the vehicles are connected to (it also leads the stream): their uplinks know every node's MQTT
listener (`mqtt.failover_urls`), move to the next one and send again what their outboxes hold."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from edge.uplink.mqtt import MqttUplink
from edge.uplink.outbox import Outbox
from edge.uplink.settings import MqttSettings
from gateway.db.models import DriverEventRecord, ProcessedMessage, StatusSample, VehicleLiveStatus
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.db import empty_pg
from tests.support.factories import register, submit_tick
from tests.support.faults import Gateways
from tests.support.mqtt import wait_for
from tools.load.nats_cluster import NATS_SERVER, STREAM, NatsCluster, jetstream_state

pytestmark = pytest.mark.slow
# Recent: raw status rows older than the gateway's raw_retention_days (7) are deleted by its housekeeping.
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
HZ, TICKS = 10, 300  # 30 s at 10 messages per vehicle-second


def _skip_without_nats():
    import shutil

    if shutil.which(NATS_SERVER) is None:
        pytest.skip("nats-server is not installed")


def test_killing_a_node_and_a_gateway_under_load_stores_everything_once_and_in_order(tmp_path, pg_database):
    _skip_without_nats()
    empty_pg(pg_database)
    vehicles = [f"NC{i:02d}" for i in range(12)]
    register(make_sessionmaker(make_engine(pg_database)), *vehicles, now=START)
    config = tmp_path / "gateway.yaml"
    config.write_text("ack_wait_s: 5\n")  # a killed gateway's messages come back after 5 s, not 60
    with NatsCluster(tmp_path / "nats") as cluster:
        gateways = Gateways(tmp_path, cluster.nats_urls, pg_database)
        uplinks = []
        try:
            gw2 = gateways.start("gw2", "--config", str(config))  # creates the stream and the consumer
            group = f"g{gateways.tag}"
            names = [n.name for n in cluster.nodes]
            # the node that dies leads the stream (the hardest case: an election while vehicles publish)
            victim = names.index(jetstream_state(cluster.nats_urls, STREAM, group)["stream_leader"])
            entry = (victim + 1) % 3  # the vehicles' node
            # gw1 is connected to the node that dies (its nearest, first in its list)
            order = [victim] + [i for i in range(3) if i != victim]
            gw1 = gateways.start(
                "gw1", "--config", str(config), bus_url=",".join(cluster.nodes[i].nats_url for i in order)
            )
            for vid in vehicles:
                settings = MqttSettings(
                    url=cluster.nodes[entry].mqtt_url, protocol="3.1.1", reconnect_max_s=1, max_inflight=50
                )
                uplinks.append(
                    MqttUplink(settings, Outbox(tmp_path / f"{vid}.sqlite", exclusive=True), vid).start()
                )
            sent_status = sent_events = 0
            began = time.monotonic()
            for tick in range(TICKS):
                ts = START + timedelta(seconds=tick / HZ)
                statuses, events = submit_tick(uplinks, vehicles, tick, ts, event_every=25)
                sent_status += statuses
                sent_events += events
                if tick == 80:
                    cluster.kill(victim)
                if tick == 160:
                    os.kill(gw1.proc.pid, signal.SIGKILL)  # its ingest workers follow their parent
                time.sleep(max(0.0, began + (tick + 1) / HZ - time.monotonic()))
            for up in uplinks:
                assert up.wait_drained(60), f"{up.vehicle_id}: {up.pending()} left"
            sent = sent_status + sent_events
            mine = ProcessedMessage.vehicle_id.in_(vehicles), ProcessedMessage.kind.in_(["status", "event"])
            wait_for(lambda: _count(pg_database, ProcessedMessage, *mine) >= sent, 90, "every message stored")
            # lag recovered: nothing left to hand out or waiting for an acknowledgement
            wait_for(lambda: _drained(cluster.nats_urls, group), 60, "the consumer's backlog to empty")
            assert gw2.running(), gw2.tail(20)
        finally:
            for up in uplinks:
                up.close()
                up.outbox.close()
            gateways.close()
    duplicates = gateways.children["gw2"].tail(1)
    what = f"node {names[victim]} and gateway gw1 killed; gw2: {duplicates}"
    _assert_stored_once(pg_database, vehicles, sent_status, sent_events, what)


def test_killing_the_vehicles_node_moves_them_to_another_and_loses_nothing(tmp_path, pg_database):
    _skip_without_nats()
    empty_pg(pg_database)
    vehicles = [f"NF{i:02d}" for i in range(12)]
    register(make_sessionmaker(make_engine(pg_database)), *vehicles, now=START)
    config = tmp_path / "gateway.yaml"
    config.write_text("ack_wait_s: 5\n")
    with NatsCluster(tmp_path / "nats") as cluster:
        gateways = Gateways(tmp_path, cluster.nats_urls, pg_database)
        uplinks = []
        try:
            gateways.start("gw", "--config", str(config))
            group = f"g{gateways.tag}"
            names = [n.name for n in cluster.nodes]
            # the vehicles' node also leads the stream: their PUBLISHes in flight wait on an election too
            victim = names.index(jetstream_state(cluster.nats_urls, STREAM, group)["stream_leader"])
            urls = [cluster.nodes[(victim + k) % 3].mqtt_url for k in range(3)]  # theirs first
            for vid in vehicles:
                settings = MqttSettings(
                    url=urls[0], failover_urls=urls[1:], protocol="3.1.1", reconnect_max_s=1, max_inflight=50
                )
                uplinks.append(
                    MqttUplink(settings, Outbox(tmp_path / f"{vid}.sqlite", exclusive=True), vid).start()
                )
            wait_for(lambda: all(up.connected for up in uplinks), 20, "every uplink connected")
            sent_status = sent_events = 0
            began = time.monotonic()
            for tick in range(TICKS):
                ts = START + timedelta(seconds=tick / HZ)
                statuses, events = submit_tick(uplinks, vehicles, tick, ts, event_every=25)
                sent_status += statuses
                sent_events += events
                if tick == 80:
                    cluster.kill(victim)
                time.sleep(max(0.0, began + (tick + 1) / HZ - time.monotonic()))
            for up in uplinks:
                assert up.wait_drained(60), f"{up.vehicle_id}: {up.pending()} left"
            moved = {up.vehicle_id: up.stats.failovers for up in uplinks}
            sent = sent_status + sent_events
            mine = ProcessedMessage.vehicle_id.in_(vehicles), ProcessedMessage.kind.in_(["status", "event"])
            wait_for(lambda: _count(pg_database, ProcessedMessage, *mine) >= sent, 90, "every message stored")
            wait_for(lambda: _drained(cluster.nats_urls, group), 60, "the consumer's backlog to empty")
        finally:
            for up in uplinks:
                up.close()
                up.outbox.close()
            gateways.close()
    assert all(n >= 1 for n in moved.values()), moved  # every vehicle left the dead node
    duplicates = gateways.children["gw"].tail(1)
    what = f"their node {names[victim]} (the stream leader) killed; failovers {sorted(moved.values())}; {duplicates}"
    _assert_stored_once(pg_database, vehicles, sent_status, sent_events, what)


def _assert_stored_once(pg_database: str, vehicles: list[str], sent_status: int, sent_events: int, what: str):
    """Every message stored, none applied twice, each vehicle's live view at its last message."""
    sent = sent_status + sent_events
    mine = ProcessedMessage.vehicle_id.in_(vehicles), ProcessedMessage.kind.in_(["status", "event"])
    stored = _count(pg_database, ProcessedMessage, *mine)
    samples = _count(pg_database, StatusSample, StatusSample.vehicle_id.in_(vehicles))
    distinct = _scalar(
        pg_database,
        select(func.count(func.distinct(StatusSample.msg_id))).where(StatusSample.vehicle_id.in_(vehicles)),
    )
    events = _count(pg_database, DriverEventRecord, DriverEventRecord.vehicle_id.in_(vehicles))
    print(
        f"\n{sent} messages ({sent_status} status, {sent_events} events) from {len(vehicles)} vehicles, "
        f"{what}: {stored} stored, {samples} status samples ({distinct} distinct), {events} events"
    )
    assert stored == sent  # nothing lost
    assert samples == distinct == sent_status and events == sent_events  # nothing applied twice
    engine = make_engine(pg_database)
    with engine.connect() as conn:
        live = {r.vehicle_id: r for r in conn.execute(select(VehicleLiveStatus))}
    engine.dispose()
    last = START + timedelta(seconds=(TICKS - 1) / HZ)
    for vid in vehicles:  # each vehicle's view is its last message: applied in message order
        assert (live[vid].status_ts.replace(tzinfo=UTC), live[vid].odometer_km) == (last, 100 + TICKS - 1)


def _drained(urls: str, group: str) -> bool:
    try:
        state = jetstream_state(urls, STREAM, group)
    except Exception:
        return False
    return state["pending"] == 0 and state["ack_pending"] == 0 and state["messages"] == 0


def _count(db_url: str, model, *where) -> int:
    return _scalar(db_url, select(func.count()).select_from(model).where(*where))


def _scalar(db_url: str, query):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(query)
    finally:
        engine.dispose()


def test_gateway_start_checks_the_stream_and_says_what_is_wrong_in_one_line(tmp_path, capsys):
    """A single node cannot hold 3 replicas: whether the stream is missing (the gateway would make it) or
    already made by nats-server with one replica, `dms gateway run` ends with one line saying so."""
    from tools.cli import main

    _skip_without_nats()
    with NatsCluster(tmp_path / "nats", size=1) as node:
        db = f"sqlite:///{tmp_path}/g.db"
        assert main(["gateway", "run", "--bus", node.nats_urls, "--db", db]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "cannot use the NATS cluster" in err[0] and "replicas" in err[0].lower(), err
        node.ensure_mqtt_store()  # now nats-server's own, with the one replica it can have
        assert main(["gateway", "run", "--bus", node.nats_urls, "--db", db]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "has 1 replicas, the settings ask for 3" in err[0], err


def test_the_gateway_bounds_the_stream_and_moves_the_bounds_when_the_settings_do(tmp_path):
    """nats-server makes `$MQTT_msgs` without limits; the gateway sets its settings' max age and size
    (discard new) when it makes the stream and when it finds it with other limits."""
    import asyncio

    import nats

    from gateway.jetstream import NatsReceiver, parse_nats_url
    from gateway.settings import GatewaySettings

    _skip_without_nats()

    async def limits(urls: str) -> tuple:
        nc = await nats.connect(urls.split(","))
        try:
            config = (await nc.jetstream().stream_info(STREAM)).config
            return config.max_age, config.max_bytes, config.discard
        finally:
            await nc.close()

    with NatsCluster(tmp_path / "nats", size=1) as node:
        for age_s, size in ((3 * 86400, 64 * 1024**2), (86400, 32 * 1024**2)):
            settings = GatewaySettings(stream_replicas=1, stream_max_age_s=age_s, stream_max_bytes=size)
            receiver = NatsReceiver(parse_nats_url(node.nats_urls), settings, "bounds")
            receiver.start()
            receiver.stop()
            assert asyncio.run(limits(node.nats_urls)) == (age_s, size, "new")
