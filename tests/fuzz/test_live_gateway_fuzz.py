"""A fuzz run through a live `dms gateway run` (private Mosquitto, PostgreSQL): thousands of random and
mutated payloads; the gateway keeps running and every payload is stored (by msg_id) or dead-lettered."""

from __future__ import annotations

import collections

import pytest
from sqlalchemy import select

from dms.contract import decode
from dms.contract.codec import is_command_topic
from gateway.db.models import DeadLetter, ProcessedMessage
from gateway.db.session import make_engine, make_sessionmaker
from tests.fuzz.payloads import T0, fuzz_stream
from tests.support.db import empty_pg
from tests.support.factories import register
from tests.support.faults import Gateways, big_queue_broker, count_rows
from tests.support.mqtt import MOSQUITTO, wait_for
from tools.load.loadgen import publish

pytestmark = pytest.mark.slow
COUNT = 5000


def test_thousands_of_fuzzed_payloads_are_each_stored_or_dead_lettered(tmp_path, pg_database):
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed")
    empty_pg(pg_database)
    vehicles = [f"FZ-{i}" for i in range(5)]
    register(make_sessionmaker(make_engine(pg_database)), *vehicles, now=T0)
    stream = list(fuzz_stream(vehicles, COUNT))
    valid_ids = {decode(t, p).msg_id for t, p, ok in stream if ok}
    # the back office's own commands to vehicles (dms/v1/<id>/cmd) are neither stored nor dead-lettered
    ingested = [m for m in stream if not is_command_topic(m[0])]
    broker = big_queue_broker(tmp_path).start()
    gateways = Gateways(tmp_path, broker.url, pg_database)
    try:
        gw = gateways.start("gw", "--session-expiry", "30")
        publish(broker.url, [(t, p) for t, p, _ in stream])
        wait_for(
            lambda: (
                count_rows(pg_database, ProcessedMessage) + count_rows(pg_database, DeadLetter)
                >= len(ingested)
            ),
            120,
            "every payload stored or dead-lettered",
            interval=0.5,
        )
        assert gw.running(), gw.tail(20)
    finally:
        gateways.close()
        broker.stop()
    engine = make_engine(pg_database)
    with engine.connect() as conn:
        stored = set(conn.scalars(select(ProcessedMessage.msg_id)))
        reasons = collections.Counter(conn.scalars(select(DeadLetter.reason)))
    engine.dispose()
    dead = sum(reasons.values())
    print(f"\n{len(stream)} payloads sent: {len(stored)} stored, {dead} dead-lettered {dict(reasons)}")
    assert stored <= valid_ids
    assert len(stored) + dead == len(ingested)  # none lost, none counted twice
    assert len(stored) + reasons["apply_failed"] == len(valid_ids)  # valid: stored or refused by the DB
    log = (tmp_path / "gw.log").read_text()
    assert "Traceback" not in log, log[-2000:]
