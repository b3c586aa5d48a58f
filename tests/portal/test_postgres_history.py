"""The vehicle history and fatigue-aware dispatch queries on PostgreSQL (partitioned status tables)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dealer_portal.migrate import upgrade
from dealer_portal.records import dispatch, fatigue, vehicle_history
from dealer_portal.sample_data import DISPATCHER, seed_sample
from dealer_portal.settings import FatigueSettings
from gateway.db.models import Alert
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.db import scratch_pg_database
from tests.support.routes import add_raw_trip

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.slow  # a database of its own


def test_trips_timeline_and_the_fatigue_warning_on_postgresql():
    with scratch_pg_database() as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine)() as db:
                seed_sample(db, NOW, password_rounds=4)  # VAN-3 drove twice yesterday (minute rows)
                add_raw_trip(db, "VAN-3", NOW - timedelta(hours=3), 300, 52.5, 13.4)
                db.add(
                    Alert(
                        alert_key="event:VAN-1:pg-microsleep",
                        kind="driver_event",
                        vehicle_id="VAN-1",
                        type="microsleep",
                        level=3,
                        opened_at=NOW - timedelta(minutes=20),
                    )
                )
                db.commit()
                day = datetime(2026, 11, 26, tzinfo=UTC)
                trips = vehicle_history.trips_between(db, "VAN-3", day, day + timedelta(days=1))
                assert [f"{t.start:%H:%M}" for t in trips] == ["07:30", "13:00"]
                today = vehicle_history.trips_between(db, "VAN-3", NOW - timedelta(hours=4), NOW)
                assert len(today) == 1 and len(vehicle_history.trip_detail(db, "VAN-3", today[0])) == 31
                page = vehicle_history.timeline(db, DISPATCHER, "VAN-3", NOW)
                assert [r.kind for r in page.rows].count("trip") == 3
                with pytest.raises(fatigue.FatigueWarning) as warned:
                    dispatch.book(
                        db,
                        DISPATCHER,
                        vehicle_id="VAN-5",
                        driver="Jonas Weber",  # out with VAN-1 since two hours
                        starts_at=NOW + timedelta(days=2),
                        ends_at=NOW + timedelta(days=2, hours=3),
                        now=NOW,
                        fatigue_policy=FatigueSettings(),
                    )
                assert "Mia Schulz" in warned.value.rested
        finally:
            engine.dispose()
