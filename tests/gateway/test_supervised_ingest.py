"""Faults a vehicle or an operator can cause in the ingest (issue 16, item 5): a killed worker is
replaced, an oversize payload is cut down on arrival, a retained garbage presence is dead-lettered once."""

from __future__ import annotations

import os
import signal
import uuid

import pytest
from sqlalchemy import select

from dms.contract.messages import utc_now
from gateway.db.models import DeadLetter
from gateway.ingest import Ingestor
from gateway.ingest.dead_letters import Oversize, Retained
from gateway.ingest.processes import IngestWorkerDied, ProcessIngestor
from gateway.mqtt import MqttReceiver, parse_broker_url
from gateway.settings import GatewaySettings
from tests.support.db import T0, empty_pg
from tests.support.factories import later, register, status


def test_a_killed_worker_is_replaced_and_the_next_apply_works(pg_database):
    from gateway.db.session import make_engine, make_sessionmaker

    empty_pg(pg_database)
    sessions = make_sessionmaker(make_engine(pg_database))
    register(sessions, "V1", now=T0)
    ingestor = ProcessIngestor(sessions, pg_database, GatewaySettings(), utc_now, workers=2)
    try:
        before = list(ingestor.pids)
        os.kill(before[0], signal.SIGKILL)
        with pytest.raises(IngestWorkerDied):
            ingestor.apply([status("V1", T0, speed=3)])
        assert ingestor.replaced == 1 and not set(ingestor.pids) & set(before)
        assert ingestor.apply([status("V1", T0, speed=3)]).applied == 1
    finally:
        ingestor.close()


def test_a_garbage_presence_the_broker_retains_is_dead_lettered_once(sessions, clock):
    """The broker sends a retained presence again at every subscription: each reconnect, each start."""
    import pickle

    register(sessions, "V1", now=T0)
    garbage = ("dms/v1/V1/presence", pickle.loads(pickle.dumps(Retained(b'{"state": "online", "junk": 1}'))))
    results = [Ingestor(sessions, GatewaySettings(), clock=clock).apply([garbage]) for _ in range(3)]
    assert [r.dead_lettered for r in results] == [1, 0, 0]
    assert [r.duplicates for r in results] == [0, 0, 0]  # duplicates are msg_ids applied before
    sent_again = (garbage[0], bytes(garbage[1]))  # published anew, not from the retained store: kept
    assert [Ingestor(sessions, clock=clock).apply([sent_again]).dead_lettered for _ in range(2)] == [1, 1]


def test_an_oversize_payload_is_cut_down_on_arrival(mosquitto_url, sessions, clock):
    from tools.load.loadgen import publish

    vid = f"BIG-{uuid.uuid4().hex[:8]}"  # the machine's broker retains other tests' presences
    register(sessions, vid, now=T0)
    settings = GatewaySettings(group=f"g{uuid.uuid4().hex[:8]}", session_expiry_s=0)
    client_id = f"big-{uuid.uuid4().hex[:8]}"
    receiver = MqttReceiver(parse_broker_url(mosquitto_url), settings, client_id=client_id)
    receiver.start()
    deliveries = []
    try:
        oversize = (f"dms/v1/{vid}/status", b"x" * 3_000_000)
        publish(mosquitto_url, [oversize, status(vid, later(T0, 1), speed=5)])
        while len(deliveries) < 2:
            delivery = receiver.deliveries.get(timeout=10)
            if f"/{vid}/" in delivery.topic:
                deliveries.append(delivery)
    finally:
        receiver.stop()
    big = next(d for d in deliveries if isinstance(d.payload, Oversize))
    assert big.payload.size == 3_000_000 and len(big.payload.head) == settings.dead_letter_max_bytes
    result = Ingestor(sessions, settings, clock=clock).apply([(d.topic, d.payload) for d in deliveries])
    assert (result.applied, result.dead_lettered) == (1, 1)
    with sessions() as db:
        dead = db.scalars(select(DeadLetter)).one()
    assert (dead.reason, dead.payload_size, len(dead.payload)) == ("too_large", 3_000_000, 4096)
