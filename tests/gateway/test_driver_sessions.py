"""Driver sessions in the back office: each event keeps its session, the vehicle page groups episodes by it
(SQLite and PostgreSQL, through the real ingest)."""

from __future__ import annotations

from sqlalchemy import select

from dealer_portal.records.vehicle_records import driver_sessions
from dms.contract import DriverState
from dms.contract.codec import encode
from gateway.db.models import Alert, DriverEventRecord, VehicleLiveStatus
from gateway.ingest import Ingestor
from tests.support.db import T0
from tests.support.factories import event, later, register


def test_episodes_are_attributed_to_the_driver_session_they_started_in(sessions, clock):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions, clock=clock)
    result = ing.apply(
        [
            event("V1", later(T0, 1), "drowsiness", episode="a-1", session="a"),
            event("V1", later(T0, 60), "drowsiness", phase="end", episode="a-1", session="a"),
            event("V1", later(T0, 70), "driver_change", level=0, episode="b", session="b"),
            event("V1", later(T0, 90), "microsleep", level=2, episode="b-1", session="b"),
            event("V1", later(T0, 95), "long_distraction", episode="old-1"),  # a vehicle without sessions
            encode(DriverState(vehicle_id="V1", ts=later(T0, 96), monitoring=True, driver_session_id="b")),
        ]
    )
    assert result.applied == 6
    with sessions() as db:
        stored = dict(
            db.execute(select(DriverEventRecord.episode_id, DriverEventRecord.driver_session_id)).all()
        )
        listed = driver_sessions(db, "V1")
        alerts = set(db.scalars(select(Alert.type)))
        alert_sessions = dict(db.execute(select(Alert.type, Alert.driver_session_id)).all())
        live = db.get(VehicleLiveStatus, "V1").driver_state
    assert stored == {"a-1": "a", "b": "b", "b-1": "b", "old-1": None}
    assert [s["session_id"] for s in listed] == ["b", "a"]  # newest first
    assert [[e.type for e in s["episodes"]] for s in listed] == [["microsleep"], ["drowsiness"]]
    assert "driver_change" not in alerts  # level 0: recorded, never an alert
    assert alert_sessions == {"drowsiness": "a", "microsleep": "b", "long_distraction": None}
    assert live["driver_session_id"] == "b"  # who drives now, for the live view
