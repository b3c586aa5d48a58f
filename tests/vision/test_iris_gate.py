"""The eye-state model gates the iris model (FaceMeshSettings.iris_gate): the iris runs where an eye's look
changed, is not surely open, or its result got old, and on both eyes while the last frame was not read as
plainly open (FaceMesh.settle); the logits go on to the eye-closure fusion."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from edge.vision.facemesh import FaceMesh, FaceMeshSettings
from edge.vision.pipeline import VisionPipeline, VisionSettings


@pytest.fixture(scope="module")
def frames():
    from tools.demo.sample_clip import sample_clip

    cap = cv2.VideoCapture(str(sample_clip(progress=False)))
    out = []
    while len(out) < 40:
        ok, frame = cap.read()
        if not ok:
            break
        out.append(frame)
    cap.release()
    return out


class _Looks:
    """A stand-in eye-state model: per call, the (right, left) logits of `script(call number)`."""

    def __init__(self, script):
        self.script, self.calls = script, 0

    def logits_at(self, image, corners):
        assert len(corners) in (1, 2) and all(np.shape(c) == (2, 2) for c in corners)
        self.calls += 1
        return list(self.script(self.calls))[: len(corners)]


OPEN = SimpleNamespace(measurable=True, closure=0.0)  # the estimator's verdict: plainly open
SHUT = SimpleNamespace(measurable=True, closure=0.9)


def _run(frames, eye_model, verdict=OPEN, **settings):
    """Per frame: the eyes that went through the iris model, and the face results. Before each frame the
    face mesh hears `verdict` about the one before (as the pipeline tells it)."""
    mesh = FaceMesh(
        FaceMeshSettings(**{"landmarks_every": 1, "iris_gate": True, **settings}), eye_model=eye_model
    )
    per_frame: list[int] = []
    model_run = mesh._iris_model.run

    def counting(batch):
        per_frame[-1] += len(batch)
        return model_run(batch)

    mesh._iris_model.run = counting
    results = []
    for frame in frames:
        per_frame.append(0)
        results.append(mesh.process(frame))
        mesh.settle(verdict)
    return per_frame, results


def test_surely_open_steady_eyes_refresh_only_at_the_age_limit(frames):
    runs, results = _run(frames, _Looks(lambda n: (-8.0, -8.0)), iris_gate_max_age=5, iris_refresh_px=64)
    assert runs[0] == 2 and runs[1] == 2  # a detection, then the gate learns both eyes' looks
    # from then on each eye runs once per 5 frames (both together: the ages stay in step)
    assert sum(runs[2:]) == 2 * ((len(frames) - 2) // 5)
    assert all(r.closed_logits == (-8.0, -8.0) for r in results[1:])
    assert results[0].closed_logits is None  # after a detection the pipeline asks the model itself


def test_an_eye_that_is_not_surely_open_runs_every_frame(frames):
    runs, _ = _run(frames, _Looks(lambda n: (0.5, -8.0)), iris_refresh_px=64)
    assert all(r >= 1 for r in runs)  # the right eye (logit above iris_gate_open_logit) on every frame
    assert sum(runs) < 2 * len(frames)  # the left one, surely open and steady, not


def test_a_change_of_look_runs_that_eye(frames):
    frame = [0]
    # the right eye's logit (surely open throughout) rises by 3 from frame 6 on; the left one holds
    model = _Looks(lambda n: (-8.0 + 3.0 * (frame[0] >= 6), -8.0))
    mesh = FaceMesh(
        FaceMeshSettings(landmarks_every=1, iris_gate=True, iris_refresh_px=64, iris_gate_max_age=30),
        eye_model=model,
    )
    ran: list[tuple[int, ...]] = []
    model_run = mesh._iris_model.run
    mesh._iris_model.run = lambda batch: (ran.append((frame[0], len(batch))), model_run(batch))[1]
    for frame[0], picture in enumerate(frames[:10]):
        mesh.process(picture)
        mesh.settle(OPEN)
    # frames 0 and 1 both eyes (detection, then the gate's first look), frame 6 the changed eye alone
    assert ran == [(0, 2), (1, 2), (6, 1)]


def test_both_eyes_run_while_the_last_frame_was_not_plainly_open(frames):
    """A blink and its reopening: a surely-open look must not hold an eye's half-closed iris result."""
    runs, results = _run(frames[:12], _Looks(lambda n: (-8.0, -8.0)), verdict=SHUT)
    assert runs == [2] * 12
    assert all(r.closed_logits == (-8.0, -8.0) for r in results[1:])  # judged once, at the new corners
    for verdict in (
        SimpleNamespace(measurable=False, closure=None),
        SimpleNamespace(measurable=True, closure=0.2),
    ):
        runs, _ = _run(frames[:6], _Looks(lambda n: (-8.0, -8.0)), verdict=verdict)
        assert runs == [2] * 6


def test_gated_eyes_stay_close_to_both_eyes_on_every_frame(frames):
    from edge.vision.eye_classifier import EyeClassifier

    _, both = _run(frames, None, iris_alternate=False)
    both_runs = 2 * len(frames)
    gated_runs, gated = _run(frames, EyeClassifier())
    assert sum(gated_runs) < 0.75 * both_runs
    for a, b in zip(both, gated):
        for eye_a, eye_b in ((a.left_eye, b.left_eye), (a.right_eye, b.right_eye)):
            assert np.abs(eye_a.contour[:16] - eye_b.contour[:16]).max() < 3.0


def test_the_pipeline_uses_the_face_mesh_logits_and_gating_is_on_by_default(frames):
    pipeline = VisionPipeline()
    assert pipeline.face_mesh._eye_model is pipeline.eye_model is not None
    calls = []
    ask = pipeline.eye_model.closed_logits
    pipeline.eye_model.closed_logits = lambda image, face: (calls.append(1), ask(image, face))[1]
    for i, frame in enumerate(frames[:10]):
        signals = pipeline.process(frame, i / 30, i)
        assert signals.face_found
        # the pipeline tells the gate its verdict on every frame
        assert pipeline.face_mesh.eyes_settled == (signals.closure is not None and signals.closure < 0.2)
    assert len(calls) <= 1  # only after the detection; the face mesh's logits serve the other frames
    assert VisionPipeline(VisionSettings(face_mesh={"iris_gate": False})).face_mesh._eye_model is None
