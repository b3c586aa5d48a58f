"""The live projection keeps the driver camera's health that a DriverState reports (the fleet board shows it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dms.contract import DriverState
from gateway.ingest.live import LiveRow, apply_driver_state

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_camera_health_of_a_driver_state_reaches_the_live_row_and_an_old_vehicle_sends_none():
    live = LiveRow.empty("VAN-1", T0)
    state = DriverState(vehicle_id="VAN-1", ts=T0, monitoring=False, camera_health="camera_misaimed")
    assert apply_driver_state(live, state, T0 + timedelta(seconds=5))
    assert live.driver_state["camera_health"] == "camera_misaimed"
    older_software = DriverState(vehicle_id="VAN-1", ts=T0 + timedelta(seconds=1), monitoring=True)
    assert apply_driver_state(live, older_software, T0 + timedelta(seconds=5))
    assert live.driver_state["camera_health"] is None
