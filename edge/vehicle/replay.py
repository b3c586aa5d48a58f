"""Replay of a recorded trip (CSV): vehicle status for any time of the run, for tests and the demo.

Columns (header required; any subset after `t_s`; '#' lines are comments):
t_s, speed_kmh, odometer_km, latitude, longitude, heading_deg, fuel_pct, battery_v, engine_hours,
engine_rpm, coolant_c, dtcs (space-separated codes such as "P0301 P0420").
Continuous values are interpolated between rows; DTCs hold from their row on. Past the last row the
trip starts again (`loop=True`, the default: a long demo keeps driving) with the odometer and engine
hours carried on, or the last values hold (`loop=False`). A bad file raises UserError naming the line.
"""

from __future__ import annotations

import bisect
import csv
from pathlib import Path

from pydantic import ValidationError

from dms.contract import VehicleSignals
from dms.errors import UserError
from edge.vehicle.base import VehicleSource, signals_from

SAMPLE_TRIP = Path(__file__).with_name("data") / "sample_trip.csv"

# CSV column -> VehicleSignals field
COLUMNS = {
    "speed_kmh": "speed",
    "odometer_km": "traveled_distance",
    "latitude": "latitude",
    "longitude": "longitude",
    "heading_deg": "heading",
    "fuel_pct": "fuel_level",
    "battery_v": "low_voltage_battery_voltage",
    "engine_hours": "engine_hours",
    "engine_rpm": "engine_speed",
    "coolant_c": "coolant_temperature",
}
DTC_COLUMN = "dtcs"
CUMULATIVE = ("traveled_distance", "engine_hours")


def _number(text: str, column: str, where: str) -> float | None:
    if text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise UserError(f"{where}: column {column!r}: not a number: {text!r}") from None


class ReplaySource(VehicleSource):
    """Vehicle signals of a recorded trip, `t` seconds after its first row."""

    def __init__(self, path: str | Path, *, loop: bool = True):
        self.path = Path(path)
        self.loop = loop
        self.name = f"replay of {self.path.name}"
        self.times: list[float] = []
        self.rows: list[dict] = []
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            raise UserError(f"trip file not found: {self.path}")
        try:
            with self.path.open(newline="", encoding="utf-8") as fh:
                numbered = [
                    (n, line) for n, line in enumerate(fh, 1) if line.strip() and not line.startswith("#")
                ]
        except UnicodeDecodeError as exc:
            raise UserError(
                f"{self.path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})"
            ) from None
        if not numbered:
            raise UserError(f"{self.path}: empty trip file")
        header_no, header_line = numbered[0]
        header = [h.strip() for h in next(csv.reader([header_line]))]
        unknown = [h for h in header if h not in COLUMNS and h not in (DTC_COLUMN, "t_s")]
        if not header or header[0] != "t_s" or unknown:
            raise UserError(
                f"{self.path}:{header_no}: header must start with t_s and use only the columns "
                f"{', '.join(['t_s', *COLUMNS, DTC_COLUMN])}"
                + (f" (unknown: {', '.join(unknown)})" if unknown else "")
            )
        for line_no, line in numbered[1:]:
            where = f"{self.path}:{line_no}"
            cells = next(csv.reader([line]))
            if len(cells) != len(header):
                raise UserError(f"{where}: expected {len(header)} columns, found {len(cells)}")
            record = dict(zip(header, cells))
            t = _number(record.pop("t_s"), "t_s", where)
            if t is None or (self.times and t <= self.times[-1]):
                raise UserError(f"{where}: t_s must be a number greater than the previous row's")
            values = {COLUMNS[c]: _number(v, c, where) for c, v in record.items() if c in COLUMNS}
            if DTC_COLUMN in record:
                values["dtc_list"] = record[DTC_COLUMN].split()
            try:
                signals_from(values)  # validate ranges and DTC syntax now, with the line number
            except ValidationError as exc:
                err = exc.errors()[0]
                column = {v: k for k, v in COLUMNS.items()}.get(err["loc"][0], DTC_COLUMN)
                raise UserError(f"{where}: column {column!r}: {err['msg']} (got {err['input']!r})") from None
            self.times.append(t)
            self.rows.append(values)
        if not self.rows:
            raise UserError(f"{self.path}: no data rows after the header")

    @property
    def duration_s(self) -> float:
        return self.times[-1] - self.times[0]

    def read(self, t: float) -> VehicleSignals:
        lap = 0
        t = max(0.0, t)
        if self.loop and self.duration_s > 0 and t > self.duration_s:
            lap, t = divmod(t, self.duration_s)
        values = self._at(self.times[0] + t)
        for key in CUMULATIVE:
            if lap and values.get(key) is not None and self.rows[0].get(key) is not None:
                values[key] += lap * (self.rows[-1][key] - self.rows[0][key])
        speed = values.get("speed")
        if speed is not None:
            values["is_moving"] = speed > 0.5
        return signals_from(values)

    def _at(self, t: float) -> dict:
        i = bisect.bisect_right(self.times, t) - 1
        i = max(i, 0)
        row = self.rows[i]
        if i + 1 >= len(self.rows):
            values = dict(row)
        else:
            nxt = self.rows[i + 1]
            w = (t - self.times[i]) / (self.times[i + 1] - self.times[i])
            values = {
                k: (v if not isinstance(v, float) or nxt.get(k) is None else v + (nxt[k] - v) * w)
                for k, v in row.items()
            }
            if "heading" in values and row.get("heading") is not None and nxt.get("heading") is not None:
                values["heading"] = _angle_lerp(row["heading"], nxt["heading"], w)
        return values


def _angle_lerp(a: float, b: float, w: float) -> float:
    """Interpolate headings across north (359 -> 1 passes 0, not 180)."""
    d = (b - a + 180) % 360 - 180
    return (a + d * w) % 360
