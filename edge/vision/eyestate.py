"""Eye openness from the landmarks, and an eye-closure decision that adapts to the driver.

Openness of one eye is the mean gap between the upper and lower eyelid of the iris model's dense
16-point lid contour, divided by the eye's width (corner to corner): a dense "eye aspect ratio".
How open "open" is differs a lot between people, head poses and cameras (a fixed threshold on it is
fragile), so closure is measured against a running open-eye baseline of this driver: a high
percentile of recent openness, updated only from frames that look open and confidently measured.

    closure = (1 - openness / baseline) / (1 - CLOSED_RATIO), clipped to 0..1

0 = as open as this driver usually is, 1 = lids together. The closed decision uses hysteresis on it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from pydantic import Field

from dms.settings import Settings

# The iris model's eye contour starts with the lids: 9 lower-lid points from one corner to the
# other, then the 7 upper-lid points between the corners, in the same direction (MediaPipe's
# update_face_landmarks_calculator). Pairs of (lower, upper) points facing each other:
LOWER_LID = np.arange(1, 8)
UPPER_LID = np.arange(9, 16)
CORNERS = (0, 8)

CLOSED_RATIO = 0.25
"""openness / baseline when the lids touch: the contour model never collapses to a zero gap."""


class EyeLandmarks(Protocol):
    contour: np.ndarray
    """(71, 2) image px; the first 16 points are the lids."""


class FaceLandmarks(Protocol):
    left_eye: EyeLandmarks
    right_eye: EyeLandmarks


class EyeStateSettings(Settings):
    """How eye closure is judged against this driver's own open-eye level."""

    baseline_window_s: float = Field(30.0, gt=0, description="Seconds of history for the open-eye baseline.")
    baseline_percentile: float = Field(80.0, gt=0, lt=100,
                                       description="Percentile of recent openness taken as 'open' (blinks sit below).")
    prior_openness: float = Field(0.30, gt=0,
                                  description="Typical open-eye openness, used until the driver's own history builds up.")
    prior_frames: int = Field(15, ge=1, description="Number of measured frames after which the prior no longer counts.")
    closed_on: float = Field(0.70, ge=0, le=1, description="Closure at which the eyes count as closed.")
    closed_off: float = Field(0.60, ge=0, le=1, description="Closure below which closed eyes count as open again.")
    baseline_max_closure: float = Field(0.35, ge=0, le=1,
                                        description="Frames more closed than this do not update the baseline.")
    min_eye_width_px: float = Field(6.0, gt=0, description="Narrower eyes are too small to judge.")
    min_width_ratio: float = Field(0.6, gt=0, le=1,
                                   description="An eye narrower than this share of the other one is turned away: "
                                               "judge by the other eye alone.")


@dataclass(frozen=True, slots=True)
class EyeState:
    """Eye state of one frame."""

    measurable: bool
    closure: float | None = None
    closed: bool | None = None
    openness: float | None = None
    """Combined openness of the eyes used (the value compared against the baseline)."""
    openness_left: float | None = None
    openness_right: float | None = None
    baseline: float | None = None


def eye_width(contour: np.ndarray) -> float:
    a, b = contour[CORNERS[0]], contour[CORNERS[1]]
    return float(np.hypot(*(a - b)))


def lid_openness(contour: np.ndarray) -> float | None:
    """Mean upper-to-lower lid gap over eye width; None when the contour is degenerate."""
    c = np.asarray(contour, dtype=np.float64)
    if c.shape[0] < 16 or not np.isfinite(c[:16]).all():
        return None
    width = eye_width(c)
    if width <= 0:
        return None
    gaps = np.hypot(*(c[UPPER_LID] - c[LOWER_LID]).T)
    return float(gaps.mean() / width)


def combine_eyes(left: float | None, right: float | None, width_l: float, width_r: float,
                 s: EyeStateSettings) -> float | None:
    """One openness for the frame: both eyes averaged, or the one eye that faces the camera."""
    usable = []
    widest = max(width_l, width_r)
    for value, width in ((left, width_l), (right, width_r)):
        if value is not None and width >= s.min_eye_width_px and width >= s.min_width_ratio * widest:
            usable.append(value)
    return float(np.mean(usable)) if usable else None


