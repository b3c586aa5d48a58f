"""Per-driver calibration learned online at speed, as openpilot does: the driver's own straight-ahead
gaze / head pose and their normal eye openness.

Why: the camera rarely sits on the driver's axis and people differ (a relaxed head tilt, narrow
eyes), so "looking ahead" and "eyes open" are measured against this driver, not against zero.
At speed drivers look ahead most of the time, so the median of what is seen then is the forward
direction. Medians come from fixed-bin histograms: robust to glances, O(1) memory.

What may teach it, and why (issue 15): only attentive frames outside any episode, within a bounded
offset of the camera axis. Learning from every frame let a long stare at the infotainment screen
become "straight ahead" and end its own warnings. One exception keeps an off-axis camera working:
when the vision stage almost never calls this driver on the road at speed (its zones evidently do not
fit the mounting, e.g. a camera by the right window), every open-eyed frame within the bounds teaches
instead. Limit: a driver who, from the start of a drive, spends most of the first minute looking at one
spot inside the bounds other than the road is then learned as looking ahead there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.policy.settings import PolicySettings
from edge.signals import FrameSignals


class _Histogram:
    def __init__(self, lo: float, hi: float, step: float):
        self.lo, self.step = lo, step
        self.counts = np.zeros(round((hi - lo) / step), dtype=np.float64)

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


class _Pose:
    """Medians of gaze and head angles over the frames that taught it, and how many seconds did."""

    def __init__(self) -> None:
        self.gaze_yaw, self.gaze_pitch = _Histogram(-90, 90, 0.5), _Histogram(-90, 90, 0.5)
        self.head_yaw, self.head_pitch = _Histogram(-90, 90, 0.5), _Histogram(-90, 90, 0.5)
        self.seconds = 0.0

    def add(self, s: FrameSignals, dt: float) -> None:
        self.gaze_yaw.add(s.gaze_yaw, dt)
        self.gaze_pitch.add(s.gaze_pitch, dt)
        if s.head_yaw is not None and s.head_pitch is not None:
            self.head_yaw.add(s.head_yaw, dt)
            self.head_pitch.add(s.head_pitch, dt)
        self.seconds += dt

    def halve(self) -> None:
        for h in (self.gaze_yaw, self.gaze_pitch, self.head_yaw, self.head_pitch):
            h.halve()
        self.seconds /= 2


@dataclass(frozen=True)
class Verdict:
    """What the policy made of one frame, which decides what the frame may teach."""

    attentive: bool
    """Eyes open, gaze on the road by the policy's own judgement, and no episode open."""
    vision_on_road: bool
    """The vision stage, on its own, calls the gaze on the road."""
    lids_usable: bool
    """No closure or drowsiness episode is open (heavy lids then would teach a sleepy baseline)."""


class DriverCalibration:
    """Learns the driver's straight-ahead gaze and open-eye openness from frames seen at speed."""

    def __init__(self, settings: PolicySettings):
        self.s = settings
        self.attentive = _Pose()
        """Frames the policy judged attentive (the normal source)."""
        self.bounded = _Pose()
        """Every open-eyed frame within the bounds (used only when the vision zones do not fit the mount)."""
        self.vision_on_road_seconds = 0.0
        """Of `bounded`'s time, how much the vision stage called on the road."""
        self.openness = _Histogram(0.0, 1.0, 0.0025)
        self.openness_seconds = 0.0
        self._since_halving = 0.0

    def learn(self, s: FrameSignals, speed_kmh: float, dt: float, verdict: Verdict) -> None:
        """Feed one frame; it teaches only at speed, with the face found and the eyes open."""
        if dt <= 0 or speed_kmh < self.s.calibration_min_speed_kmh or not s.face_found:
            return
        eyes_open = s.eyes_measurable and s.eyes_closed is False
        if eyes_open and verdict.lids_usable:
            opening = _mean_openness(s)
            if opening is not None:
                self.openness.add(opening, dt)
                self.openness_seconds += dt
        if eyes_open and self._within_bounds(s):
            self.bounded.add(s, dt)
            self.vision_on_road_seconds += dt if verdict.vision_on_road else 0.0
            if verdict.attentive:
                self.attentive.add(s, dt)
        self._since_halving += dt
        if self._since_halving >= self.s.calibration_memory_s:
            self._forget_half()

    def _within_bounds(self, s: FrameSignals) -> bool:
        """The bounded offset: how far off the camera axis a driver's straight ahead can plausibly be."""
        c = self.s
        return (
            s.gaze_yaw is not None
            and s.gaze_pitch is not None
            and abs(s.gaze_yaw) <= c.calibration_max_yaw_deg
            and -c.calibration_max_pitch_down_deg <= s.gaze_pitch <= c.calibration_max_pitch_deg
        )

    def _forget_half(self) -> None:
        self.attentive.halve()
        self.bounded.halve()
        self.vision_on_road_seconds /= 2
        self.openness.halve()
        self.openness_seconds /= 2
        self._since_halving = 0.0

    def _pose(self) -> _Pose | None:
        """The histograms in use: attentive frames, else (off-axis mount) every bounded frame, else none."""
        need = self.s.calibration_s
        if self.attentive.seconds >= need:
            return self.attentive
        b = self.bounded
        share = self.s.calibration_mount_rescue_share
        vision_rarely_on_road = self.vision_on_road_seconds < share * b.seconds
        if b.seconds >= need and vision_rarely_on_road:
            return b
        return None

    @property
    def pose_ready(self) -> bool:
        return self._pose() is not None

    @property
    def openness_ready(self) -> bool:
        return self.openness_seconds >= self.s.calibration_s

    def forward_gaze(self) -> tuple[float, float] | None:
        """The driver's straight-ahead (yaw, pitch) in degrees, once learned."""
        pose = self._pose()
        return None if pose is None else (pose.gaze_yaw.median(), pose.gaze_pitch.median())

    def forward_head_yaw(self) -> float:
        """The driver's natural head yaw (0 until learned)."""
        pose = self._pose()
        value = None if pose is None else pose.head_yaw.median()
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
        gaze, pose = self.forward_gaze(), self._pose()
        return {
            "pose_ready": pose is not None,
            "openness_ready": self.openness_ready,
            "pose_from": None if pose is None else ("attentive" if pose is self.attentive else "mount"),
            "forward_gaze_yaw": None if gaze is None else gaze[0],
            "forward_gaze_pitch": None if gaze is None else gaze[1],
            "open_eye_openness": self.openness.median() if self.openness_ready else None,
            "learned_s": round((pose or self.attentive).seconds, 1),
        }


def _mean_openness(s: FrameSignals) -> float | None:
    values = [v for v in (s.openness_left, s.openness_right) if v is not None]
    return sum(values) / len(values) if values else None
