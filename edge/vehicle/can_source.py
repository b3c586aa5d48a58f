"""Vehicle status from a CAN bus: python-can receives frames, a cantools DBC decodes them.

Which DBC signal is which VSS signal is written in the DBC itself: a signal whose comment is a VSS
path (e.g. `CM_ SG_ 256 Speed "Vehicle.Speed";`) feeds that path; other signals are ignored. So a new
vehicle needs a DBC file, not code. `read(t)` returns the latest decoded values (a python-can
Notifier decodes in its own thread).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from dms.contract import VehicleSignals
from dms.errors import UserError
from edge.vehicle.base import VehicleSource, signals_from

log = logging.getLogger(__name__)

EXAMPLE_DBC = Path(__file__).with_name("data") / "example_vehicle.dbc"


def vss_field_by_alias() -> dict[str, str]:
    """VSS path -> VehicleSignals attribute."""
    return {info.alias: name for name, info in VehicleSignals.model_fields.items() if info.alias}


def load_dbc(path: str | Path):
    """The DBC database and {(frame id, signal name): VehicleSignals field} from its signal comments."""
    import cantools

    p = Path(path)
    if not p.is_file():
        raise UserError(f"DBC file not found: {p}")
    try:
        db = cantools.database.load_file(str(p))
    except Exception as exc:  # cantools raises several parser error types
        raise UserError(f"{p}: not a valid DBC file: {str(exc).splitlines()[0]}") from None
    fields = vss_field_by_alias()
    mapping: dict[tuple[int, str], str] = {}
    for message in db.messages:
        for signal in message.signals:
            path = (signal.comment or "").strip()
            if path in fields:
                mapping[(message.frame_id, signal.name)] = fields[path]
    if not mapping:
        raise UserError(
            f"{p}: no signal is mapped to a VSS path (put the path in the signal's comment, "
            'e.g. CM_ SG_ 256 Speed "Vehicle.Speed";)'
        )
    return db, mapping


class CanSource(VehicleSource):
    """`interface`: python-can interface (socketcan, virtual, pcan, ...); `channel`: e.g. can0."""

    def __init__(self, channel: str, dbc: str | Path = EXAMPLE_DBC, *, interface: str = "socketcan"):
        import can

        self.name = f"CAN {interface}:{channel}"
        self._db, self._mapping = load_dbc(dbc)
        self._ids = {frame_id for frame_id, _ in self._mapping}
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.decode_errors = 0
        try:
            self._bus = can.Bus(channel=channel, interface=interface)
        except (can.CanError, OSError, ValueError, ImportError) as exc:
            raise UserError(f"cannot open CAN bus {interface}:{channel}: {exc}") from None
        self._notifier = can.Notifier(self._bus, [self._on_frame], timeout=0.2)

    def _on_frame(self, frame) -> None:
        if frame.arbitration_id not in self._ids or frame.is_error_frame:
            return
        try:
            decoded = self._db.decode_message(frame.arbitration_id, frame.data, decode_choices=False)
        except Exception:  # a malformed frame must not stop the bus reader
            self.decode_errors += 1
            return
        with self._lock:
            for name, value in decoded.items():
                field = self._mapping.get((frame.arbitration_id, name))
                if field is not None:
                    self._values[field] = float(value)

    def read(self, t: float) -> VehicleSignals:
        with self._lock:
            values = dict(self._values)
        if values.get("speed") is not None:
            values["is_moving"] = values["speed"] > 0.5
        return signals_from(values)

    def close(self) -> None:
        if self._notifier is not None:
            self._notifier.stop()
            self._bus.shutdown()
            self._notifier = None
