"""When a sample goes out: on what matters (deadbands, a start or a stop, a level change) plus a
heartbeat, and at a fixed rate when one is configured. Every decision is on the explicit timeline `t`
(seconds of the run); nothing here reads a clock.

Vehicle status: the first reading, then whenever the vehicle moved `distance_change_m`, turned
`heading_change_deg` (at `heading_min_speed_kmh` or faster), changed speed, fuel or battery voltage
beyond their deadbands, got a trouble code it did not have, started or stopped - all compared with the
last sample *sent*, so a slow curve still sends one sample per `heading_change_deg` - or when the
heartbeat of its state (moving / parked) is due. The map draws every stop (the sample at standstill) and
every turn (a sample at least each `heading_change_deg` of heading).

Driver state: the first, then when its level changes (monitoring or not, the set of active episodes, the
fatigue or distraction level crossing a `state_level_step_pct` band) or `state_heartbeat_s` passed.
"""

from __future__ import annotations

import math
from typing import Any

from dms.contract import VehicleSignals
from edge.uplink.settings import TelemetrySettings

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def heading_change(a: float, b: float) -> float:
    """Smallest angle between two headings, degrees (359 -> 1 is 2)."""
    return abs((b - a + 180) % 360 - 180)


class StatusSampler:
    """Feed it every reading with its time; `due` says whether this one goes out."""

    def __init__(self, settings: TelemetrySettings | None = None):
        self.settings = settings or TelemetrySettings()
        self._last: VehicleSignals | None = None
        self._last_t = float("-inf")
        self.reasons: dict[str, int] = {}
        """How many samples each reason sent (first, heartbeat, rate, moved, turn, speed, ...)."""

    def due(self, t: float, signals: VehicleSignals) -> bool:
        reason = self._reason(t, signals)
        if reason is None:
            return False
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        self._last, self._last_t = signals, t
        return True

    def moving(self, signals: VehicleSignals) -> bool | None:
        if signals.is_moving is not None:
            return signals.is_moving
        return None if signals.speed is None else signals.speed > self.settings.stop_speed_kmh

    def _reason(self, t: float, new: VehicleSignals) -> str | None:
        s, old = self.settings, self._last
        if old is None:
            return "first"
        since = t - self._last_t
        if s.status_hz is not None and since >= 1.0 / s.status_hz - 1e-9:
            return "rate"
        heartbeat = s.status_heartbeat_moving_s if self.moving(new) else s.status_heartbeat_parked_s
        if since >= heartbeat - 1e-9:
            return "heartbeat"
        if since < s.min_change_interval_s:
            return None
        return self._changed(old, new)

    def _changed(self, old: VehicleSignals, new: VehicleSignals) -> str | None:
        s = self.settings
        if self.moving(old) != self.moving(new):
            return "start" if self.moving(new) else "stop"
        if set(new.dtc_list or ()) != set(old.dtc_list or ()):
            return "trouble_codes"
        if (
            s.heading_change_deg is not None
            and old.heading is not None
            and new.heading is not None
            and (new.speed is None or new.speed >= s.heading_min_speed_kmh)
            and heading_change(old.heading, new.heading) >= s.heading_change_deg
        ):
            return "turn"
        if (
            s.distance_change_m is not None
            and None not in (old.latitude, old.longitude, new.latitude, new.longitude)
            and distance_m(old.latitude, old.longitude, new.latitude, new.longitude) >= s.distance_change_m
        ):
            return "moved"
        for field, limit in (
            ("speed", s.speed_change_kmh),
            ("fuel_level", s.fuel_change_pct),
            ("low_voltage_battery_voltage", s.voltage_change_v),
        ):
            a, b = getattr(old, field), getattr(new, field)
            if (a is None) != (b is None) or (a is not None and abs(a - b) >= limit):
                return field
        return None


class StateSampler:
    """Driver-state samples: `due(t, summary)` with the policy's `state_summary()` (any object with
    `monitoring`, `active`, `fatigue_level`, `distraction_level`)."""

    def __init__(self, settings: TelemetrySettings | None = None):
        self.settings = settings or TelemetrySettings()
        self._rate = Every(self.settings.state_hz) if self.settings.state_hz is not None else None
        self._last_level: tuple | None = None
        self._last_t = float("-inf")

    def level(self, summary: Any) -> tuple:
        """What counts as the driver's level: a change of it sends a sample."""
        step = self.settings.state_level_step_pct

        def band(value: float | None) -> int | None:
            return None if value is None else int(min(max(value, 0.0), 100.0) // step)

        return (
            bool(summary.monitoring),
            tuple(sorted(summary.active)),
            band(summary.fatigue_level),
            band(summary.distraction_level),
        )

    def due(self, t: float, summary: Any) -> bool:
        s = self.settings
        if self._rate is not None:
            return self._rate.due(t)
        level = self.level(summary) if s.state_on_change else None
        since = t - self._last_t
        changed = level != self._last_level and since >= s.min_change_interval_s
        if since >= s.state_heartbeat_s - 1e-9 or changed:
            self._last_level, self._last_t = level, t
            return True
        return False


class LiveDetail:
    """Live detail on demand: while a dispatcher's request lasts (on the run's timeline `t`), driver state
    and status go out every second, unbatched, through samplers of the detailed profile; afterwards the
    profile's own samplers again, with nothing to switch back by hand."""

    def __init__(self, settings: TelemetrySettings | None = None):
        settings = settings or TelemetrySettings()
        self.max_s = settings.live_max_s
        detailed = TelemetrySettings(profile="detailed", encoding=settings.encoding)
        self.status = StatusSampler(detailed)
        self.state = StateSampler(detailed)
        self.until = float("-inf")

    def request(self, t: float, seconds: float) -> float:
        """Detail from `t` for `seconds` (at most `live_max_s`; replaces a running request); the seconds
        granted."""
        granted = max(0.0, min(seconds, self.max_s))
        self.until = t + granted
        return granted

    def active(self, t: float) -> bool:
        return t < self.until


class SampleBatcher:
    """Samples wait, per kind, until the first of them is `window_s` old (message time) or `max_samples`
    wait; then they go as one message. `window_s` 0: every sample alone, at once."""

    def __init__(self, window_s: float = 0.0, max_samples: int = 50):
        self.window_s = window_s
        self.max_samples = max_samples
        self._waiting: dict[str, tuple[float, list]] = {}

    def add(self, t: float, message: Any) -> list[list]:
        """Queue `message` (made at `t`); returns the batches ready now."""
        if self.window_s <= 0:
            return [[message]]
        _, waiting = self._waiting.setdefault(message.kind, (t, []))
        waiting.append(message)
        if len(waiting) >= self.max_samples:
            del self._waiting[message.kind]
            return [waiting]
        return []

    def due(self, t: float) -> list[list]:
        """The batches whose first sample has waited `window_s` by `t`."""
        ready = [kind for kind, (first_t, _) in self._waiting.items() if t - first_t >= self.window_s - 1e-9]
        return [self._waiting.pop(kind)[1] for kind in ready]

    def flush(self) -> list[list]:
        """Every waiting batch (before an event, at the end of a run)."""
        batches = [waiting for _, waiting in self._waiting.values()]
        self._waiting.clear()
        return batches


class Every:
    """A fixed-rate tick on an explicit timeline."""

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
