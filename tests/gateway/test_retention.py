"""Pruning the msg_id de-duplication keys (SQLite and PostgreSQL) and the monthly status partitions
(PostgreSQL: migration up and down with data, months created ahead, old months dropped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from gateway.db import retention
from gateway.db.migrate import upgrade
from gateway.db.models import DeadLetter, DriverEventRecord, ProcessedMessage, StatusSample
from gateway.db.retention import housekeeping, prune_processed
from gateway.db.session import make_engine, make_sessionmaker
from gateway.ingest import Ingestor
from gateway.settings import GatewaySettings
from tests.support.db import T0, downgrade, scratch_pg_database
from tests.support.factories import event, later, register, status
from tools.cli import main as dms

DAY = 86400


def _count(sessions, model, *where) -> int:
    with sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def test_old_keys_are_pruned_in_chunks_and_a_late_copy_of_an_event_is_not_stored_twice(
    sessions, clock, monkeypatch
):
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
        "gateway prune: 0 de-duplication keys pruned, 0 status partitions created, 0 dropped"
    )


def test_retention_shorter_than_the_broker_session_is_refused():
    with pytest.raises(ValueError, match="must be longer than session_expiry_s"):
        GatewaySettings(processed_retention_days=7, session_expiry_s=7 * DAY)
    with pytest.raises(ValueError, match="must be longer than stream_max_age_s"):
        GatewaySettings(processed_retention_days=8, session_expiry_s=DAY, stream_max_age_s=8 * DAY)


def _where(conn) -> dict[str, str]:
    """msg_id -> the table that holds its status row."""
    return dict(conn.execute(text("SELECT msg_id, tableoid::regclass::text FROM status_samples")).all())


def test_status_history_partitioned_by_month_up_and_down_with_its_rows():
    months = [
        datetime(2025, 1, 15, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
    ]
    with scratch_pg_database("gw0003") as url:
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        register(sessions, "V1", now=T0)
        with sessions.begin() as db:
            db.add_all(
                StatusSample(msg_id=f"m{i}", vehicle_id="V1", ts=ts, signals={})
                for i, ts in enumerate(months)
            )
        with engine.connect() as conn:
            ids = dict(conn.execute(text("SELECT msg_id, id FROM status_samples")).all())

        upgrade(url)
        with engine.connect() as conn:
            assert _where(conn) == {
                "m0": "status_samples_p2025_01",
                "m1": "status_samples_p2026_03",
                "m2": "status_samples_p1970_01",
            }
            assert dict(conn.execute(text("SELECT msg_id, id FROM status_samples")).all()) == ids
            key = conn.scalar(
                text(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'pk_status_samples'"
                )
            )
            assert key == "PRIMARY KEY (id, ts)"
        # Ingest goes on: a new sample lands in this month's partition with the sequence's next id.
        now = datetime.now(UTC)
        Ingestor(sessions).apply([status("V1", now, odometer=1)])
        with engine.connect() as conn:
            new = conn.execute(text("SELECT msg_id, id FROM status_samples WHERE ts = :t"), {"t": now}).one()
            assert new.id == max(ids.values()) + 1
            assert _where(conn)[new.msg_id] == f"status_samples_p{now:%Y_%m}"

        downgrade(url, "gw0003")
        with engine.connect() as conn:
            assert set(_where(conn).values()) == {"status_samples"} and len(_where(conn)) == 4
        upgrade(url)  # and up again
        with engine.connect() as conn:
            assert len(_where(conn)) == 4 and "status_samples" not in _where(conn).values()
        engine.dispose()


def test_months_ahead_are_created_with_rows_from_the_default_partition_and_old_months_dropped():
    with scratch_pg_database() as url:
        _months_ahead_and_dropped(make_engine(url))


def _months_ahead_and_dropped(engine) -> None:
    sessions = make_sessionmaker(engine)
    register(sessions, "V2", now=T0)
    far = datetime(2031, 7, 15, tzinfo=UTC)  # a device clock years ahead: no month partition yet
    Ingestor(sessions).apply([status("V2", far, odometer=1), status("V2", datetime(2020, 5, 1, tzinfo=UTC))])
    with engine.connect() as conn:
        assert set(_where(conn).values()) == {"status_samples_default"}

    ahead = GatewaySettings(status_partitions_ahead=1)
    result = housekeeping(sessions, ahead, datetime(2031, 6, 10, tzinfo=UTC))
    assert result.months_created == ["status_samples_p2031_06", "status_samples_p2031_07"]
    with engine.connect() as conn:
        assert sorted(_where(conn).values()) == ["status_samples_default", "status_samples_p2031_07"]

    kept = GatewaySettings(status_partitions_ahead=1, status_retention_months=1)
    result = housekeeping(sessions, kept, datetime(2031, 8, 1, tzinfo=UTC))
    assert result.months_created == ["status_samples_p2031_08", "status_samples_p2031_09"]
    assert "status_samples_p2031_06" in result.months_dropped
    assert "status_samples_p2031_07" not in result.months_dropped
    with engine.connect() as conn:
        assert list(_where(conn).values()) == ["status_samples_p2031_07"]  # 2020's row left the default
    engine.dispose()
