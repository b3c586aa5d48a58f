"""The frame pipeline on real dev pictures: signals per frame, no face, two faces, dark lenses."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.evaluation.runner import decoded_pictures
from edge.vision.pipeline import VisionPipeline, VisionSettings

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def picture(zju_dataset) -> np.ndarray:
    return next(img for i, img in decoded_pictures(zju_dataset / "clips/2/000001M_FNN.avi") if i == 5)


@pytest.fixture()
def pipeline() -> VisionPipeline:
    return VisionPipeline()


def test_face_gives_eye_state_gaze_and_timings(pipeline, picture):
    s = pipeline.process(picture, 0.5, 5)
    assert s.face_found and s.eyes_measurable and s.faces == 1
    assert (s.t, s.frame_index) == (0.5, 5)
    assert s.eyes_closed is False and 0.0 <= s.closure < 0.3
    assert 0.15 < s.openness_left < 0.35 and 0.15 < s.openness_right < 0.35
    assert s.gaze_zone is not None and s.head_yaw is not None
    assert {"landmarks", "iris", "signals", "total"} <= set(s.timings_ms)


def test_no_face_is_a_result_not_an_error(pipeline):
    s = pipeline.process(np.zeros((240, 320, 3), np.uint8), 1.0, 7)
    assert not s.face_found and not s.eyes_measurable and s.eyes_closed is None and s.closure is None
    assert s.frame_index == 7 and "signals" in s.timings_ms


def test_two_faces_pick_one_driver(pipeline, picture):
    s = pipeline.process(np.hstack([picture, picture]), 0.0, 0)
    assert s.face_found and s.faces == 2 and s.eyes_measurable


def test_dark_lenses_make_the_eyes_unmeasurable(pipeline, picture):
    face = VisionPipeline().face_mesh.process(picture)
    shaded = picture.copy()
    for eye in (face.left_eye, face.right_eye):
        cx, cy = eye.contour[:16].mean(axis=0)
        w = np.ptp(eye.contour[:16, 0])
        cv2.ellipse(shaded, (int(cx), int(cy)), (int(w * 0.9), int(w * 0.6)), 0, 0, 360, (25, 25, 25), -1)
    s = pipeline.process(shaded, 0.0, 0)
    assert s.face_found and not s.eyes_measurable and s.eyes_closed is None and s.closure is None


def test_checks_can_be_switched_off_and_settings_reject_unknown_keys(picture):
    from pydantic import ValidationError

    s = VisionPipeline(VisionSettings(check_dark_lenses=False)).process(picture, 0.0, 0)
    assert s.eyes_measurable
    with pytest.raises(ValidationError):
        VisionSettings(eyes={"closed_onn": 0.5})


def test_reset_forgets_the_driver(pipeline, picture):
    for i in range(10):
        pipeline.process(picture, i / 30, i)
    assert pipeline.eyes.baseline() > 0.15
    pipeline.reset()
    assert pipeline.eyes.baseline() is None


class _CountingEyeModel:
    def __init__(self, logits):
        self.logits, self.calls = logits, 0

    def closed_logits(self, image, face):
        self.calls += 1
        return self.logits


@pytest.mark.parametrize("fps", [10.0, 30.0])
def test_a_steady_open_eye_asks_the_model_only_every_refresh(picture, fps):
    """A wide-open, steady eye: the model runs about once per model_refresh_s (in seconds, whatever the
    frame rate) once the driver's warm-up is over (in it the model decides alone, on every frame); an eye
    the model is not sure of is looked at on every frame."""
    settings = VisionSettings()
    face = VisionPipeline(settings).face_mesh.process(picture)
    for logits, expected in (((-8.0, -8.0), "refresh"), ((1.0, 1.0), "every")):
        model = _CountingEyeModel(logits)
        pipeline = VisionPipeline(settings, face_mesh=lambda: None, eye_model=model)
        frames = int(3 * fps)
        for i in range(frames):
            pipeline.process_face(face, i / fps, i, picture)
        if expected == "every":
            assert model.calls == frames
        else:
            per_s, warmup = 1 / settings.eyes.model_refresh_s, settings.eyes.warmup_s
            assert model.calls <= warmup * fps + 1 + (3 - warmup) * per_s + 2 and model.calls < frames
