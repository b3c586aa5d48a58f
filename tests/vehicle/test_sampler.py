"""Status sampling: a fixed rate plus significant changes, on an explicit timeline."""

from dms.contract import VehicleSignals
from edge.uplink.settings import TelemetrySettings
from edge.vehicle.sampler import Every, StatusSampler


def test_fixed_rate_and_significant_changes():
    sampler = StatusSampler(TelemetrySettings(status_hz=1, speed_change_kmh=10, min_change_interval_s=0.2))
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
