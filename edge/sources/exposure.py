"""Face-weighted exposure: keep the driver's face, not the bright window behind it, well exposed.

A camera's own auto exposure meters the whole picture: a sunlit side window or oncoming headlights
darken the face until the eyes cannot be read. `FaceExposure` is a plain object fed, per frame, the
face box (or None) and the picture; it meters the face (without a face: the middle of the picture,
where the driver sits) and returns the exposure time and gain to set, or None to leave them. Exposure
time goes up first (to `max_exposure_us`, short enough for a pulsed illuminator and no motion blur),
then the gain; going down, the gain comes off first. Steps are damped so it never oscillates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator

from dms.settings import Settings


class FaceExposureSettings(Settings):
    """Targets and limits of the face-weighted exposure loop."""

    target_level: float = Field(110.0, ge=20, le=235)
    """Mean grey level (0-255) wanted on the face."""
    tolerance: float = Field(0.15, ge=0.02, le=0.5)
    """No change while the face's level is within this share of the target."""
    min_exposure_us: int = Field(100, ge=10, le=100_000)
    max_exposure_us: int = Field(8000, ge=10, le=200_000)
    """Longest exposure: about 8 ms keeps a turning head sharp and fits an illuminator's pulse."""
    min_gain: float = Field(1.0, ge=1.0, le=16.0)
    max_gain: float = Field(8.0, ge=1.0, le=16.0)
    max_step: float = Field(2.0, gt=1.0, le=8.0)
    """At most this factor of brightness change per adjustment."""
    damping: float = Field(0.6, gt=0, le=1.0)
    """Share of the needed (logarithmic) correction applied per adjustment."""

    @model_validator(mode="after")
    def _ordered(self) -> FaceExposureSettings:
        if self.min_exposure_us > self.max_exposure_us or self.min_gain > self.max_gain:
            raise ValueError("min_exposure_us <= max_exposure_us and min_gain <= max_gain are required")
        return self


@dataclass(frozen=True, slots=True)
class Exposure:
    exposure_us: float
    gain: float


def face_level(image: np.ndarray, box: tuple[float, float, float, float] | None) -> float | None:
    """Mean grey level of the face box (the picture's middle third without a face); None if empty."""
    h, w = image.shape[:2]
    if box is None:
        x0, y0, x1, y1 = w / 3, h / 4, 2 * w / 3, 3 * h / 4
    else:
        x0, y0, x1, y1 = box
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    x1, y1 = min(math.ceil(x1), w), min(math.ceil(y1), h)
    patch = image[y0:y1:2, x0:x1:2]  # every other pixel: plenty for a mean
    if patch.size == 0:
        return None
    if patch.ndim == 3:  # BGR: the luma weights
        patch = patch[..., 0] * 0.114 + patch[..., 1] * 0.587 + patch[..., 2] * 0.299
    return float(patch.mean())


class FaceExposure:
    """`update(level)` per frame with the metered level -> a new `Exposure` to apply, or None."""

    def __init__(self, settings: FaceExposureSettings | None = None, start: Exposure | None = None):
        self.s = settings or FaceExposureSettings()
        self.current = start or Exposure(min(4000, self.s.max_exposure_us), self.s.min_gain)

    def update(self, level: float | None) -> Exposure | None:
        s = self.s
        if level is None:
            return None
        level = max(level, 1.0)  # a black picture: step up as far as allowed
        if abs(level - s.target_level) <= s.tolerance * s.target_level:
            return None
        want = (s.target_level / level) ** s.damping
        want = min(max(want, 1 / s.max_step), s.max_step)
        total = self.current.exposure_us * self.current.gain * want
        exposure = min(max(total / s.min_gain, s.min_exposure_us), s.max_exposure_us)
        gain = min(max(total / exposure, s.min_gain), s.max_gain)
        new = Exposure(round(exposure), round(gain, 2))
        if new == self.current:
            return None  # at a limit: nothing more to do
        self.current = new
        return new
