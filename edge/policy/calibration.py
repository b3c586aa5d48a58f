"""Per-driver calibration learned online at speed, as openpilot does: the driver's own straight-ahead
gaze / head pose and their normal eye openness.

Why: the camera rarely sits on the driver's axis and people differ (a relaxed head tilt, narrow
eyes), so "looking ahead" and "eyes open" are measured against this driver, not against zero.
At speed drivers look ahead most of the time, so the median of what is seen then is the forward
direction. Medians come from fixed-bin histograms: robust to glances, O(1) memory.
"""
from __future__ import annotations

import numpy as np

from edge.policy.settings import PolicySettings
from edge.signals import FrameSignals


class _Histogram:
    def __init__(self, lo: float, hi: float, step: float):
        self.lo, self.step = lo, step
        self.counts = np.zeros(int(round((hi - lo) / step)), dtype=np.float64)

    def add(self, value: float, weight: float) -> None:
        i = int((value - self.lo) / self.step)
        self.counts[min(max(i, 0), len(self.counts) - 1)] += weight

    def median(self) -> float | None:
        total = self.counts.sum()
        if total <= 0:
            return None
        i = int(np.searchsorted(np.cumsum(self.counts), total / 2))
        return self.lo + (i + 0.5) * self.step

    def halve(self) -> None:
        self.counts *= 0.5


class DriverCalibration:
    """Learns the driver's straight-ahead gaze and open-eye openness from frames seen at speed."""

    def __init__(self, settings: PolicySettings):
        self.s = settings
        self.gaze_yaw = _Histogram(-90, 90, 0.5)
        self.gaze_pitch = _Histogram(-90, 90, 0.5)
        self.head_yaw = _Histogram(-90, 90, 0.5)
        self.head_pitch = _Histogram(-90, 90, 0.5)
        self.openness = _Histogram(0.0, 1.0, 0.0025)
        self.pose_seconds = 0.0
        self.openness_seconds = 0.0
        self._since_halving = 0.0

    def learn(self, s: FrameSignals, speed_kmh: float, dt: float) -> None:
        """Feed one frame; it teaches only at speed, with the face found and the eyes open."""
        if dt <= 0 or speed_kmh < self.s.calibration_min_speed_kmh or not s.face_found:
            return
        if s.eyes_measurable and s.eyes_closed is False:
            opening = _mean_openness(s)
            if opening is not None:
                self.openness.add(opening, dt)
                self.openness_seconds += dt
        if (s.gaze_yaw is not None and s.gaze_pitch is not None
                and abs(s.gaze_yaw) <= self.s.calibration_max_yaw_deg
                and abs(s.gaze_pitch) <= self.s.calibration_max_pitch_deg):
            self.gaze_yaw.add(s.gaze_yaw, dt)
            self.gaze_pitch.add(s.gaze_pitch, dt)
            if s.head_yaw is not None and s.head_pitch is not None:
                self.head_yaw.add(s.head_yaw, dt)
                self.head_pitch.add(s.head_pitch, dt)
            self.pose_seconds += dt
        self._since_halving += dt
        if self._since_halving >= self.s.calibration_memory_s:
            self._forget_half()

    def _forget_half(self) -> None:
        for h in (self.gaze_yaw, self.gaze_pitch, self.head_yaw, self.head_pitch, self.openness):
            h.halve()
        self.pose_seconds /= 2
        self.openness_seconds /= 2
        self._since_halving = 0.0

    @property
    def pose_ready(self) -> bool:
        return self.pose_seconds >= self.s.calibration_s

    @property
    def openness_ready(self) -> bool:
        return self.openness_seconds >= self.s.calibration_s

    def forward_gaze(self) -> tuple[float, float] | None:
        """The driver's straight-ahead (yaw, pitch) in degrees, once learned."""
        if not self.pose_ready:
            return None
        return self.gaze_yaw.median(), self.gaze_pitch.median()

    def forward_head_yaw(self) -> float:
        """The driver's natural head yaw (0 until learned)."""
        value = self.head_yaw.median() if self.pose_ready else None
        return 0.0 if value is None else value

    def relative_openness(self, s: FrameSignals) -> float | None:
        """This frame's eye openness relative to the driver's open-eye baseline (1 = as usual)."""
        if not self.openness_ready or not s.eyes_measurable:
            return None
        opening, baseline = _mean_openness(s), self.openness.median()
        if opening is None or not baseline:
            return None
        return float(min(max(opening / baseline, 0.0), 2.0))

    def as_dict(self) -> dict:
        gaze = self.forward_gaze()
        return {"pose_ready": self.pose_ready, "openness_ready": self.openness_ready,
                "forward_gaze_yaw": None if gaze is None else gaze[0],
                "forward_gaze_pitch": None if gaze is None else gaze[1],
                "open_eye_openness": self.openness.median() if self.openness_ready else None,
                "learned_s": round(self.pose_seconds, 1)}


def _mean_openness(s: FrameSignals) -> float | None:
    values = [v for v in (s.openness_left, s.openness_right) if v is not None]
    return sum(values) / len(values) if values else None
