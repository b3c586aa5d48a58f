"""Fatigue signs beyond eye closure, from per-frame signals with explicit time: yawning and nodding.

Yawning: the mouth wide open (face-mesh mouth opening >= `yawn_mouth_open`) for `yawn_min_s` or more.
Speech and laughter open the mouth for less; a yawn holds it wide for seconds. Each yawn is its own
(silent) `yawning` episode and counts into drowsiness: `yawns_drowsy` yawns within `yawn_window_s`.

Nodding: while the eyes stay closed, the head pitch falls `nod_pitch_drop_deg` below its value when
they closed: the head drops because the driver dozes. A look down into the lap or at a phone moves the
head first and the lids after it, so its pitch has mostly fallen before any "closure" starts.
`nods_drowsy` nods within the PERCLOS window count into drowsiness.
"""

from __future__ import annotations

from edge.policy.settings import PolicySettings
from edge.policy.timers import HoldRun, WindowSum


class YawnTracker:
    """The yawn under way, if any, and the yawns of the recent window."""

    def __init__(self, settings: PolicySettings):
        self.s = settings
        self.run = HoldRun(settings.flicker_tolerance_s)
        self.recent = WindowSum(settings.yawn_window_s)
        self.peak = 0.0
        self._counted = False

    def update(self, t: float, mouth_open: float | None) -> None:
        wide = mouth_open is not None and mouth_open >= self.s.yawn_mouth_open
        self.run.update(t, wide)
        if not self.run.active:
            self.peak, self._counted = 0.0, False
        elif wide:
            self.peak = max(self.peak, mouth_open)
        if self.yawning(t) and not self._counted:
            self.recent.add(t, 1.0)
            self._counted = True
        self.recent.expire(t)

    def yawning(self, t: float) -> bool:
        return self.run.active and self.run.duration(t) >= self.s.yawn_min_s

    def count(self) -> int:
        return self.recent.count()


class NodTracker:
    """Head drops during closures, counted over the PERCLOS window."""

    def __init__(self, settings: PolicySettings):
        self.s = settings
        self.recent = WindowSum(settings.perclos_window_s)
        self.last_drop_deg = 0.0
        self._pitch_at_closing: float | None = None
        self._counted = False

    def update(self, t: float, closed_for: float | None, head_pitch: float | None) -> None:
        """`closed_for`: how long the current closure has lasted (None: eyes not closed)."""
        if closed_for is None:
            self._pitch_at_closing, self._counted = None, False
        elif head_pitch is not None:
            if self._pitch_at_closing is None:
                self._pitch_at_closing = head_pitch
            drop = self._pitch_at_closing - head_pitch
            nod = drop >= self.s.nod_pitch_drop_deg and closed_for >= self.s.nod_min_closure_s
            if nod and not self._counted:
                self.recent.add(t, 1.0)
                self.last_drop_deg, self._counted = drop, True
        self.recent.expire(t)

    def count(self) -> int:
        return self.recent.count()
