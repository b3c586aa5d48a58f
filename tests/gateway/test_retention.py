"""Pruning the msg_id de-duplication keys (SQLite and PostgreSQL), the per-minute history and the raw
rows' retention (both), and the partitions (PostgreSQL: migration up and down with data, days and months
created ahead, old ones dropped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from gateway.db import retention
from gateway.db.migrate import upgrade
from gateway.db.models import (
    DeadLetter,
    DriverEventRecord,
    OdometerReading,
    ProcessedMessage,
    StatusMinute,
    StatusSample,
)
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
        "gateway prune: 0 de-duplication keys pruned, 0 history partitions created, 0 dropped, "
        "0 history rows deleted"
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


def test_days_and_months_ahead_are_created_with_rows_from_the_default_partitions_and_old_ones_dropped():
    with scratch_pg_database() as url:
        _days_ahead_and_dropped(make_engine(url))


def _minutes_where(conn) -> list[tuple[str, str]]:
    return sorted(
        conn.execute(text("SELECT minute::text, tableoid::regclass::text FROM status_minutes")).all()
    )


def _days_ahead_and_dropped(engine) -> None:
    sessions = make_sessionmaker(engine)
    register(sessions, "V2", now=T0)
    far = datetime(2031, 7, 15, 9, 30, tzinfo=UTC)  # a device clock years ahead: no partition yet
    Ingestor(sessions).apply([status("V2", far, odometer=1), status("V2", datetime(2020, 5, 1, tzinfo=UTC))])
    with engine.connect() as conn:
        assert set(_where(conn).values()) == {"status_samples_default"}
        assert {t for _, t in _minutes_where(conn)} == {"status_minutes_default"}

    ahead = GatewaySettings(raw_partitions_ahead_days=1, raw_retention_days=None, history_retention_days=None)
    result = housekeeping(sessions, ahead, datetime(2031, 7, 14, 10, tzinfo=UTC))
    assert result.partitions_created == [
        "status_samples_p2031_07_14",
        "status_samples_p2031_07_15",
        "status_minutes_p2031_07",
        "status_minutes_p2031_08",
        "status_minutes_p2031_09",
    ]
    with engine.connect() as conn:
        assert sorted(_where(conn).values()) == ["status_samples_default", "status_samples_p2031_07_15"]
        assert [t for _, t in _minutes_where(conn)] == ["status_minutes_default", "status_minutes_p2031_07"]

    kept = GatewaySettings(raw_partitions_ahead_days=1, raw_retention_days=1, history_retention_days=366)
    result = housekeeping(sessions, kept, datetime(2031, 7, 17, 0, 30, tzinfo=UTC))
    assert result.partitions_created == ["status_samples_p2031_07_17", "status_samples_p2031_07_18"]
    # Raw rows: today and 1 day before are kept (from 2031-07-16): the 15th's and 14th's days go (and
    # the partitions the migration made for the real current month).
    assert {"status_samples_p2031_07_14", "status_samples_p2031_07_15"} <= set(result.partitions_dropped)
    assert "status_minutes_p2031_07" not in result.partitions_dropped
    with engine.connect() as conn:
        assert _where(conn) == {}  # 2020's raw row left the default partition too
        # The per-minute history keeps its year: only 2020's minute went.
        assert _minutes_where(conn) == [("2031-07-15 09:30:00+00", "status_minutes_p2031_07")]

    # Down to gw0008 the day partitions are merged into month partitions (what gw0004's gateway managed);
    # up again, the per-minute history is rebuilt from the raw rows.
    housekeeping(sessions, kept, datetime(2031, 7, 20, 8, tzinfo=UTC))
    Ingestor(sessions).apply([status("V2", datetime(2031, 7, 20, 9, 1, 30, tzinfo=UTC), odometer=2)])
    with engine.connect() as conn:
        assert list(_where(conn).values()) == ["status_samples_p2031_07_20"]
    url = engine.url.render_as_string(hide_password=False)
    downgrade(url, "gw0008")
    with engine.connect() as conn:
        assert list(_where(conn).values()) == ["status_samples_p2031_07"]
    upgrade(url)
    with engine.connect() as conn:
        assert list(_where(conn).values()) == ["status_samples_p2031_07"]
        assert _minutes_where(conn) == [("2031-07-20 09:01:00+00", "status_minutes_default")]
    engine.dispose()


def test_the_per_minute_history_merges_batches_and_late_samples(sessions):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions)
    m = T0.replace(minute=5)
    ing.apply([status("V1", m + timedelta(seconds=10), speed=40.0, lat=1.0, volts=12.5, odometer=100.0)])
    ing.apply(
        [
            status("V1", m + timedelta(seconds=40), speed=60.0, lat=2.0, volts=12.1),
            status("V1", m + timedelta(seconds=70), speed=10.0, lat=3.0, odometer=101.0),  # the next minute
        ]
    )
    ing.apply([status("V1", m + timedelta(seconds=20), speed=20.0, lat=9.0, odometer=100.5)])  # late
    with sessions() as db:
        rows = db.scalars(select(StatusMinute).order_by(StatusMinute.minute)).all()
    assert [(r.minute, r.samples, r.speed_n) for r in rows] == [(m, 3, 3), (m + timedelta(minutes=1), 1, 1)]
    first = rows[0]
    assert first.speed_mean_kmh == pytest.approx(40.0) and first.speed_max_kmh == 60.0
    assert first.battery_min_v == 12.1 and first.last_ts == m + timedelta(seconds=40)
    # From the latest sample of the minute (one without an odometer keeps the earlier reading); a late,
    # older sample only fills what is missing.
    assert (first.latitude, first.odometer_km) == (2.0, 100.0)


def test_raw_rows_expire_odometer_readings_thin_to_one_a_day_and_the_minutes_stay(sessions):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions)
    day0, day1 = T0, T0 + timedelta(days=1)
    ing.apply([status("V1", later(day0, i * 120), odometer=100.0 + i) for i in range(3)])
    ing.apply([status("V1", later(day1, i * 120), odometer=200.0 + i) for i in range(2)])
    with sessions.begin() as db:
        db.add(OdometerReading(vehicle_id="V1", ts=day0, odometer_km=99.0, source="manual", created_at=T0))

    settings = GatewaySettings(raw_retention_days=7)
    result = housekeeping(sessions, settings, T0 + timedelta(days=8, hours=1))  # day0 expired, day1 not
    with sessions() as db:
        odometer = db.execute(select(OdometerReading.source, OdometerReading.odometer_km)).all()
    assert sorted(odometer) == [
        ("manual", 99.0),
        ("telemetry", 102.0),
        ("telemetry", 200.0),
        ("telemetry", 201.0),
    ]
    assert _count(sessions, StatusMinute) == 5
    if sessions.kw["bind"].dialect.name == "sqlite":
        assert _count(sessions, StatusSample) == 2 and result.rows_deleted == 3 + 2
    # The next run has nothing left to do for day0; day1 expires a day later.
    assert housekeeping(sessions, settings, T0 + timedelta(days=8, hours=2)).rows_deleted == 0
    housekeeping(sessions, settings, T0 + timedelta(days=9, hours=1))
    assert _count(sessions, OdometerReading) == 3
