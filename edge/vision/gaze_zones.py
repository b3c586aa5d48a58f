"""Gaze zones: where in the cabin the driver looks, from gaze angles relative to "straight ahead".

Zones are rectangles in (yaw, pitch) degrees, checked in order, written for a left-hand-drive car (the
driver sits on the left; the near mirror is the left one and the infotainment screen is to the driver's
right, i.e. negative yaw). For right-hand drive the yaw is mirrored and left/right names swap.
"Straight ahead" is the driver's own road gaze: given in the settings and, unless switched off, learnt
online as a slow, outlier-gated average of the gaze (drivers look at the road most of the time).
Sign convention as edge.vision.head_pose: yaw > 0 toward the driver's left, pitch > 0 up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from dms.contract import GazeZone
from dms.settings import Settings

DRIVING_RELATED = frozenset(
    {GazeZone.ROAD, GazeZone.LEFT_MIRROR, GazeZone.RIGHT_MIRROR, GazeZone.REAR_MIRROR, GazeZone.CLUSTER}
)
_SWAP_SIDES = {
    GazeZone.LEFT_MIRROR: GazeZone.RIGHT_MIRROR,
    GazeZone.RIGHT_MIRROR: GazeZone.LEFT_MIRROR,
    GazeZone.LEFT_WINDOW: GazeZone.RIGHT_WINDOW,
    GazeZone.RIGHT_WINDOW: GazeZone.LEFT_WINDOW,
}


def eyes_on_road(zone: GazeZone | str | None) -> bool:
    """True for the road ahead and driving-related glances (mirrors, instrument cluster)."""
    if zone is None:
        return False
    return GazeZone(zone) in DRIVING_RELATED


class ZoneRule(Settings):
    """One zone as a yaw/pitch rectangle (degrees from straight ahead, left-hand drive)."""

    zone: GazeZone
    """The zone this rectangle names."""
    yaw_min: float = -180.0
    """Smallest yaw (toward the driver's right) in the zone."""
    yaw_max: float = 180.0
    """Largest yaw (toward the driver's left) in the zone."""
    pitch_min: float = -90.0
    """Lowest pitch (looking down) in the zone."""
    pitch_max: float = 90.0
    """Highest pitch (looking up) in the zone."""

    def contains(self, yaw: float, pitch: float) -> bool:
        return self.yaw_min <= yaw <= self.yaw_max and self.pitch_min <= pitch <= self.pitch_max


DEFAULT_RULES = (
    ZoneRule(zone=GazeZone.ROAD, yaw_min=-15, yaw_max=15, pitch_min=-10, pitch_max=20),
    ZoneRule(zone=GazeZone.REAR_MIRROR, yaw_min=-45, yaw_max=-15, pitch_min=5, pitch_max=35),
    ZoneRule(zone=GazeZone.LEFT_MIRROR, yaw_min=25, yaw_max=65, pitch_min=-25, pitch_max=5),
    ZoneRule(zone=GazeZone.RIGHT_MIRROR, yaw_min=-80, yaw_max=-45, pitch_min=-25, pitch_max=5),
    ZoneRule(zone=GazeZone.CLUSTER, yaw_min=-15, yaw_max=15, pitch_min=-30, pitch_max=-10),
    ZoneRule(zone=GazeZone.INFOTAINMENT, yaw_min=-45, yaw_max=-15, pitch_min=-45, pitch_max=-10),
    ZoneRule(zone=GazeZone.LAP, pitch_max=-30),
    ZoneRule(zone=GazeZone.LEFT_WINDOW, yaw_min=15),
    ZoneRule(zone=GazeZone.RIGHT_WINDOW, yaw_max=-15),
)


class GazeZoneSettings(Settings):
    """Cabin geometry for gaze zones."""

    drive_side: Literal["left", "right"] = "left"
    """'left' = left-hand drive (steering wheel on the left, e.g. Europe); 'right' = right-hand drive."""
    rules: tuple[ZoneRule, ...] = DEFAULT_RULES
    """Zone rectangles, first match wins; a gaze matching none is 'unknown'."""
    straight_ahead_yaw: float = 0.0
    """Gaze yaw (degrees, camera frame) of the driver looking at the road; the start value when learnt."""
    straight_ahead_pitch: float = 0.0
    """Gaze pitch (degrees, camera frame) of the driver looking at the road."""
    learn_straight_ahead: bool = True
    """Adapt straight ahead to this driver and camera mounting from the gaze itself."""
    learning_rate: float = Field(0.01, gt=0.0, le=1.0)
    """Weight of one frame in the learnt straight ahead (0.01 at 30 fps: ~3 s time constant)."""
    learning_gate: float = Field(20.0, gt=0.0)
    """Only gazes within this many degrees of the current straight ahead teach it (glances do not)."""
    bootstrap_frames: int = Field(30, ge=0, le=3000)
    """The first frames of a new driver set straight ahead to their median gaze, however far it is from
    the configured value: this absorbs the camera mounting (a camera below the face reads every gaze as
    'up'), which the gated learning above could never reach. 0 keeps the configured value."""


@dataclass(frozen=True, slots=True)
class ZoneResult:
    zone: GazeZone
    eyes_on_road: bool
    yaw: float
    """Gaze yaw relative to straight ahead, degrees."""
    pitch: float


class GazeZoneClassifier:
    """Maps a face's gaze to a zone; `classify(face)` takes anything with gaze_yaw and gaze_pitch."""

    def __init__(self, settings: GazeZoneSettings | None = None):
        self.settings = settings or GazeZoneSettings()
        self.reset()

    def reset(self) -> None:
        self.straight_yaw = self.settings.straight_ahead_yaw
        self.straight_pitch = self.settings.straight_ahead_pitch
        self._first_gazes: list[tuple[float, float]] = []

    def calibrate(self, yaw: float, pitch: float) -> None:
        """Set straight ahead explicitly (e.g. from a calibration step while driving straight)."""
        self.straight_yaw, self.straight_pitch = yaw, pitch

    def zone_of(self, yaw: float, pitch: float) -> GazeZone:
        """Zone of a gaze given relative to straight ahead."""
        mirrored = self.settings.drive_side == "right"
        y = -yaw if mirrored else yaw
        for rule in self.settings.rules:
            if rule.contains(y, pitch):
                return _SWAP_SIDES.get(rule.zone, rule.zone) if mirrored else rule.zone
        return GazeZone.UNKNOWN

    def classify(self, face) -> ZoneResult:
        s = self.settings
        if s.learn_straight_ahead and len(self._first_gazes) < s.bootstrap_frames:
            self._bootstrap(face.gaze_yaw, face.gaze_pitch)
        yaw = face.gaze_yaw - self.straight_yaw
        pitch = face.gaze_pitch - self.straight_pitch
        if s.learn_straight_ahead and abs(yaw) < s.learning_gate and abs(pitch) < s.learning_gate:
            self.straight_yaw += s.learning_rate * yaw
            self.straight_pitch += s.learning_rate * pitch
        zone = self.zone_of(yaw, pitch)
        return ZoneResult(zone, eyes_on_road(zone), yaw, pitch)

    def _bootstrap(self, yaw: float, pitch: float) -> None:
        """Straight ahead = median of the gazes seen so far (drivers look at the road most of the time)."""
        self._first_gazes.append((yaw, pitch))
        yaws = sorted(g[0] for g in self._first_gazes)
        pitches = sorted(g[1] for g in self._first_gazes)
        mid = len(yaws) // 2
        self.straight_yaw, self.straight_pitch = yaws[mid], pitches[mid]
