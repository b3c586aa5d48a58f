"""Messages from a broken or hostile vehicle (issue 16, items 3 and 4), applied by the real ingest on
SQLite and PostgreSQL: each is stored or dead-lettered with a clear reason, and none freezes a
vehicle's live view nor slows the batch it came in."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from gateway.db.models import DeadLetter, VehicleLiveStatus
from gateway.db.session import session_scope
from gateway.ingest import Ingestor
from gateway.settings import GatewaySettings
from tests.support.db import T0
from tests.support.factories import later, register, status

SETTINGS = GatewaySettings()


def _with(message: tuple[str, bytes], **fields) -> tuple[str, bytes]:
    topic, payload = message
    return topic, json.dumps({**json.loads(payload), **fields}).encode()


def _dead(sessions) -> list[tuple[str, str]]:
    with sessions() as db:
        return [(d.reason, d.detail) for d in db.scalars(select(DeadLetter).order_by(DeadLetter.id))]


def _live_speed(sessions):
    with sessions() as db:
        return db.get(VehicleLiveStatus, "V1").speed_kmh


def test_a_far_future_status_never_freezes_the_live_view(sessions, clock):
    register(sessions, "V1", now=T0)
    ingest = Ingestor(sessions, SETTINGS, clock=clock)
    ingest.apply([status("V1", T0, speed=10)])
    result = ingest.apply(
        [
            _with(status("V1", later(T0, 1), speed=99), ts="9999-12-31T23:59:59Z"),
            status("V1", T0 + timedelta(days=1), speed=98),
        ]
    )
    assert (result.applied, result.dead_lettered) == (1, 1)  # a day ahead: in the history only
    [(reason, detail)] = _dead(sessions)
    assert reason == "invalid" and "outside 2000-01-01" in detail
    assert _live_speed(sessions) == 10
    clock.advance(5)
    ingest.apply([status("V1", later(T0, 5), speed=20)])
    assert _live_speed(sessions) == 20


def test_a_live_view_frozen_before_the_limit_moves_again(sessions, clock):
    """A year-9999 time stored by an older gateway: the next current message replaces it."""
    register(sessions, "V1", now=T0)
    ingest = Ingestor(sessions, SETTINGS, clock=clock)
    ingest.apply([status("V1", T0, speed=10)])
    with session_scope(sessions) as db:
        db.execute(update(VehicleLiveStatus).values(status_ts=T0.replace(year=9999)))
    ingest.apply([status("V1", later(T0, 1), speed=30)])
    assert _live_speed(sessions) == 30


def _deep(topic: str, depth: int) -> tuple[str, bytes]:
    return topic, b'{"schema_version": 1, "msg_id": "deep00001", "x": ' + b"[" * depth + b"]" * depth + b"}"


def test_deep_nul_and_nan_payloads_are_judged_by_the_contract_not_the_database(sessions, clock, caplog):
    """A 30,000-deep array (under 64 KiB) raised RecursionError and, like a NUL character or NaN in the
    details, reached the database as `apply_failed`, re-applying the whole batch one message at a time."""
    from tests.support.factories import event

    register(sessions, "V1", now=T0)
    ingest = Ingestor(sessions, SETTINGS, clock=clock)
    nul = _with(event("V1", T0, episode="e1"), driver_id="D\u0000")
    nan = event("V1", later(T0, 1), episode="e2")
    nan = nan[0], nan[1].replace(b'"details":{}', b'"details":{"closure_s":NaN,"perclos":1e999,"n":2}')
    batch = [
        status("V1", T0, speed=10),
        _deep("dms/v1/V1/status", 30_000),
        nul,
        nan,
        status("V1", later(T0, 2), speed=11),
    ]
    with caplog.at_level("WARNING"):
        result = ingest.apply(batch)
    assert "refused" not in caplog.text  # the batch went in as one transaction
    assert (result.applied, result.dead_lettered) == (3, 2)
    reasons = _dead(sessions)
    assert reasons[0] == ("invalid", "JSON nested deeper than 200 levels")
    assert reasons[1][0] == "invalid" and "NUL" in reasons[1][1]
    from gateway.db.models import DriverEventRecord

    with sessions() as db:
        stored = db.scalar(select(DriverEventRecord).where(DriverEventRecord.episode_id == "e2"))
    assert stored.details == {"closure_s": None, "perclos": None, "n": 2}


def test_a_message_the_database_refuses_is_isolated_in_few_transactions(sessions, clock, monkeypatch):
    """An event re-delivered after its msg_id expired is refused by driver_events' unique msg_id: only
    it is dead-lettered, found by halving the batch (before: every message re-applied on its own)."""
    from gateway.db.models import ProcessedMessage
    from tests.support.factories import event

    register(sessions, *(f"V{i}" for i in range(8)), now=T0)
    ingest = Ingestor(sessions, SETTINGS, clock=clock)
    old_event = event("V1", T0, episode="old")
    ingest.apply([old_event])
    with session_scope(sessions) as db:  # its de-duplication key has expired (retention)
        db.query(ProcessedMessage).delete()
    transactions = []
    real = ingest._apply_in_transaction
    monkeypatch.setattr(
        ingest, "_apply_in_transaction", lambda batch: transactions.append(len(batch)) or real(batch)
    )
    batch = [status(f"V{i % 8}", later(T0, i), speed=i % 100) for i in range(255)]
    result = ingest.apply(batch[:100] + [old_event] + batch[100:])
    assert (result.applied, result.dead_lettered) == (255, 1)
    assert [r for r, _ in _dead(sessions)] == ["apply_failed"]
    assert len(transactions) <= 2 * 9 + 1, transactions  # log2(256) = 8 levels of halves
