"""Vehicle status from an OBD-II adapter (ELM327 and compatibles) with the `obd` package.

`obd.Async` polls the watched PIDs in its own thread, so `read(t)` only copies the latest answers.
OBD-II has no standard odometer PID on most cars; the odometer then comes from another source
(CAN, or the back office's odometer log).
"""

from __future__ import annotations

import logging
from typing import Any

from dms.contract import VehicleSignals
from dms.errors import UserError
from edge.vehicle.base import VehicleSource, signals_from

log = logging.getLogger(__name__)

# obd command name -> (VehicleSignals field, unit to convert to)
PIDS: dict[str, tuple[str, str | None]] = {
    "SPEED": ("speed", "kph"),
    "RPM": ("engine_speed", "rpm"),
    "FUEL_LEVEL": ("fuel_level", "percent"),
    "CONTROL_MODULE_VOLTAGE": ("low_voltage_battery_voltage", "volt"),
    "COOLANT_TEMP": ("coolant_temperature", "degC"),
    "HYBRID_BATTERY_REMAINING": ("traction_battery_soc", "percent"),
}


def _magnitude(value: Any, unit: str | None) -> float | None:
    if value is None:
        return None
    if hasattr(value, "to") and unit is not None:
        return float(value.to(unit).magnitude)
    return float(getattr(value, "magnitude", value))


def signals_from_obd(answers: dict[str, Any]) -> VehicleSignals:
    """Map decoded OBD answers (command name -> pint quantity, or DTC list) to VSS signals."""
    values: dict[str, Any] = {}
    for name, (field, unit) in PIDS.items():
        if answers.get(name) is not None:
            values[field] = _magnitude(answers[name], unit)
    dtcs = answers.get("GET_DTC")
    if dtcs is not None:
        values["dtc_list"] = sorted({code for code, _desc in dtcs})
    if values.get("speed") is not None:
        values["is_moving"] = values["speed"] > 0.5
    return signals_from(values)


class ObdSource(VehicleSource):
    """`port`: a serial device such as /dev/ttyUSB0 or /dev/rfcomm0, or 'auto' to scan."""

    def __init__(self, port: str = "auto", *, baudrate: int | None = None, timeout_s: float = 1.0):
        import obd  # imported here: the package pulls in pint, which costs start-up time

        self.name = f"OBD-II on {port}"
        self._answers: dict[str, Any] = {}
        self._conn = obd.Async(
            None if port == "auto" else port,
            baudrate=baudrate,
            timeout=timeout_s,
            fast=False,
            check_voltage=False,
        )
        if not self._conn.is_connected():
            self._conn.close()
            raise UserError(
                f"no OBD-II adapter answered on {port} (status: {self._conn.status()}); "
                "check the port, that the ignition is on, and the adapter's baud rate"
            )
        supported = [n for n in (*PIDS, "GET_DTC") if self._conn.supports(getattr(obd.commands, n))]
        for name in supported:
            self._conn.watch(getattr(obd.commands, name), callback=self._remember(name))
        log.info("OBD-II on %s: watching %s", port, ", ".join(supported) or "nothing")
        self._conn.start()

    def _remember(self, name: str):
        def callback(response) -> None:
            self._answers[name] = None if response.is_null() else response.value

        return callback

    def read(self, t: float) -> VehicleSignals:
        return signals_from_obd(dict(self._answers))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