class EyeStateEstimator:
    """Feed one face per frame (with its capture time); keeps this driver's open-eye baseline."""

    def __init__(self, settings: EyeStateSettings | None = None):
        self.settings = settings or EyeStateSettings()
        self.reset()

    def reset(self) -> None:
        self._history: deque[tuple[float, float]] = deque()
        self._closed = False

    def baseline(self) -> float:
        s = self.settings
        if not self._history:
            return s.prior_openness
        observed = float(np.percentile([v for _, v in self._history], s.baseline_percentile))
        n = min(len(self._history), s.prior_frames)
        return (n * observed + (s.prior_frames - n) * s.prior_openness) / s.prior_frames

    def update(self, face: FaceLandmarks | None, t: float, measurable: bool = True) -> EyeState:
        """Eye state for the frame captured at `t`; `measurable=False` when the caller saw the eyes hidden."""
        if face is None:
            return EyeState(measurable=False)
        left, right = face.left_eye.contour, face.right_eye.contour
        o_l, o_r = lid_openness(left), lid_openness(right)
        openness = combine_eyes(o_l, o_r, eye_width(left), eye_width(right), self.settings) if measurable else None
        if openness is None:
            return EyeState(measurable=False, openness_left=o_l, openness_right=o_r)
        return self.update_openness(openness, t, o_l, o_r)

    def update_openness(self, openness: float, t: float,
                        openness_left: float | None = None, openness_right: float | None = None) -> EyeState:
        """The decision part alone, from a combined openness value (synthetic sequences, replays)."""
        s = self.settings
        base = self.baseline()
        closure = float(np.clip((1.0 - openness / base) / (1.0 - CLOSED_RATIO), 0.0, 1.0))
        self._closed = closure >= (s.closed_off if self._closed else s.closed_on)
        # Closed frames stay out of the baseline (a long closure must not become "open"), except while
        # the history is young: a prior far off for this driver must not lock the baseline out.
        if closure <= s.baseline_max_closure or len(self._history) < s.prior_frames:
            self._history.append((t, openness))
        # Old samples go only when newer ones replace them: through a long closure, the last known open
        # level stays the reference instead of fading away.
        while len(self._history) > s.prior_frames and self._history[0][0] < t - s.baseline_window_s:
            self._history.popleft()
        return EyeState(measurable=True, closure=closure, closed=self._closed, openness=openness,
                        openness_left=openness_left, openness_right=openness_right, baseline=base)


DARK_LENS_RATIO = 0.35
"""Eye opening darker than this share of the face's median brightness: behind a dark lens."""


def _eye_brightness(gray: np.ndarray, contour: np.ndarray) -> float | None:
    """Mean grey level inside the lid contour (None when it lies outside the picture)."""
    import cv2

    pts = np.round(np.asarray(contour[:16], dtype=np.float64)).astype(np.int32)
    x0, y0 = np.maximum(pts.min(axis=0), 0)
    x1, y1 = np.minimum(pts.max(axis=0) + 1, (gray.shape[1], gray.shape[0]))
    if x1 - x0 < 2 or y1 - y0 < 1:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [pts - (x0, y0)], 1)
    if not mask.any():
        return None
    return float(gray[y0:y1, x0:x1][mask > 0].mean())


def eyes_visible(image_bgr: np.ndarray, face: FaceLandmarks) -> bool:
    """False when both eye openings are far darker than the face: dark sunglasses (or a hand, a cap's shade).

    Open or closed, a visible eye shows sclera or lid skin about as bright as the rest of the face;
    a dark lens is uniformly much darker. Landmarks alone cannot tell: the models still place eyes.
    """
    import cv2

    pts = np.asarray(face.landmarks)[:, :2]
    x0, y0 = np.maximum(np.floor(pts.min(axis=0)).astype(int), 0)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + 1
    patch = image_bgr[y0:y1, x0:x1]  # grey conversion of the face box only: cheap on big frames
    if patch.size == 0:
        return False
    gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) if patch.ndim == 3 else patch
    face_level = float(np.median(gray))
    if face_level <= 1.0:
        return False  # black picture: nothing to judge
    eyes = (_eye_brightness(gray, np.asarray(e.contour)[:16, :2] - (x0, y0)) for e in (face.left_eye, face.right_eye))
    return any(b is not None and b >= DARK_LENS_RATIO * face_level for b in eyes)
