"""Position (and ground speed) from GNSS: gpsd's JSON protocol over TCP, or NMEA 0183 on a serial port.

Both read in a background thread and keep the latest fix; `read(t)` returns it. A fix older than
`stale_after_s` of the reader's own clock is dropped (a tunnel must not freeze the last position as
current), using an injectable monotonic clock.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dms.contract import VehicleSignals
from dms.errors import UserError
from edge.vehicle.base import VehicleSource, signals_from

log = logging.getLogger(__name__)

KNOTS_TO_KMH = 1.852
MPS_TO_KMH = 3.6


class _FixKeeper(VehicleSource):
    """The latest fix and when it arrived; subclasses feed `_store` from their reader thread."""

    def __init__(self, stale_after_s: float, clock: Callable[[], float]):
        self._fix: dict[str, Any] = {}
        self._fix_at = float("-inf")
        self._stale_after_s = stale_after_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _start(self, target) -> None:
        self._thread = threading.Thread(target=target, name=self.name, daemon=True)
        self._thread.start()

    def _store(self, values: dict[str, Any]) -> None:
        values = {k: v for k, v in values.items() if v is not None}
        if values.get("latitude") is None or values.get("longitude") is None:
            return
        if values.get("speed") is not None:
            values["is_moving"] = values["speed"] > 1.0
        self._fix = values
        self._fix_at = self._clock()

    def read(self, t: float) -> VehicleSignals:
        if self._clock() - self._fix_at > self._stale_after_s:
            return VehicleSignals()
        return signals_from(self._fix)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


def fix_from_tpv(report: dict[str, Any]) -> dict[str, Any]:
    """A gpsd TPV report -> VehicleSignals values (speed m/s -> km/h, track -> heading)."""
    if report.get("class") != "TPV" or report.get("mode", 0) < 2:
        return {}
    speed = report.get("speed")
    when = report.get("time")
    return {
        "latitude": report.get("lat"),
        "longitude": report.get("lon"),
        "heading": report.get("track") % 360 if report.get("track") is not None else None,
        "speed": max(0.0, speed * MPS_TO_KMH) if speed is not None else None,
        "location_timestamp": datetime.fromisoformat(when) if when else None,
    }


class GpsdSource(_FixKeeper):
    """Talks to gpsd (default port 2947): `?WATCH={"enable":true,"json":true}` then reads TPV reports."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 2947,
        *,
        stale_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name = f"gpsd {host}:{port}"
        super().__init__(stale_after_s, clock)
        try:
            self._sock = socket.create_connection((host, port), timeout=5)
            self._sock.sendall(b'?WATCH={"enable":true,"json":true}\n')
        except OSError as exc:
            raise UserError(f"cannot reach gpsd at {host}:{port}: {exc.strerror or exc}") from None
        self._sock.settimeout(0.5)
        self._start(self._read_loop)

    def _read_loop(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            try:
                chunk = self._sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                log.warning("%s closed the connection", self.name)
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                try:
                    fix = fix_from_tpv(json.loads(line))
                except (ValueError, TypeError, AttributeError):
                    continue  # gpsd also sends VERSION/DEVICES/SKY; a garbled line is skipped
                self._store(fix)

    def close(self) -> None:
        super().close()
        self._sock.close()


def fix_from_nmea(sentence) -> dict[str, Any]:
    """A parsed pynmea2 RMC or GGA sentence -> VehicleSignals values."""
    kind = sentence.sentence_type
    if kind == "RMC" and sentence.status == "A":
        when = None
        if sentence.datestamp and sentence.timestamp:
            when = datetime.combine(sentence.datestamp, sentence.timestamp).replace(tzinfo=UTC)
        return {
            "latitude": sentence.latitude,
            "longitude": sentence.longitude,
            "speed": float(sentence.spd_over_grnd) * KNOTS_TO_KMH if sentence.spd_over_grnd else None,
            "heading": float(sentence.true_course) % 360 if sentence.true_course else None,
            "location_timestamp": when,
        }
    if kind == "GGA" and int(sentence.gps_qual or 0) > 0:
        return {"latitude": sentence.latitude, "longitude": sentence.longitude}
    return {}


class NmeaSource(_FixKeeper):
    """NMEA 0183 from a serial port (or any pyserial URL, e.g. socket://host:port, loop://)."""

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        *,
        stale_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        import serial

        self.name = f"NMEA on {port}"
        super().__init__(stale_after_s, clock)
        try:
            self.serial = serial.serial_for_url(port, baudrate=baudrate, timeout=0.5)
        except (serial.SerialException, ValueError) as exc:
            raise UserError(f"cannot open GPS serial port {port}: {exc}") from None
        self._start(self._read_loop)

    def _read_loop(self) -> None:
        import pynmea2
        import serial

        merged: dict[str, Any] = {}
        while not self._stop.is_set():
            try:
                line = self.serial.readline()
            except serial.SerialException:
                break
            if not line:
                continue
            try:
                fix = fix_from_nmea(pynmea2.parse(line.decode("ascii", "replace").strip()))
            except (pynmea2.ParseError, ValueError, AttributeError):
                continue
            if fix:
                merged.update({k: v for k, v in fix.items() if v is not None})
                self._store(dict(merged))

    def close(self) -> None:
        super().close()
        self.serial.close()
