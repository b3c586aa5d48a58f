"""The per-frame measurements that flow from the vision pipeline into the driver-state policy.

This is the seam between `edge.vision` (producer) and `edge.policy` (consumer). It is a plain value
with an explicit timestamp, so policy tests and replays feed synthetic or recorded sequences with
fake time, exactly as a camera would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class BlinkEvent:
    """One completed blink (or longer closure), on the source timeline."""

    blink_id: int
    start_t: float
    end_t: float
    start_frame: int
    end_frame: int

    @property
    def duration_s(self) -> float:
        return self.end_t - self.start_t


@dataclass(frozen=True, slots=True)
class FrameSignals:
    """What one frame tells about the driver. `None` means "not measurable in this frame"."""

    t: float
    """Capture time, seconds on the source's timeline (clip start or device monotonic clock)."""
    frame_index: int
    face_found: bool
    eyes_measurable: bool = False
    """False when the face is found but the eyes cannot be judged (occlusion, dark sunglasses)."""
    eyes_closed: bool | None = None
    """Per-frame closure decision (adaptive to this driver); None when not measurable."""
    closure: float | None = None
    """0 = eyes as open as this driver's baseline, 1 = fully closed (PERCLOS uses >= 0.8)."""
    openness_left: float | None = None
    """Raw per-eye openness measure (eye aspect ratio of the 16-point contour)."""
    openness_right: float | None = None
    blink_id: int = -1
    """Id of the blink this frame belongs to, -1 outside a blink (assigned once the blink is confirmed)."""
    blink_ended: BlinkEvent | None = None
    """Set on the frame at which a blink was confirmed finished."""
    head_yaw: float | None = None
    """Degrees; positive = driver turns to their left (camera's right). Relative to the camera axis."""
    head_pitch: float | None = None
    """Degrees; positive = looking up."""
    head_roll: float | None = None
    gaze_yaw: float | None = None
    """Degrees, combined head + eye direction, same sign convention as head_yaw."""
    gaze_pitch: float | None = None
    gaze_zone: str | None = None
    """One of dms.contract.GazeZone values; None when not measurable."""
    eyes_on_road: bool | None = None
    """True when the gaze zone is the road ahead or a driving-related one (mirrors, cluster)."""
    mouth_open: float | None = None
    """Inner-lip gap over mouth width (edge.vision.mouth): about 0 closed, >= 0.6 a wide yawn."""
    faces: int = 0
    """Number of faces detected (the driver is the largest/most central one)."""
    eyes_warming_up: bool = False
    """The eye levels of this driver are not learnt yet (EyeStateSettings.warmup_s): a driver state may be
    raised only from `eyes_closed_by_model`, not from `eyes_closed` / `closure`, which use the levels."""
    eyes_closed_by_model: bool | None = None
    """In the warm-up: closed according to the person-independent eye-state model alone."""
    face_landmarks: Any = None
    """The (468, 3) face mesh of this frame, for the driver-session tracker (edge.session). It stays in the
    vehicle: never written out nor sent."""
    face_box: tuple[float, float, float, float] | None = None
    """The driver's face box (x0, y0, x1, y1) in picture pixels; what the face-weighted exposure meters."""
    camera_problem: str | None = None
    """Why the picture itself cannot be measured (edge.night.health: camera_dark, illuminator_failure,
    lens_covered); None when the picture is usable. Then nothing in it is measured (no face)."""
    phone_posture: str | None = None
    """A hand in a phone-use posture (edge.vision.hands): 'at_ear' or 'below_face' (with the gaze down);
    None when no hand is near the face or hands are not looked for."""
    eyes_hidden: bool = False
    """The face is found but its eyes are behind dark lenses (the dark-lens check): not measurable."""
    face_cut: bool = False
    """The face runs over the picture's edge (a badly aimed camera): its landmarks are not measured."""
    lens_dirty: bool = False
    """The lens reads smeared or hazy over the face against this camera's baseline (edge.night.health:
    LensWatch): the face may still be found, but its eyes are not measured."""
    face_off_centre: bool = False
    """The face lies far from the picture's centre (edge.vision.pipeline: aim); still measured."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Per-stage processing time of this frame, milliseconds (decode, detect, landmarks, iris, signals)."""
