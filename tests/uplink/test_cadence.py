"""Status sampling: a fixed rate plus significant changes, on an explicit timeline."""

from dms.contract import VehicleSignals
from edge.uplink.cadence import Every, StateSampler, StatusSampler
from edge.uplink.settings import TelemetrySettings


def test_fixed_rate_and_significant_changes():
    sampler = StatusSampler(TelemetrySettings(profile="detailed"))
    cruise = VehicleSignals(speed=50, is_moving=True)
    sent = [t / 10 for t in range(35) if sampler.due(t / 10, cruise)]
    assert sent == [0.0, 1.0, 2.0, 3.0]
    assert not sampler.due(3.1, VehicleSignals(speed=65, is_moving=True))  # 0.1 s after the last: too soon
    assert sampler.due(3.3, VehicleSignals(speed=65, is_moving=True))  # +15 km/h: at once
    assert sampler.due(3.6, VehicleSignals(speed=65, is_moving=True, dtc_list=["P0301"]))  # new DTC
    assert not sampler.due(3.9, VehicleSignals(speed=66, is_moving=True, dtc_list=["P0301"]))


def test_every_keeps_its_grid_and_does_not_burst_after_a_gap():
    tick = Every(1.0)
    times = [t / 30 for t in range(100)] + [20 + t / 30 for t in range(40)]
    due = [round(t, 2) for t in times if tick.due(t)]
    assert due == [0.0, 1.0, 2.0, 3.0, 20.0, 21.0]


def _sent(sampler, readings):
    return [t for t, signals in readings if sampler.due(t, signals)]


def test_default_cadence_heartbeat_moving_and_parked():
    sampler = StatusSampler(TelemetrySettings())
    cruise = VehicleSignals(speed=50, is_moving=True, heading=90.0)
    assert _sent(sampler, [(t, cruise) for t in range(95)]) == [0, 30, 60, 90]
    parked = VehicleSignals(speed=0, is_moving=False, heading=90.0)
    assert _sent(sampler, [(t, parked) for t in range(95, 1000)]) == [
        95,
        395,
        695,
        995,
    ]  # the stop, then 5 min


def test_a_stop_a_start_a_turn_a_distance_and_a_new_trouble_code_each_send_status():
    sampler = StatusSampler(TelemetrySettings())
    moving = {"is_moving": True, "speed": 40, "latitude": 52.5, "longitude": 13.4, "heading": 0.0}
    assert sampler.due(0, VehicleSignals(**moving))
    assert not sampler.due(2, VehicleSignals(**{**moving, "heading": 15.0}))  # within the 20 deg deadband
    assert sampler.due(3, VehicleSignals(**{**moving, "heading": 25.0}))  # a turn
    assert sampler.due(5, VehicleSignals(**{**moving, "heading": 355.0}))  # back across north: 30 deg
    assert sampler.due(6, VehicleSignals(**{**moving, "heading": 355.0, "speed": 3}))  # 37 km/h slower
    assert not sampler.due(
        8, VehicleSignals(**{**moving, "heading": 180.0, "speed": 3})
    )  # slow: heading noise
    assert sampler.reasons["speed"] == 1
    stopped = {**moving, "speed": 0.0, "is_moving": False, "heading": 180.0}
    assert sampler.due(9, VehicleSignals(**stopped)) and sampler.reasons["stop"] == 1
    assert not sampler.due(12, VehicleSignals(**{**stopped, "heading": 90.0}))  # parked, heading noise
    assert sampler.due(20, VehicleSignals(**{**moving, "speed": 3, "heading": 180.0}))  # a start
    far = {**moving, "speed": 3, "heading": 180.0, "latitude": 52.5 - 0.0023}  # ~256 m south
    assert sampler.due(40, VehicleSignals(**far)) and sampler.reasons["moved"] == 1
    assert sampler.due(42, VehicleSignals(**far, dtc_list=["P0420"]))
    assert sampler.reasons == {
        "first": 1,
        "turn": 2,
        "speed": 1,
        "stop": 1,
        "start": 1,
        "moved": 1,
        "trouble_codes": 1,
    }


def test_a_speed_source_without_is_moving_stops_at_the_stop_speed():
    sampler = StatusSampler(TelemetrySettings())
    assert sampler.due(0, VehicleSignals(speed=5))
    assert sampler.due(2, VehicleSignals(speed=0.3))  # 5 -> 0.3 is within 10 km/h: the stop sends
    assert sampler.reasons["stop"] == 1


class _Summary:
    def __init__(self, monitoring=True, active=(), fatigue=None, distraction=None):
        self.monitoring, self.active = monitoring, list(active)
        self.fatigue_level, self.distraction_level = fatigue, distraction


def test_driver_state_on_a_level_change_plus_a_heartbeat():
    sampler = StateSampler(TelemetrySettings())
    calm = _Summary(fatigue=5, distraction=10)
    assert [t for t in range(130) if sampler.due(t, calm)] == [0, 60, 120]
    assert not sampler.due(121, _Summary(fatigue=20, distraction=12))  # same 25 % bands
    assert sampler.due(122, _Summary(fatigue=30, distraction=12))  # fatigue into the next band
    assert sampler.due(124, _Summary(fatigue=30, distraction=12, active=["microsleep"]))
    assert not sampler.due(124.5, _Summary(fatigue=30, distraction=12))  # within min_change_interval_s
    assert sampler.due(125, _Summary(fatigue=30, distraction=12))  # episode over
    assert sampler.due(127, _Summary(monitoring=False))


def test_the_detailed_profile_is_one_driver_state_a_second():
    sampler = StateSampler(TelemetrySettings(profile="detailed"))
    assert [t / 10 for t in range(35) if sampler.due(t / 10, _Summary())] == [0.0, 1.0, 2.0, 3.0]


def test_telemetry_settings_are_validated_and_a_profile_is_a_starting_point():
    import pytest
    from pydantic import ValidationError

    detailed = TelemetrySettings(profile="detailed", status_hz=2)
    assert (detailed.status_hz, detailed.state_hz) == (2, 1)
    assert detailed.heading_change_deg is None and not detailed.state_on_change
    for bad in ({"heading_change_deg": 200}, {"status_heartbeat_moving_s": 0}, {"cadence": 1}):
        with pytest.raises(ValidationError):
            TelemetrySettings(**bad)
    with pytest.raises(ValidationError):
        TelemetrySettings(profile="chatty")
