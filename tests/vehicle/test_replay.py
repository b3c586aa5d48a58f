"""Trip replay: the shipped sample trip is plausible, values interpolate, bad files name their line."""

import pytest

from dms.errors import UserError
from edge.vehicle import SAMPLE_TRIP, ReplaySource, open_vehicle_source


@pytest.fixture(scope="module")
def trip():
    return ReplaySource(SAMPLE_TRIP)


def test_sample_trip_is_a_plausible_drive(trip):
    assert 300 <= trip.duration_s <= 600
    speeds = [trip.read(t).speed for t in range(int(trip.duration_s) + 1)]
    assert sum(s > 20 for s in speeds) / len(speeds) > 0.8
    assert max(speeds) < 130
    first, last = trip.read(0), trip.read(trip.duration_s)
    assert first.traveled_distance < 15_000 < last.traveled_distance
    assert not first.dtc_list and last.dtc_list == ["P0301"]
    assert first.fuel_level > last.fuel_level
    assert 12 < first.low_voltage_battery_voltage < 15
    assert last.engine_hours > first.engine_hours
    odometer = [trip.read(t).traveled_distance for t in range(0, 481, 10)]
    assert odometer == sorted(odometer)


def test_values_interpolate_between_rows_and_dtcs_step(trip):
    a, b, mid = trip.read(100), trip.read(101), trip.read(100.5)
    assert mid.traveled_distance == pytest.approx((a.traveled_distance + b.traveled_distance) / 2)
    assert trip.read(299.9).dtc_list == [] and trip.read(300).dtc_list == ["P0301"]


def test_looping_carries_the_odometer_on(trip):
    lap = trip.read(trip.duration_s).traveled_distance - trip.read(0).traveled_distance
    later = trip.read(trip.duration_s + 10).traveled_distance
    assert later == pytest.approx(trip.read(10).traveled_distance + lap)
    assert ReplaySource(SAMPLE_TRIP, loop=False).read(10_000).speed == trip.read(trip.duration_s).speed


def test_wire_names_are_vss(trip):
    wire = trip.read(300).model_dump(by_alias=True, exclude_none=True)
    assert {
        "Vehicle.Speed",
        "Vehicle.TraveledDistance",
        "Vehicle.CurrentLocation.Latitude",
        "Vehicle.Powertrain.FuelSystem.RelativeLevel",
        "Vehicle.LowVoltageBattery.CurrentVoltage",
        "Vehicle.Diagnostics.DTCList",
        "Vehicle.Powertrain.CombustionEngine.EngineHours",
    } <= set(wire)


@pytest.mark.parametrize(
    "text, message",
    [
        ("t_s,speed_kmh\n0,10\n1,fast\n", r"trip.csv:3: column 'speed_kmh': not a number: 'fast'"),
        ("t_s,speed_kmh\n0,10\n0,12\n", r"trip.csv:3: t_s must be a number greater"),
        (
            "t_s,speed_kmh\n0,10\n1,500\n",
            r"trip.csv:3: column 'speed_kmh': Input should be less than or equal to 400 \(got 500.0\)",
        ),
        ("t_s,dtcs\n0,P0301 XYZ\n", r"trip.csv:2: column 'dtcs': String should match .* \(got 'XYZ'\)"),
        ("t_s,speed_kmh\n0,10,3\n", r"trip.csv:2: expected 2 columns, found 3"),
        ("speed_kmh,t_s\n10,0\n", r"trip.csv:1: header must start with t_s"),
        ("t_s,warp_factor\n0,9\n", r"unknown: warp_factor"),
        ("# only a comment\n", r"empty trip file"),
    ],
)
def test_bad_trip_files_name_the_line(tmp_path, text, message):
    path = tmp_path / "trip.csv"
    path.write_text(text)
    with pytest.raises(UserError, match=message):
        ReplaySource(path)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("replay:", "needs a trip file"),
        ("replay:/nonexistent.csv", "trip file not found"),
        ("teleport:x", "unknown vehicle source"),
        ("obd:@abc", "needs a port"),
        ("can:", "needs a channel"),
        ("gpsd:host:port", "port must be a number"),
        ("nmea:/dev/ttyX@fast", "baud rate must be a number"),
    ],
)
def test_bad_specs_are_one_clear_error(spec, message):
    with pytest.raises(UserError, match=message):
        open_vehicle_source(spec)


def test_no_spec_means_a_constant_speed():
    assert open_vehicle_source(None).read(5).speed == 60
    assert open_vehicle_source(None, speed_kmh=35).read(5).speed == 35


def test_sample_spec_and_merging(tmp_path):
    gps_only = tmp_path / "gps.csv"
    gps_only.write_text("t_s,speed_kmh,latitude,longitude\n0,99,1.0,2.0\n10,99,1.0,2.0\n")
    with open_vehicle_source(f"replay:sample,replay:{gps_only}") as merged:
        s = merged.read(100)
        assert s.speed == ReplaySource(SAMPLE_TRIP).read(100).speed  # first source wins
        assert s.fuel_level is not None
