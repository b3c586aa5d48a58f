"""A live `dms gateway run` (private Mosquitto, PostgreSQL, ingest worker processes) against the faults
of issue 16, item 5: a killed ingest worker, a flood of oversize payloads, a retained garbage presence
over restarts. The gateway keeps running and every message is stored or dead-lettered once."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

import paho.mqtt.client as paho
import psutil
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gateway.db.models import DeadLetter, ProcessedMessage
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.db import empty_pg
from tests.support.factories import register
from tests.support.faults import Gateways, big_queue_broker, count_rows
from tests.support.mqtt import MOSQUITTO, wait_for
from tools.load.loadgen import publish, status_messages

pytestmark = pytest.mark.slow
START = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def _workers(gateway) -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process(gateway.proc.pid).children(recursive=True)
        if "resource_tracker" not in " ".join(p.cmdline())
    ]


@pytest.fixture
def live(tmp_path, pg_database):
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed")
    empty_pg(pg_database)
    broker = big_queue_broker(tmp_path).start()
    gateways = Gateways(tmp_path, broker.url, pg_database)
    yield broker, gateways, pg_database
    gateways.close()
    broker.stop()


def test_a_killed_worker_is_replaced_and_nothing_is_lost(live, tmp_path):
    broker, gateways, db = live
    vehicles = [f"KW{i}" for i in range(10)]
    register(make_sessionmaker(make_engine(db)), *vehicles, now=START)
    gw = gateways.start("gw")
    before = _workers(gw)
    assert len(before) == 2, [p.cmdline() for p in before]
    os.kill(before[0].pid, signal.SIGKILL)
    publish(broker.url, list(status_messages(vehicles, 2000, START, tag="kw")))
    wait_for(lambda: count_rows(db, ProcessedMessage) >= 2000 or not gw.running(), 120, "all stored")
    assert gw.running(), gw.tail(20)
    assert count_rows(db, ProcessedMessage) == 2000 and count_rows(db, DeadLetter) == 0
    after = _workers(gw)
    assert len(after) == 2 and before[0].pid not in {p.pid for p in after}
    assert "started new workers" in gw.log_path.read_text()


def test_oversize_flood_does_not_blow_up_memory_and_retained_garbage_is_dead_lettered_once(live, tmp_path):
    broker, gateways, db = live
    register(make_sessionmaker(make_engine(db)), "OV1", now=START)
    gw = gateways.start("gw")
    family = [psutil.Process(gw.proc.pid), *_workers(gw)]
    idle = sum(p.memory_info().rss for p in family)
    flood = [("dms/v1/OV1/status", os.urandom(16) + b"x" * 10_000_000) for _ in range(20)]
    peak = 0

    def settled() -> bool:
        nonlocal peak
        peak = max(peak, sum(p.memory_info().rss for p in family))
        return count_rows(db, DeadLetter) >= 20 or not gw.running()

    publish(broker.url, flood)
    wait_for(settled, 120, "20 oversize payloads dead-lettered", interval=0.2)
    assert gw.running(), gw.tail(20)
    after = sum(p.memory_info().rss for p in family)
    print(
        f"\ngateway + workers RSS: idle {idle / 2**20:.0f} MB, peak {peak / 2**20:.0f} MB, "
        f"after 20 x 10 MB payloads {after / 2**20:.0f} MB"
    )
    assert after - idle < 150 * 2**20

    sender = paho.Client(CallbackAPIVersion.VERSION2, client_id="retainer")
    sender.connect("127.0.0.1", int(broker.url.rsplit(":", 1)[1]))
    sender.loop_start()
    sender.publish("dms/v1/OV1/presence", b'{"garbage": true}', qos=1, retain=True).wait_for_publish(10)
    sender.loop_stop()
    sender.disconnect()
    wait_for(lambda: count_rows(db, DeadLetter) >= 21, 30, "the garbage presence dead-lettered")
    for _ in range(2):  # each start subscribes again and the broker sends the retained presence again
        gw.stop()
        gw = gateways.start("gw")
    assert count_rows(db, DeadLetter) == 21
    assert gw.running()
