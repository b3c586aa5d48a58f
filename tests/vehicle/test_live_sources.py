"""Live sources on real transports: python-can's virtual bus, a gpsd speaking JSON over TCP, NMEA over
a pyserial loop port, and the OBD-II answer mapping with the `obd` package's own units."""

import json
import socket
import threading
import time

import pytest

from dms.errors import UserError
from edge.vehicle import open_vehicle_source
from edge.vehicle.can_source import EXAMPLE_DBC, load_dbc
from edge.vehicle.gps import NmeaSource
from edge.vehicle.obd_source import signals_from_obd


def eventually(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_can_frames_decoded_through_the_dbc_comments():
    can = pytest.importorskip("can")
    db, mapping = load_dbc(EXAMPLE_DBC)
    assert ("Speed" in {name for _, name in mapping}) and len(mapping) == 8
    with open_vehicle_source("can:virtual/dms-test-bus") as source:
        tx = can.Bus(channel="dms-test-bus", interface="virtual")
        try:
            for name, values in [
                ("VehicleSpeed", {"Speed": 72.5, "EngineSpeed": 2100, "CoolantTemp": 88}),
                ("Odometer", {"TraveledDistance": 15000.3, "EngineHours": 1234.5}),
                ("EnergyStatus", {"FuelLevel": 41.5, "BatteryVoltage": 13.9, "TractionSoc": 0}),
            ]:
                msg = db.get_message_by_name(name)
                tx.send(
                    can.Message(arbitration_id=msg.frame_id, data=msg.encode(values), is_extended_id=False)
                )
            tx.send(can.Message(arbitration_id=0x7FF, data=b"\x01", is_extended_id=False))  # not in the DBC
            assert eventually(lambda: source.read(0).fuel_level is not None)
        finally:
            tx.shutdown()
        s = source.read(0)
    assert s.speed == pytest.approx(72.5) and s.is_moving
    assert s.traveled_distance == pytest.approx(15000.3) and s.engine_hours == pytest.approx(1234.5)
    assert s.low_voltage_battery_voltage == pytest.approx(13.9) and s.coolant_temperature == 88


def test_a_dbc_without_vss_comments_is_refused(tmp_path):
    dbc = tmp_path / "plain.dbc"
    dbc.write_text(EXAMPLE_DBC.read_text().split("CM_ ")[0])
    with pytest.raises(UserError, match="no signal is mapped to a VSS path"):
        load_dbc(dbc)


class FakeGpsd:
    """A TCP server that answers ?WATCH like gpsd: VERSION, then TPV reports."""

    def __init__(self, reports):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.reports = reports
        self.watch = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        conn, _ = self.server.accept()
        with conn:
            self.watch = conn.recv(1024)
            conn.sendall(b'{"class":"VERSION","release":"3.22"}\n')
            for report in self.reports:
                conn.sendall(json.dumps(report).encode() + b"\n")
            time.sleep(2)


def test_gpsd_position_speed_and_time():
    gpsd = FakeGpsd(
        [
            {"class": "TPV", "mode": 1},
            {
                "class": "TPV",
                "mode": 3,
                "lat": 48.1374,
                "lon": 11.5755,
                "speed": 25.0,
                "track": 361.0,
                "time": "2026-11-27T10:00:00.000Z",
            },
        ]
    )
    with open_vehicle_source(f"gpsd:127.0.0.1:{gpsd.port}") as source:
        assert eventually(lambda: source.read(0).latitude is not None)
        s = source.read(0)
    assert gpsd.watch.startswith(b"?WATCH=")
    assert (s.latitude, s.longitude) == (48.1374, 11.5755)
    assert s.speed == pytest.approx(90.0) and s.heading == pytest.approx(1.0)
    assert s.location_timestamp.isoformat() == "2026-11-27T10:00:00+00:00"


def test_gpsd_not_running_is_one_clear_error():
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    with pytest.raises(UserError, match=f"cannot reach gpsd at 127.0.0.1:{port}"):
        open_vehicle_source(f"gpsd:127.0.0.1:{port}")


def test_nmea_rmc_and_gga_and_staleness():
    now = [0.0]
    source = NmeaSource("loop://", clock=lambda: now[0], stale_after_s=5)
    try:
        source.serial.write(
            b"garbage line\r\n"
            b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
            b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"
        )
        assert eventually(lambda: source.read(0).speed is not None)
        s = source.read(0)
        assert s.latitude == pytest.approx(48.1173) and s.longitude == pytest.approx(11.516667)
        assert s.speed == pytest.approx(22.4 * 1.852) and s.heading == pytest.approx(84.4)
        now[0] = 6.0  # no fix for 6 s (a tunnel): no position rather than a frozen one
        assert source.read(0).latitude is None
    finally:
        source.close()


def test_obd_answers_map_to_vss_units():
    obd = pytest.importorskip("obd")
    u = obd.Unit
    s = signals_from_obd(
        {
            "SPEED": 54 * u.kph,
            "RPM": 2000 * u.rpm,
            "FUEL_LEVEL": 40 * u.percent,
            "CONTROL_MODULE_VOLTAGE": 13.9 * u.volt,
            "COOLANT_TEMP": u.Quantity(88, u.celsius),
            "GET_DTC": [("P0301", "Cylinder 1 Misfire Detected"), ("P0301", "")],
            "RUN_TIME": None,
        }
    )
    assert (s.speed, s.engine_speed, s.fuel_level, s.low_voltage_battery_voltage) == (54, 2000, 40, 13.9)
    assert s.coolant_temperature == pytest.approx(88) and s.dtc_list == ["P0301"] and s.is_moving
    assert signals_from_obd({"SPEED": u.Quantity(30, u.mph)}).speed == pytest.approx(48.28, abs=0.01)


def test_obd_without_an_adapter_is_one_clear_error(tmp_path):
    pytest.importorskip("obd")
    with pytest.raises(UserError, match="no OBD-II adapter answered on"):
        open_vehicle_source(f"obd:{tmp_path / 'ttyNOPE'}")
