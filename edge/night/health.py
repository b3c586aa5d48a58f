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

A dirty lens (a smear, grease, haze, condensation) still shows a scene, so it is told over the face
instead, after the face models, by `LensWatch`: the face box shrunk to 48x48 grey, its sharpness (mean
|Laplacian| over mean |Sobel gradient|: about one over the width of its edges, whatever the gain or the
contrast) and its contrast (grey-level spread over mean), each compared with this camera's own baseline
(learnt over the first seconds of face, kept apart for the lit and the unlit infrared illuminator, and
following slowly). A smear widens every edge (sharpness falls), haze lays a veil over the face
(contrast falls); a night infrared picture is grey, darker and grainier, which leaves the sharpness up
(grain) and the contrast near its level, and it has its own baseline when the illuminator lights it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import Field

from dms.settings import Settings
from edge.vision.eye_patch import to_gray

CAMERA_DARK, ILLUMINATOR_FAILURE, LENS_COVERED = "camera_dark", "illuminator_failure", "lens_covered"
LENS_DIRTY = "lens_dirty"


class DirtyLensSettings(Settings):
    """When the face, seen through the lens, has gone blurred or hazy against this camera's own baseline."""

    enabled: bool = Field(True, description="Watch the face's sharpness and contrast for a dirty lens.")
    learn_s: float = Field(
        2.0,
        gt=0,
        le=60,
        description="Seconds of face (checked every recheck_s) whose median sets the camera's baseline; "
        "before it is learnt nothing is called dirty.",
    )
    follow_s: float = Field(
        300.0,
        gt=0,
        le=86400,
        description="Time constant with which the baseline follows clean readings afterwards "
        "(readings under the dirty marks never move it).",
    )
    sharpness_drop: float = Field(
        0.7,
        gt=0,
        lt=1,
        description="The face's sharpness under this share of the baseline reads as smeared "
        "(a 2-pixel blur at 320x240 brings it to about 0.65, 3 pixels to 0.5).",
    )
    contrast_drop: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="The face's contrast under this share of the baseline reads as hazy (a veil "
        "of half the light brings it to about 0.3).",
    )
    hold_s: float = Field(
        2.0,
        ge=0,
        le=30,
        description="Readings must stay dirty this long before the lens is called dirty (a head "
        "turn or a moment of motion blur is not); as long clean to call it clean again.",
    )
    min_face_px: int = Field(
        40, ge=16, le=1000, description="A face box narrower than this (pixels) is not read (too few pixels)."
    )


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
    dirty_lens: DirtyLensSettings = Field(
        default_factory=DirtyLensSettings,
        description="A smeared or hazy lens, told over the face against the camera's own baseline.",
    )


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


@dataclass(frozen=True, slots=True)
class Clarity:
    sharpness: float
    """Mean |Laplacian| over mean |Sobel gradient| of the face at 48x48: about 1 / edge width."""
    contrast: float
    """Grey-level spread over the mean grey level of the face."""


def face_clarity(image: np.ndarray, face_box: tuple[float, float, float, float]) -> Clarity | None:
    """How sharp and how contrasted the face is (None: the box holds no pixels)."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in face_box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    crop = to_gray(image[y0:y1, x0:x1])
    face = cv2.resize(crop, (48, 48), interpolation=cv2.INTER_AREA).astype(np.float32)
    lap = float(np.abs(cv2.Laplacian(face, cv2.CV_32F)).mean())
    grad = float(
        np.abs(cv2.Sobel(face, cv2.CV_32F, 1, 0)).mean() + np.abs(cv2.Sobel(face, cv2.CV_32F, 0, 1)).mean()
    )
    mean = float(face.mean())
    return Clarity(lap / grad if grad > 1e-6 else 0.0, float(face.std()) / mean if mean > 1e-6 else 0.0)


class LensWatch:
    """`update(image, face_box, t, lit)` -> whether the lens reads dirty (see the module doc): readings
    every `recheck_s` of frame time, a baseline per illuminator state (lit / not), the verdict changed
    after `hold_s` of readings that say otherwise. Without a face (or too small a one) the verdict holds."""

    def __init__(self, settings: CameraHealthSettings | None = None):
        self.s = settings or CameraHealthSettings()
        self.dirty = False
        self.last: Clarity | None = None
        self._learning: dict[bool, list[Clarity]] = {False: [], True: []}
        self._baseline: dict[bool, Clarity] = {}
        self._checked_t: float | None = None
        self._other_since: float | None = None  # readings saying the opposite of the verdict since then

    def baseline(self, lit: bool = False) -> Clarity | None:
        return self._baseline.get(lit)

    def update(
        self,
        image: np.ndarray | None,
        face_box: tuple[float, float, float, float] | None,
        t: float,
        lit: bool,
    ) -> bool:
        d = self.s.dirty_lens
        if not d.enabled or image is None or face_box is None or face_box[2] - face_box[0] < d.min_face_px:
            return self.dirty
        checked = self._checked_t
        if checked is not None and 0 <= t - checked < self.s.recheck_s:
            return self.dirty
        dt = 0.0 if checked is None or t < checked else t - checked
        self._checked_t = t
        now = face_clarity(image, face_box)
        if now is None:
            return self.dirty
        self.last = now
        base = self._baseline.get(lit)
        if base is None:
            learning = self._learning[lit]
            learning.append(now)
            if len(learning) * max(self.s.recheck_s, 1 / 30) >= d.learn_s:
                self._baseline[lit] = Clarity(
                    float(np.median([c.sharpness for c in learning])),
                    float(np.median([c.contrast for c in learning])),
                )
                learning.clear()
            return self.dirty
        reads_dirty = (
            now.sharpness < d.sharpness_drop * base.sharpness
            or now.contrast < d.contrast_drop * base.contrast
        )
        if not reads_dirty:
            k = min(1.0, dt / d.follow_s)
            self._baseline[lit] = Clarity(
                base.sharpness + k * (now.sharpness - base.sharpness),
                base.contrast + k * (now.contrast - base.contrast),
            )
        if reads_dirty == self.dirty:
            self._other_since = None
        elif self._other_since is None or t < self._other_since:
            self._other_since = t
        if self._other_since is not None and t - self._other_since >= d.hold_s:
            self.dirty, self._other_since = reads_dirty, None
        return self.dirty
