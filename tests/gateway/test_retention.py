"""Pruning the msg_id de-duplication keys (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dms.cli import main as dms
from gateway.db import retention
from gateway.db.models import DeadLetter, DriverEventRecord, ProcessedMessage
from gateway.db.retention import housekeeping, prune_processed
from gateway.ingest import Ingestor
from gateway.settings import GatewaySettings
from tests.gateway.conftest import T0
from tests.gateway.factories import event, later, register, status

DAY = 86400


def _count(sessions, model, *where) -> int:
    with sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def test_old_keys_are_pruned_in_chunks_and_a_late_copy_of_an_event_is_not_stored_twice(
        sessions, clock, monkeypatch):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions, clock=clock)
    old_event = event("V1", T0, "microsleep", 1, "start", "a")
    ing.apply([old_event, *(status("V1", later(T0, i)) for i in range(4))])
    clock.advance(15 * DAY)
    recent = status("V1", clock.now)
    ing.apply([recent])

    monkeypatch.setattr(retention, "CHUNK_ROWS", 2)
    cutoff = clock.now - timedelta(days=14)
    assert prune_processed(sessions, cutoff, max_chunks=1) == 2  # a bounded periodic run
    assert housekeeping(sessions, GatewaySettings(), clock.now).keys_pruned == 3  # the rest
    assert _count(sessions, ProcessedMessage) == 1

    # Re-delivered after its key expired: the recent one is still a duplicate; the old event is refused
    # by driver_events' unique msg_id and dead-lettered, not stored (nor alerted) twice.
    result = ing.apply([recent, old_event])
    assert (result.duplicates, result.dead_lettered) == (1, 1)
    assert _count(sessions, DriverEventRecord) == 1
    assert _count(sessions, DeadLetter, DeadLetter.reason == "apply_failed") == 1


def test_prune_command(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    assert dms(["gateway", "prune", "--db", url]) == 0
    assert capsys.readouterr().out.strip() == (
        "gateway prune: 0 de-duplication keys pruned")


def test_retention_shorter_than_the_broker_session_is_refused():
    with pytest.raises(ValueError, match="must be longer than session_expiry_s"):
        GatewaySettings(processed_retention_days=7, session_expiry_s=7 * DAY)
