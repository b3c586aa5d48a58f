"""OBD-II end to end: python-obd talks to a small ELM327 stand-in over TCP (pyserial's socket://),
exactly as it would to a Bluetooth/USB adapter; the source reads speed, RPM, coolant, fuel, voltage
and a DTC back as VSS signals."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from edge.vehicle import open_vehicle_source

pytest.importorskip("obd")

# Mode 01 answers of a CAN (11 bit, 500 kb/s) car, ECU 7E8, headers on: "7E8 <len> 41 <pid> <data>".
PIDS = {
    "00": "08 18 00 01",  # supported 01-20: 05, 0C, 0D, and 20 (next block)
    "20": "00 02 00 01",  # supported 21-40: 2F, and 40 (next block)
    "40": "40 00 00 00",  # supported 41-60: 42
    "05": "82",  # coolant 130 - 40 = 90 degC
    "0C": "1F 40",  # rpm 8000 / 4 = 2000
    "0D": "48",  # speed 72 km/h
    "2F": "66",  # fuel 102 / 255 = 40 %
    "42": "36 B0",  # module voltage 14.0 V
}
AT_ANSWERS = {"ATZ": "ELM327 v1.5", "ATRV": "12.6V", "ATDPN": "A6"}


class FakeElm327:
    """Answers ELM327 commands on a TCP socket: AT set-up, mode 01 PIDs above, mode 03 one DTC."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self.server.getsockname()[1]}"
        self.commands: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def answer(self, command: str) -> str:
        command = command.replace(" ", "").upper()
        self.commands.append(command)
        if command.startswith("AT"):
            return AT_ANSWERS.get(command, "OK")
        if command == "03":
            return "7E8 04 43 01 03 01"  # one stored code: P0301
        if command.startswith("01") and command[2:4] in PIDS:
            data = f"41 {command[2:4]} {PIDS[command[2:4]]}"
            return f"7E8 {len(data.split()):02X} {data}"
        return "NO DATA"

    def _serve(self):
        conn, _ = self.server.accept()
        buffer = b""
        with conn:
            while True:
                chunk = conn.recv(256)
                if not chunk:
                    return
                buffer += chunk
                while b"\r" in buffer:
                    line, buffer = buffer.split(b"\r", 1)
                    text = line.decode("ascii", "replace").strip()
                    conn.sendall((self.answer(text) if text else "?").encode() + b"\r\r>")


def test_obd_adapter_values_arrive_as_vss_signals():
    elm = FakeElm327()
    with open_vehicle_source(f"obd:{elm.url}@38400") as source:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
            source.read(0).dtc_list is None
            or source.read(0).speed is None
            or source.read(0).low_voltage_battery_voltage is None
        ):
            time.sleep(0.1)
        s = source.read(0)
    assert s.speed == 72 and s.engine_speed == 2000 and s.coolant_temperature == 90
    assert s.fuel_level == pytest.approx(40, abs=0.01)
    assert s.low_voltage_battery_voltage == pytest.approx(14.0)
    assert s.dtc_list == ["P0301"] and s.is_moving
    assert "010D" in elm.commands and "03" in elm.commands
