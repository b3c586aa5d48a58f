"""One camera frame in, one `FrameSignals` out: face mesh -> eye state -> blinks -> gaze zone, mouth.

The pipeline is a plain object fed with pictures and their capture times; it never reads a clock for
its decisions (the per-stage timings it reports are measurements, not inputs). A frame without a
face gives `face_found=False`, never an exception.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
from pydantic import Field

from dms.settings import Settings
from edge.signals import BlinkEvent, FrameSignals
from edge.vision.blinks import BlinkDetector, BlinkSettings
from edge.vision.eyestate import EyeStateEstimator, EyeStateSettings, eyes_visible
from edge.vision.facemesh import FaceMeshSettings
from edge.vision.gaze_zones import GazeZoneClassifier, GazeZoneSettings
from edge.vision.mouth import mouth_opening


class VisionSettings(Settings):
    """The frame pipeline: face mesh, eye closure, blinks and gaze zones."""

    face_mesh: FaceMeshSettings = Field(default_factory=FaceMeshSettings,
                                        description="Face detection, tracking and landmark models.")
    eyes: EyeStateSettings = Field(default_factory=EyeStateSettings,
                                   description="Eye openness and the driver-adaptive closure decision "
                                               "(needs the iris model: face_mesh.iris).")
    blinks: BlinkSettings = Field(default_factory=BlinkSettings, description="When a closure counts as a blink.")
    check_dark_lenses: bool = Field(True, description="Treat eyes hidden behind dark lenses as not measurable.")
    gaze: GazeZoneSettings = Field(default_factory=GazeZoneSettings, description="Cabin geometry for gaze zones.")


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


class VisionPipeline:
    """`process(image_bgr, t, index)` per frame in time order; `reset()` between unrelated streams."""

    def __init__(self, settings: VisionSettings | None = None, face_mesh: Any = None):
        """`face_mesh`: anything with `process(image_bgr) -> FaceResult | None` (default: the models)."""
        self.settings = settings or VisionSettings()
        if face_mesh is None:
            from edge.vision.facemesh import FaceMesh
            face_mesh = FaceMesh(self.settings.face_mesh)
        self.face_mesh = face_mesh
        self.gaze = GazeZoneClassifier(self.settings.gaze)
        self.eyes = EyeStateEstimator(self.settings.eyes)
        self.blinks = BlinkDetector(self.settings.blinks)

    def reset(self) -> None:
        """Forget the driver: eye levels, blink in progress, learnt straight-ahead gaze, face tracking."""
        self.eyes.reset()
        self.blinks.reset()
        self.gaze.reset()
        if hasattr(self.face_mesh, "reset"):
            self.face_mesh.reset()

    def finish(self) -> BlinkEvent | None:
        """End of stream: the blink still in progress, if any."""
        return self.blinks.finish()

    def process(self, image_bgr: np.ndarray, t: float, index: int) -> FrameSignals:
        start = time.perf_counter()
        face = self.face_mesh.process(image_bgr)
        timings = dict(getattr(face, "timings_ms", None) or {"face_mesh": _ms(start)})
        return self.process_face(face, t, index, image_bgr, timings)

    def process_face(self, face: Any, t: float, index: int, image_bgr: np.ndarray | None = None,
                     timings: dict[str, float] | None = None) -> FrameSignals:
        """The stages after the face mesh (also used to replay cached face-mesh results)."""
        timings = dict(timings or {})
        start = time.perf_counter()
        if face is None:
            blink = self.blinks.update(t, index, None)
            timings["signals"] = _ms(start)
            return FrameSignals(t=t, frame_index=index, face_found=False, blink_ended=blink.ended,
                                faces=0, timings_ms=timings)
        visible = True
        if self.settings.check_dark_lenses and image_bgr is not None:
            visible = eyes_visible(image_bgr, face)
        eye = self.eyes.update(face, t, measurable=visible)
        blink = self.blinks.update(t, index, eye.closure)
        zone = self.gaze.classify(face)
        timings["signals"] = _ms(start)
        return FrameSignals(
            t=t, frame_index=index, face_found=True, eyes_measurable=eye.measurable,
            eyes_closed=eye.closed, closure=eye.closure,
            openness_left=eye.openness_left, openness_right=eye.openness_right,
            blink_id=blink.blink_id, blink_ended=blink.ended,
            head_yaw=face.head_yaw, head_pitch=face.head_pitch, head_roll=face.head_roll,
            gaze_yaw=face.gaze_yaw, gaze_pitch=face.gaze_pitch,
            gaze_zone=zone.zone.value, eyes_on_road=zone.eyes_on_road,
            mouth_open=mouth_opening(getattr(face, "landmarks", None)), faces=face.faces, timings_ms=timings)
