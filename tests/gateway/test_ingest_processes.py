"""Ingest worker processes (PostgreSQL): same results as in-process ingest, errors that keep their meaning
across the process boundary, and no worker left behind by a gateway that is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from dms.contract.messages import utc_now
from gateway.db.models import DeadLetter, StatusSample
from gateway.db.session import make_engine, make_sessionmaker
from gateway.ingest.batch import is_transient
from gateway.ingest.processes import IngestWorkerFailed, ProcessIngestor
from gateway.settings import GatewaySettings
from tests.support.db import T0, empty_pg
from tests.support.factories import later, register, status


@pytest.fixture
def pg_url(pg_database) -> str:
    empty_pg(pg_database)
    return pg_database


@pytest.fixture
def pg_sessions(pg_url):
    engine = make_engine(pg_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by a dead parent's init) counts as gone.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[1][0] != "Z"


def test_workers_apply_batches_in_their_own_processes(pg_url, pg_sessions):
    register(pg_sessions, "V1", now=T0)
    ingestor = ProcessIngestor(pg_sessions, pg_url, GatewaySettings(), utc_now, workers=2)
    try:
        good = [status("V1", later(T0, i), odometer=100 + i) for i in range(4)]
        first = ingestor.apply(good[:3] + [("dms/v1/V1/status", b"{not json")])
        second = ingestor.apply(good)
        pids = ingestor.pids
    finally:
        ingestor.close()
    assert (first.applied, first.dead_lettered, second.applied, second.duplicates) == (3, 1, 1, 3)
    assert len(pids) == 2 and os.getpid() not in pids
    with pg_sessions() as db:
        assert db.scalar(select(func.count()).select_from(StatusSample)) == 4
        assert db.scalar(select(func.count()).select_from(DeadLetter)) == 1


def test_a_connection_the_database_dropped_between_batches_is_replaced_at_once(pg_url, pg_sessions):
    """Workers' connections are not checked before each batch: the batch that finds its connection dead
    (the database restarted, an administrator ended it) is applied again at once on a new one."""
    register(pg_sessions, "V1", now=T0)
    ingestor = ProcessIngestor(pg_sessions, pg_url, GatewaySettings(), utc_now, workers=1)
    try:
        ingestor.apply([status("V1", T0, speed=3)])
        with pg_sessions() as db:
            ended = db.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        assert ended >= 1  # the worker's idle connection among them
        result = ingestor.apply([status("V1", later(T0, 1), speed=4)])
    finally:
        ingestor.close()
    assert result.applied == 1
    with pg_sessions() as db:
        assert db.scalar(select(func.count()).select_from(StatusSample)) == 2


def test_a_database_that_is_away_is_still_a_transient_error():
    url = "postgresql://postgres@127.0.0.1:1/nothing"
    ingestor = ProcessIngestor(
        make_sessionmaker(make_engine(url)), url, GatewaySettings(), utc_now, workers=1
    )
    try:
        with pytest.raises(Exception) as caught:
            ingestor.apply([status("V1", T0, speed=3)])
    finally:
        ingestor.close()
    assert is_transient(caught.value), caught.value


def test_a_worker_that_dies_fails_the_batch_with_a_clear_error(pg_url, pg_sessions):
    ingestor = ProcessIngestor(pg_sessions, pg_url, GatewaySettings(), utc_now, workers=1)
    try:
        os.kill(ingestor.pids[0], signal.SIGKILL)
        with pytest.raises(IngestWorkerFailed, match="worker process died"):
            ingestor.apply([status("V1", T0, speed=3)])
    finally:
        ingestor.close()


def test_workers_do_not_outlive_a_killed_gateway(pg_url):
    script = (
        "import sys; from dms.contract.messages import utc_now; "
        "from gateway.db.session import make_engine, make_sessionmaker; "
        "from gateway.ingest.processes import ProcessIngestor; from gateway.settings import GatewaySettings; "
        f"url = {pg_url!r}; "
        "i = ProcessIngestor(make_sessionmaker(make_engine(url)), url, GatewaySettings(), utc_now, 2); "
        "print(*i.pids, flush=True); sys.stdin.read()"
    )
    gateway = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        pids = [int(p) for p in gateway.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        gateway.kill()
        gateway.wait()
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)
