"""When to send a vehicle status sample: at a fixed rate, and at once on a significant change."""

from __future__ import annotations

from dms.contract import VehicleSignals
from edge.uplink.settings import TelemetrySettings


class StatusSampler:
    """Feed it every reading with its time; `due` says whether this one goes out."""

    def __init__(self, settings: TelemetrySettings | None = None):
        self.settings = settings or TelemetrySettings()
        self._last: VehicleSignals | None = None
        self._last_t = float("-inf")

    def due(self, t: float, signals: VehicleSignals) -> bool:
        s = self.settings
        periodic = t - self._last_t >= 1.0 / s.status_hz - 1e-9
        changed = t - self._last_t >= s.min_change_interval_s and self._changed(signals)
        if periodic or changed:
            self._last, self._last_t = signals, t
            return True
        return False

    def _changed(self, new: VehicleSignals) -> bool:
        old, s = self._last, self.settings
        if old is None:
            return True
        if set(old.dtc_list or ()) != set(new.dtc_list or ()) or old.is_moving != new.is_moving:
            return True
        for field, limit in (
            ("speed", s.speed_change_kmh),
            ("fuel_level", s.fuel_change_pct),
            ("low_voltage_battery_voltage", s.voltage_change_v),
        ):
            a, b = getattr(old, field), getattr(new, field)
            if (a is None) != (b is None) or (a is not None and abs(a - b) >= limit):
                return True
        return False


class Every:
    """A fixed-rate tick on an explicit timeline (driver-state samples)."""

    def __init__(self, hz: float):
        self.period = 1.0 / hz
        self._next = float("-inf")

    def due(self, t: float) -> bool:
        if t + 1e-9 < self._next:
            return False
        # Stay on the grid; after a gap (paused source) restart from now instead of bursting to catch up.
        behind = t - self._next >= self.period
        self._next = t + self.period if behind else self._next + self.period
        return True
