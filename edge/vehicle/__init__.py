"""Vehicle status sources behind one interface: OBD-II, CAN (+DBC), GPS (gpsd / NMEA), trip replay.

`open_vehicle_source(spec)` understands:
  replay:FILE            a recorded trip (CSV); `replay:sample` is the shipped 8-minute drive
  obd:PORT[@BAUD]        an ELM327-style OBD-II adapter (`obd:auto` scans the serial ports)
  can:CHANNEL[:DBC]      SocketCAN channel; `can:INTERFACE/CHANNEL[:DBC]` for another python-can
                         interface (e.g. can:virtual/bus0); DBC defaults to the shipped example
  gpsd[:HOST[:PORT]]     a gpsd daemon (default 127.0.0.1:2947)
  nmea:PORT[@BAUD]       NMEA 0183 on a serial port (or a pyserial URL)
Several specs joined by ',' are merged; for each signal the first source that has it wins.
"""

from __future__ import annotations

from dms.errors import UserError
from edge.vehicle.base import ConstantSource, MergedSource, VehicleSource
from edge.vehicle.replay import SAMPLE_TRIP, ReplaySource

SPEC_HELP = (
    "replay:FILE | obd:PORT | can:CHANNEL[:DBC] | gpsd:HOST:PORT | nmea:PORT (comma-separated to merge)"
)

__all__ = [
    "SAMPLE_TRIP",
    "SPEC_HELP",
    "ConstantSource",
    "MergedSource",
    "ReplaySource",
    "VehicleSource",
    "open_vehicle_source",
    "sample_trip_path",
]


def sample_trip_path():
    """The shipped 8-minute trip (CSV), for `--vehicle-source replay:PATH`."""
    return SAMPLE_TRIP


def _port_and_baud(rest: str, kind: str) -> tuple[str, int | None]:
    port, _, baud = rest.partition("@")
    if not port:
        raise UserError(f"vehicle source {kind}: needs a port, e.g. {kind}:/dev/ttyUSB0")
    if baud and not baud.isdigit():
        raise UserError(f"vehicle source {kind}:{rest}: baud rate must be a number")
    return port, int(baud) if baud else None


def _open_one(spec: str) -> VehicleSource:
    kind, _, rest = spec.strip().partition(":")
    if kind == "replay":
        if not rest:
            raise UserError(
                "vehicle source replay: needs a trip file, e.g. replay:trip.csv (or replay:sample)"
            )
        return ReplaySource(SAMPLE_TRIP if rest == "sample" else rest)
    if kind == "obd":
        from edge.vehicle.obd_source import ObdSource

        port, baud = _port_and_baud(rest or "auto", "obd")
        return ObdSource(port, baudrate=baud)
    if kind == "can":
        from edge.vehicle.can_source import EXAMPLE_DBC, CanSource

        bus, _, dbc = rest.partition(":")
        interface, _, channel = bus.rpartition("/")
        if not channel:
            raise UserError("vehicle source can: needs a channel, e.g. can:can0 or can:can0:vehicle.dbc")
        return CanSource(channel, dbc or EXAMPLE_DBC, interface=interface or "socketcan")
    if kind == "gpsd":
        from edge.vehicle.gps import GpsdSource

        host, _, port = rest.partition(":")
        if port and not port.isdigit():
            raise UserError(f"vehicle source {spec}: port must be a number")
        return GpsdSource(host or "127.0.0.1", int(port) if port else 2947)
    if kind == "nmea":
        from edge.vehicle.gps import NmeaSource

        port, baud = _port_and_baud(rest, "nmea")
        return NmeaSource(port, baud or 9600)
    raise UserError(f"unknown vehicle source {spec!r}; expected {SPEC_HELP}")


def open_vehicle_source(spec: str | None, *, speed_kmh: float | None = None) -> VehicleSource:
    """A source for `spec`; without one, a constant `speed_kmh` (default 60 km/h)."""
    if not spec:
        return ConstantSource(60.0 if speed_kmh is None else speed_kmh)
    parts = [p for p in spec.split(",") if p.strip()]
    opened: list[VehicleSource] = []
    try:
        for part in parts:
            opened.append(_open_one(part))
    except BaseException:
        for source in opened:
            source.close()
        raise
    return opened[0] if len(opened) == 1 else MergedSource(opened)
