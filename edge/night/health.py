"""Can the camera see at all? A picture-health check run before the face models.

With the infrared illuminator dead at night the picture is black, or, with the gain up, noise: the
face models would then "measure" noise. `PictureHealth` is a plain object: one picture in, a verdict
out (mean level, coarse structure, fine noise, and a reason when the picture is unusable):

- structure: the spread of the picture shrunk to 64x48 by area averaging. A cab lit by the
  illuminator shows a face, a seat, a headrest (tens of grey levels); pixel noise averages away.
- noise: the pixel-to-pixel noise (robust, from differences of neighbours on every 8th row).

No structure and dark or noisy: no light reaches the sensor (`illuminator_failure` when the illuminator
is meant to be lit, else `camera_dark`). No structure but bright and clean: something flat sits on the
lens (`lens_covered`: an infrared illuminator's own light comes back off a cover).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import Field

from dms.settings import Settings
from edge.vision.eye_patch import to_gray

CAMERA_DARK, ILLUMINATOR_FAILURE, LENS_COVERED = "camera_dark", "illuminator_failure", "lens_covered"


class CameraHealthSettings(Settings):
    """When a picture is too dark or too flat to measure a driver in."""

    enabled: bool = True
    """Check every camera picture before the face models (off: every picture goes to the models)."""
    dark_level: float = Field(12.0, ge=0, le=128)
    """Mean grey level (0-255) under which a picture is dark."""
    min_structure: float = Field(5.0, ge=0, le=64)
    """Least spread (grey levels) of the picture at 64x48 for it to show a scene."""
    recheck_s: float = Field(0.2, ge=0, le=2)
    """A verdict holds this long before the next picture is checked (0: every picture). The check costs
    about 0.3-0.5 ms on a 640x480 picture here, a tenth of the frame; an illuminator does not fail and
    come back faster, and `not_monitoring` waits seconds."""


@dataclass(frozen=True, slots=True)
class Health:
    mean: float
    structure: float
    noise: float
    problem: str | None
    """None: usable; else camera_dark, illuminator_failure or lens_covered."""

    @property
    def ok(self) -> bool:
        return self.problem is None


class PictureHealth:
    """`check(image, illuminated)` -> `Health` of one picture (BGR or grey)."""

    def __init__(self, settings: CameraHealthSettings | None = None):
        self.s = settings or CameraHealthSettings()

    def check(self, image: np.ndarray, illuminated: bool = False) -> Health:
        grey = to_gray(image)
        small = cv2.resize(grey, (64, 48), interpolation=cv2.INTER_AREA)
        mean, structure = float(small.mean()), float(small.std())
        rows = grey[::8].astype(np.int16)
        # median |difference of neighbours| = 0.954 sigma for Gaussian noise
        noise = float(np.median(np.abs(np.diff(rows, axis=1)))) / 0.954 if rows.shape[1] > 1 else 0.0
        problem = None
        if mean < self.s.dark_level or structure < self.s.min_structure:
            # flat and grainy (grain above what a scene would show): sensor noise, no light
            if mean < self.s.dark_level or noise >= max(structure, self.s.min_structure):
                problem = ILLUMINATOR_FAILURE if illuminated else CAMERA_DARK
            else:
                problem = LENS_COVERED
        return Health(round(mean, 2), round(structure, 2), round(noise, 2), problem)
