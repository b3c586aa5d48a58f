"""Night driving parts of one run, driven by frame times only: picture health, illuminator, exposure.

`NightControl` is a plain object the runtime calls per frame:
- `check(image, t)` before the face models: the reason the picture cannot be measured, or None;
- `mark(signals, image)` after them: the frame's signals with `lens_dirty` set while the face reads
  smeared or hazy against this camera's baseline (edge.night.health.LensWatch);
- `update(t, monitoring, image, face_box)` after the policy: the illuminator is lit only while the
  policy monitors (the vehicle above the monitoring speed), each lit frame is a strobe pulse of the
  current exposure, and the face-weighted exposure loop adjusts the camera when one is attached;
- `close()` at the end of the run: the illuminator goes dark.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from edge.night.health import CameraHealthSettings, LensWatch, PictureHealth
from edge.night.illuminator import Illuminator
from edge.sources.exposure import Exposure, FaceExposure, FaceExposureSettings, face_level


class NightControl:
    def __init__(
        self,
        health: CameraHealthSettings | None = None,
        illuminator: Illuminator | None = None,
        exposure: FaceExposureSettings | None = None,
        start_exposure_us: float | None = None,
        start_gain: float | None = None,
    ):
        health = health or CameraHealthSettings()
        self.health = PictureHealth(health) if health.enabled else None
        self.lens = LensWatch(health) if health.enabled and health.dirty_lens.enabled else None
        self.illuminator = illuminator
        self.exposure_us = start_exposure_us
        self.loop = None
        if exposure is not None:
            start = None if start_exposure_us is None else Exposure(start_exposure_us, start_gain or 1.0)
            self.loop = FaceExposure(exposure, start)
            self.exposure_us = self.loop.current.exposure_us
        self.camera: Any = None
        """The frame source, when it can take `set_exposure(exposure_us, gain)`."""
        self.last_health = None
        self._checked_t: float | None = None

    def attach_camera(self, source: Any) -> None:
        """Let the face-weighted exposure drive this source (ignored when it has no manual exposure)."""
        if hasattr(source, "set_exposure"):
            self.camera = source
            if self.loop is not None:
                source.set_exposure(self.loop.current.exposure_us, self.loop.current.gain)

    @property
    def illuminator_state(self) -> str | None:
        return None if self.illuminator is None else self.illuminator.state

    def check(self, image: np.ndarray | None, t: float) -> str | None:
        """Why the picture taken at `t` cannot be measured (None: it can); the last verdict is reused
        for `recheck_s` after it was made."""
        if self.health is None or image is None:
            return None
        checked = self._checked_t
        if checked is None or not 0 <= t - checked < self.health.s.recheck_s:
            lit = self.illuminator is not None and self.illuminator.lit
            self.last_health, self._checked_t = self.health.check(image, illuminated=lit), t
        return self.last_health.problem

    def mark(self, signals: Any, image: np.ndarray | None) -> Any:
        """This frame's `FrameSignals` with `lens_dirty` set while the lens reads dirty over the face."""
        if self.lens is None:
            return signals
        lit = self.illuminator is not None and self.illuminator.lit
        face = signals.face_box if signals.face_found else None
        dirty = self.lens.update(image, face, signals.t, lit)
        return replace(signals, lens_dirty=True) if dirty else signals

    def update(
        self,
        t: float,
        monitoring: bool,
        image: np.ndarray | None = None,
        face_box: tuple[float, float, float, float] | None = None,
    ) -> None:
        if self.illuminator is not None:
            self.illuminator.switch(t, monitoring)
            self.illuminator.pulse(t, self.exposure_us)
        if self.loop is None or self.camera is None or image is None:
            return
        change = self.loop.update(face_level(image, face_box))
        if change is not None and self.camera.set_exposure(change.exposure_us, change.gain):
            self.exposure_us = change.exposure_us

    def close(self) -> None:
        if self.illuminator is not None:
            self.illuminator.close()
