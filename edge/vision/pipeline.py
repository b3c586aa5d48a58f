"""One camera frame in, one `FrameSignals` out: face mesh -> eye state -> blinks -> gaze zone, mouth.

The pipeline is a plain object fed with pictures and their capture times; it never reads a clock for
its decisions (the per-stage timings it reports are measurements, not inputs). A frame without a
face gives `face_found=False`, never an exception.
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace
from typing import Any

import numpy as np
from pydantic import Field

from dms.errors import UserError
from dms.settings import Settings
from edge.signals import BlinkEvent, FrameSignals
from edge.vision.blinks import BlinkDetector, BlinkSettings
from edge.vision.eyestate import EyeStateEstimator, EyeStateSettings, eyes_visible
from edge.vision.facemesh import FaceMeshSettings
from edge.vision.gaze_zones import GazeZoneClassifier, GazeZoneSettings
from edge.vision.hands import HandSettings
from edge.vision.mouth import mouth_opening


class VisionSettings(Settings):
    """The frame pipeline: face mesh, eye closure, blinks and gaze zones."""

    face_mesh: FaceMeshSettings = Field(
        default_factory=FaceMeshSettings, description="Face detection, tracking and landmark models."
    )
    eyes: EyeStateSettings = Field(
        default_factory=EyeStateSettings,
        description="Eye openness and the driver-adaptive closure decision "
        "(needs the iris model: face_mesh.iris).",
    )
    blinks: BlinkSettings = Field(
        default_factory=BlinkSettings, description="When a closure counts as a blink."
    )
    check_dark_lenses: bool = Field(
        True, description="Treat eyes hidden behind dark lenses as not measurable."
    )
    dark_lens_recheck_s: float = Field(
        0.2,
        ge=0,
        le=5,
        description="The dark-lens verdict holds this long before the picture is "
        "checked again (glasses are not put on or off faster; the "
        "not-monitoring state waits seconds). 0 checks every frame.",
    )
    gaze: GazeZoneSettings = Field(
        default_factory=GazeZoneSettings, description="Cabin geometry for gaze zones."
    )
    hands: HandSettings = Field(
        default_factory=HandSettings, description="Hands near the face: the phone-use postures."
    )
    face_cut_share: float = Field(
        0.1,
        gt=0,
        le=1,
        description="A face with more than this share of its landmarks outside the picture is "
        "cut by the frame edge (camera badly aimed): its eyes are not measured.",
    )
    off_centre_share: float = Field(
        0.35,
        gt=0,
        le=0.5,
        description="A face whose centre lies further than this share of the picture's width or "
        "height from the picture's centre is off-centre (reported, still measured).",
    )


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


class VisionPipeline:
    """`process(image_bgr, t, index)` per frame in time order; `reset()` between unrelated streams."""

    def __init__(self, settings: VisionSettings | None = None, face_mesh: Any = None, eye_model: Any = None):
        """`face_mesh`: anything with `process(image_bgr) -> FaceResult | None` (default: the models);
        `eye_model`: anything with `closed_logits(image_bgr, face)` (default: the eye-state model when
        `eyes.use_model` is on; the default face mesh gets it too, for `face_mesh.iris_gate`, and its
        logits then serve the fusion)."""
        self.settings = settings or VisionSettings()
        if eye_model is None and self.settings.eyes.use_model:
            from edge.vision.eye_classifier import EyeClassifier

            eye_model = EyeClassifier(self.settings.face_mesh.backend)
        if face_mesh is None:
            from edge.vision.facemesh import FaceMesh

            # the face mesh runs the eye-state model itself to choose where the iris model runs (iris_gate)
            face_mesh = FaceMesh(self.settings.face_mesh, eye_model=eye_model)
        self.face_mesh = face_mesh
        self.eye_model = eye_model
        self.hands = None
        if self.settings.hands.enabled:
            from edge.vision.backends import litert_available
            from edge.vision.hands import HandWatch

            if not litert_available():
                raise UserError(
                    "phone-use detection (vision.hands) runs its palm model on LiteRT, which is not installed",
                    hint="pip install 'dms-fleet[litert]', or set vision.hands.enabled: false",
                )
            self.hands = HandWatch(self.settings.hands)
        self._lens_check: tuple[float, bool] | None = None  # (time, eyes visible) of the last dark-lens check
        self.gaze = GazeZoneClassifier(self.settings.gaze)
        self.eyes = EyeStateEstimator(self.settings.eyes)
        self.blinks = BlinkDetector(self.settings.blinks)
        self._last_face: tuple | None = None  # the last face frame's inputs, for `rejudge`
        # what depends only on the face model's landmarks, kept while the face mesh reuses them between
        # its runs (FaceMeshSettings.landmarks_every): (landmarks, picture size, framing, mouth opening)
        self._per_landmarks: tuple | None = None

    def reset(self) -> None:
        """A new stream: forget the driver, the blink in progress and the face tracking."""
        self.forget_driver()
        self.blinks.reset()
        if self.hands is not None:
            self.hands.reset()
        if hasattr(self.face_mesh, "reset"):
            self.face_mesh.reset()

    def forget_driver(self) -> None:
        """Another person may be in the seat (edge.session): forget what was learnt about the last one (eye
        levels, blink depths, straight-ahead gaze, the dark-lens verdict). The blink in progress and the
        face tracking go on: they follow the face now in view."""
        self.eyes.reset()
        self._lens_check = None
        self.gaze.reset()

    def finish(self) -> BlinkEvent | None:
        """End of stream: the blink still in progress, if any."""
        return self.blinks.finish()

    def process(self, image_bgr: np.ndarray, t: float, index: int) -> FrameSignals:
        start = time.perf_counter()
        face = self.face_mesh.process(image_bgr)
        timings = dict(getattr(face, "timings_ms", None) or {"face_mesh": _ms(start)})
        signals = self.process_face(face, t, index, image_bgr, timings)
        if self.hands is None:
            return signals
        pitch = signals.gaze_pitch if signals.gaze_pitch is not None else signals.head_pitch
        posture, ran = self.hands.update(
            image_bgr, t, signals.face_box if signals.face_found else None, pitch
        )
        if ran:
            signals.timings_ms["hands"] = self.hands.ms
        return replace(signals, phone_posture=posture) if posture is not None else signals

    def process_face(
        self,
        face: Any,
        t: float,
        index: int,
        image_bgr: np.ndarray | None = None,
        timings: dict[str, float] | None = None,
        closed_logits: tuple[float | None, float | None] | None = None,
    ) -> FrameSignals:
        """The stages after the face mesh (also used to replay cached face-mesh results; then
        `closed_logits` may bring the eye-state model's cached output, as the picture is not there)."""
        timings = dict(timings or {})
        start = time.perf_counter()
        if face is None:
            blink = self.blinks.update(t, index, None)
            timings["signals"] = _ms(start)
            return FrameSignals(
                t=t, frame_index=index, face_found=False, blink_ended=blink.ended, faces=0, timings_ms=timings
            )
        if closed_logits is None and getattr(face, "closed_logits", None) is not None:
            closed_logits = face.closed_logits  # the face mesh ran the model already (iris_gate)
        elif closed_logits is None and image_bgr is not None and self.eye_model is not None:

            @functools.cache
            def closed_logits() -> tuple[float | None, float | None]:  # run only if the estimator asks
                model_start = time.perf_counter()
                out = self.eye_model.closed_logits(image_bgr, face)
                timings["eye_model"] = _ms(model_start)
                return out

        self._last_face = (face, t, index, image_bgr, closed_logits, dict(vars(self.blinks)))
        return self._judge_face(face, t, index, image_bgr, timings, closed_logits, start)

    def rejudge(self, signals: FrameSignals) -> FrameSignals | None:
        """`signals`' frame judged again from its face (after `forget_driver`: with nothing learnt, as from
        a cold start), the blink detector as it was before it; None when `signals` is not the last face
        frame this pipeline judged or was judged again already (the eye levels learnt from it stay). A new
        driver noticed on a frame is so measured as from that frame, not with the levels of the last one."""
        last = self._last_face
        if last is None or (last[1], last[2]) != (signals.t, signals.frame_index) or not signals.face_found:
            return None
        face, t, index, image_bgr, closed_logits, blinks = last
        self._last_face = None
        vars(self.blinks).update(blinks)
        return self._judge_face(
            face, t, index, image_bgr, dict(signals.timings_ms or {}), closed_logits, time.perf_counter()
        )

    def _judge_face(
        self,
        face: Any,
        t: float,
        index: int,
        image_bgr: np.ndarray | None,
        timings: dict[str, float],
        closed_logits: Any,
        start: float,
    ) -> FrameSignals:
        visible = True
        if self.settings.check_dark_lenses and image_bgr is not None:
            checked = self._lens_check
            if checked is None or not 0 <= t - checked[0] < self.settings.dark_lens_recheck_s:
                checked = self._lens_check = (t, eyes_visible(image_bgr, face))
            visible = checked[1]
        (cut, off_centre), mouth = self._landmark_measures(face, image_bgr)
        eye = self.eyes.update(face, t, measurable=visible and not cut, closed_logits=closed_logits)
        blink = self.blinks.update(t, index, eye.blink_closure)
        if hasattr(self.face_mesh, "settle"):  # the iris gate holds an eye's iris only while both are open
            self.face_mesh.settle(eye)
        zone = self.gaze.classify(face)
        timings["signals"] = _ms(start)
        return FrameSignals(
            t=t,
            frame_index=index,
            face_found=True,
            eyes_measurable=eye.measurable,
            eyes_closed=eye.closed,
            closure=eye.closure,
            openness_left=eye.openness_left,
            openness_right=eye.openness_right,
            blink_id=blink.blink_id,
            blink_ended=blink.ended,
            head_yaw=face.head_yaw,
            head_pitch=face.head_pitch,
            head_roll=face.head_roll,
            gaze_yaw=face.gaze_yaw,
            gaze_pitch=face.gaze_pitch,
            gaze_zone=zone.zone.value,
            eyes_on_road=zone.eyes_on_road,
            mouth_open=mouth,
            faces=face.faces,
            eyes_warming_up=bool(eye.warming_up),
            eyes_closed_by_model=eye.model_closed,
            face_landmarks=getattr(face, "landmarks", None),
            face_box=getattr(face, "box", None),
            eyes_hidden=not visible,
            face_cut=cut,
            face_off_centre=off_centre,
            timings_ms=timings,
        )

    def _landmark_measures(
        self, face: Any, image_bgr: np.ndarray | None
    ) -> tuple[tuple[bool, bool], float | None]:
        """(framing, mouth opening) of the face's landmarks; computed again only for new landmarks."""
        pts = getattr(face, "landmarks", None)
        size = None if image_bgr is None else image_bgr.shape[:2]
        kept = self._per_landmarks
        if kept is not None and kept[0] is pts and pts is not None and kept[1] == size:
            return kept[2], kept[3]
        framing, mouth = self._framing(face, image_bgr), mouth_opening(pts)
        self._per_landmarks = (pts, size, framing, mouth)
        return framing, mouth

    def _framing(self, face: Any, image_bgr: np.ndarray | None) -> tuple[bool, bool]:
        """(cut by the picture's edge, off-centre) from the face's landmarks and the picture size."""
        pts = getattr(face, "landmarks", None)
        if image_bgr is None or pts is None:
            return False, False
        h, w = image_bgr.shape[:2]
        xy = np.asarray(pts)[:, :2]
        outside = (xy[:, 0] < 0) | (xy[:, 0] >= w) | (xy[:, 1] < 0) | (xy[:, 1] >= h)
        cut = float(outside.mean()) > self.settings.face_cut_share
        cx, cy = xy.mean(axis=0)
        share = self.settings.off_centre_share
        off = abs(cx / w - 0.5) > share or abs(cy / h - 0.5) > share
        return cut, bool(off)
