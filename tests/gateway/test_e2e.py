"""End to end against the machine's Mosquitto and PostgreSQL with real `dms gateway run` processes.

Every test uses its own vehicle ids, shared-subscription group and client ids (other engineers' tests
use the same broker), and removes its broker sessions at the end.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dms.contract import DriverEvent, encode
from gateway import auth
from gateway.api import create_app
from gateway.db.models import DeadLetter, ProcessedMessage, ServiceAppointment, StatusSample
from gateway.db.session import make_engine, make_sessionmaker, session_scope
from tests.support.db import empty_pg
from tests.support.factories import register, status
from tools.demo.processes import Child, dms_command, wait_until
from tools.load.loadgen import clear_sessions, publish, status_messages

pytestmark = pytest.mark.slow
# Recent: raw status rows older than the gateway's raw_retention_days (7) are deleted by its housekeeping.
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


@pytest.fixture
def pg_url(pg_database, mosquitto_url):
    empty_pg(pg_database)
    return pg_database


@pytest.fixture
def run(tmp_path, mosquitto_url, pg_url):
    """Start gateway processes in a fresh group; sessions and processes cleaned up afterwards."""
    tag = uuid.uuid4().hex[:8]
    started: list[Child] = []

    def start(client: str) -> Child:
        child = Child(
            client,
            dms_command(
                "-v",
                "gateway",
                "run",
                "--mqtt",
                mosquitto_url,
                "--db",
                pg_url,
                "--group",
                f"g{tag}",
                "--client-id",
                f"{client}-{tag}",
                "--http",
                "127.0.0.1:0",
            ),
            tmp_path / f"{client}.log",
        )
        before = child.log_path.read_text() if child.log_path.exists() else ""
        child.start()
        started.append(child)
        wait_until(
            lambda: (
                child.log_path.read_text().count("gateway: consuming") > before.count("gateway: consuming")
                or not child.running()
            ),
            60,
            what=f"{client} to subscribe",
        )
        assert child.running(), child.tail(20)
        return child

    start.tag = tag
    yield start
    for child in started:
        child.stop()
    clear_sessions(mosquitto_url, {f"{c.name}-{tag}" for c in started})


def _count(url, model, *where) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        engine.dispose()


def _event(vid: str, i: int) -> tuple[str, bytes]:
    return encode(
        DriverEvent(
            vehicle_id=vid,
            msg_id=f"ev{vid}{i:04d}".replace("-", ""),
            ts=START,
            type="microsleep" if i % 2 else "long_distraction",
            level=1 + i % 3,
            episode_id=f"ep{i}",
            t=float(i),
        )
    )


def test_duplicates_and_malformed_through_the_api(run, pg_url, mosquitto_url):
    sessions = make_sessionmaker(make_engine(pg_url))
    vid = f"E2E-{run.tag}"
    register(sessions, vid, now=START)
    with session_scope(sessions) as db:
        auth.create_user(db, "admin", "pw", "admin", dealer_code=None, now=START, rounds=4)
    run("gw")
    valid = [_event(vid, i) for i in range(40)]
    topic = f"dms/v1/{vid}/event"
    malformed = [
        (topic, b"{not json"),
        (topic, b'{"schema_version": 2, "msg_id": "xxxxxxxx"}'),
        (topic, b"[" * 70_000),
        (topic, b'{"schema_version": 1, "vehicle_id": "' + vid.encode() + b'"}'),
        _event(f"NOBODY-{run.tag}", 1),
    ]
    stream = []
    for i, item in enumerate(valid):
        stream += [item, valid[i // 2]]  # every valid message at least twice
        if i % 8 == 0:
            stream.append(malformed[i // 8])
    publish(mosquitto_url, stream)
    mine = (DeadLetter.topic == topic) | DeadLetter.topic.contains(run.tag)
    wait_until(
        lambda: _count(pg_url, ProcessedMessage) >= 40 and _count(pg_url, DeadLetter, mine) >= 5,
        60,
        what="all messages applied",
    )
    time.sleep(1.0)  # anything extra (a double apply) would show up now

    api = TestClient(create_app(pg_url))
    token = api.post("/api/token", data={"username": "admin", "password": "pw"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    events = api.get(f"/api/vehicles/{vid}/events?limit=1000", headers=headers).json()["items"]
    assert sorted(e["t"] for e in events) == [float(i) for i in range(40)]
    # other traffic on the shared broker may be dead-lettered too: read past the default page of 500
    dead = [
        d
        for d in api.get("/api/dead-letters?limit=10000", headers=headers).json()["items"]
        if d["topic"] == topic or run.tag in d["topic"]
    ]
    assert sorted(d["reason"] for d in dead) == sorted(
        ["not_json", "unknown_schema_version", "too_large", "invalid", "unknown_vehicle"]
    )


def test_odometer_crossing_creates_one_proposal(run, pg_url, mosquitto_url):
    sessions = make_sessionmaker(make_engine(pg_url))
    vid = f"ODO-{run.tag}"
    register(
        sessions,
        vid,
        now=START,
        model=f"M{run.tag}",
        rules=[dict(name="Service", model=f"M{run.tag}", type="km", start=10_000, period=10_000, lead=200)],
    )
    run("gw")
    readings = [
        status(vid, datetime.fromtimestamp(START.timestamp() + i, UTC), odometer=9_700 + 10 * i)
        for i in range(60)
    ]  # 9,700 .. 10,290 km: crosses the 9,800 km proposal point once
    publish(mosquitto_url, readings + readings[10:30])  # with redelivered duplicates
    wait_until(
        lambda: _count(pg_url, StatusSample, StatusSample.vehicle_id == vid) >= 60, 60, what="readings"
    )
    time.sleep(1.0)
    with sessions() as db:
        appts = db.scalars(select(ServiceAppointment).where(ServiceAppointment.vehicle_id == vid)).all()
    assert [(a.source, a.due_odometer_km, a.status, a.dealer_code) for a in appts] == [
        ("maintenance_rule", 10_000.0, "proposed", "D1")
    ]


def test_kill_9_mid_stream_and_restart_lose_nothing(run, pg_url, mosquitto_url):
    sessions = make_sessionmaker(make_engine(pg_url))
    vids = [f"K{run.tag}-{i}" for i in range(5)]
    register(sessions, *vids, now=START)
    gw = run("gw")
    messages = list(status_messages(vids, 1500, START, tag=f"k{run.tag}"))
    # Mosquitto keeps at most max_queued_messages (default 1000) per offline session, counting the
    # unacknowledged in-flight ones: at most 500 + 300 are outstanding while the gateway is down.
    first = threading.Thread(target=publish, args=(mosquitto_url, messages[:500]), kwargs={"pace_s": 0.001})
    first.start()
    wait_until(lambda: _count(pg_url, ProcessedMessage) >= 150, 60, interval=0.05, what="first messages")
    os.kill(gw.proc.pid, signal.SIGKILL)
    gw.proc.wait(10)
    stored_at_kill = _count(pg_url, ProcessedMessage)
    first.join()
    publish(mosquitto_url, messages[500:800])  # while the gateway is down: the broker queues them
    run("gw")  # same client id: the persistent session returns unacknowledged and queued messages
    publish(mosquitto_url, messages[800:])
    wait_until(lambda: _count(pg_url, ProcessedMessage) >= 1500, 90, what="every message after the restart")
    time.sleep(1.0)
    assert stored_at_kill < 1500
    assert _count(pg_url, ProcessedMessage) == 1500 and _count(pg_url, StatusSample) == 1500


def test_two_gateways_share_the_stream(run, pg_url, mosquitto_url):
    sessions = make_sessionmaker(make_engine(pg_url))
    vids = [f"S{run.tag}-{i}" for i in range(20)]
    register(sessions, *vids, now=START)
    a, b = run("gwa"), run("gwb")
    publish(mosquitto_url, status_messages(vids, 2000, START, tag=f"s{run.tag}"), pace_s=0.0002)
    wait_until(lambda: _count(pg_url, ProcessedMessage) >= 2000, 90, what="every message")
    time.sleep(1.0)
    a.stop()
    b.stop()
    applied, duplicates = [], []
    for child in (a, b):
        summary = re.findall(r"(\d+) applied, (\d+) duplicates", child.log_path.read_text())[-1]
        applied.append(int(summary[0]))
        duplicates.append(int(summary[1]))
    assert sum(applied) == 2000 and min(applied) > 0, applied
    assert duplicates == [0, 0]
    assert _count(pg_url, StatusSample) == 2000
