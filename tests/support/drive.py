"""Runs a synthetic drive through a fresh `DriverMonitor` at a given frame rate (openpilot style: fake
time, per-frame signals) and keeps, per frame, which episodes were active."""

from __future__ import annotations

from edge.policy import DriverMonitor
from edge.policy.synthetic import frames

FRAME_RATES = (10.0, 15.0, 20.0, 30.0)
"""Every case of the attention budget is checked at each of these rates (issue 15)."""


class Drive:
    """A behaviour (or ready-made signals) through a monitor; `at(t)` is what was active then."""

    def __init__(self, behaviour, speed=60.0, settings=None, signals=None, fps: float = 30.0):
        self.fps = fps
        self.monitor = DriverMonitor(settings, session_id="test")
        self.events, self.timeline = [], []
        for sig in signals if signals is not None else frames(behaviour, fps):
            v = speed(sig.t) if callable(speed) else speed
            self.events += self.monitor.update(sig, v)
            self.timeline.append((sig.t, self.monitor.active()))

    @property
    def frame(self) -> float:
        return 1 / self.fps

    def at(self, second: float) -> dict[str, int]:
        """Active episodes at the last frame at or before `second`."""
        return [a for t, a in self.timeline if t <= second + 1e-9][-1]

    def starts(self, kind=None):
        return [e for e in self.events if e.phase == "start" and (kind is None or e.type == kind)]

    def first(self, kind, phase="start"):
        return next(e for e in self.events if e.type == kind and e.phase == phase)

    def phases(self, kind) -> list[tuple[str, int]]:
        return [(e.phase, e.level) for e in self.events if e.type == kind]
