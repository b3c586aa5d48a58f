"""The per-frame hot path after the performance work: one eye per steady frame, both on movement."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.vision.facemesh import FaceMesh, FaceMeshSettings


@pytest.fixture(scope="module")
def frames():
    from tools.demo.sample_clip import sample_clip

    cap = cv2.VideoCapture(str(sample_clip(progress=False)))
    out = []
    while len(out) < 60:
        ok, frame = cap.read()
        if not ok:
            break
        out.append(frame)
    cap.release()
    return out


def _run(frames, **settings):
    mesh = FaceMesh(FaceMeshSettings(**{"landmarks_every": 1, **settings}))
    eyes_run = []
    model_run = mesh._iris_model.run
    mesh._iris_model.run = lambda batch: (eyes_run.append(len(batch)), model_run(batch))[1]
    results = [mesh.process(f) for f in frames]
    return results, sum(eyes_run)


def test_alternating_iris_saves_runs_and_stays_close_to_both_eyes(frames):
    both, runs_both = _run(frames, iris_alternate=False)
    alternate, runs_alt = _run(frames, iris_alternate=True)
    assert runs_both == 2 * len(frames)
    assert runs_alt < runs_both  # the whole point
    for a, b in zip(both, alternate):
        for eye_a, eye_b in ((a.left_eye, b.left_eye), (a.right_eye, b.right_eye)):
            # the eye that did not run is last frame's result carried along with the head: close, not equal
            assert np.abs(eye_a.contour[:16] - eye_b.contour[:16]).max() < 3.0


def test_refresh_threshold_zero_runs_both_eyes_every_frame(frames):
    _, runs = _run(frames[:20], iris_alternate=True, iris_refresh_px=0.0)
    assert runs == 2 * 20


def test_face_model_every_second_frame_keeps_eyes_per_frame(frames):
    every, _ = _run(frames[:20], landmarks_every=1)
    mesh = FaceMesh(FaceMeshSettings(landmarks_every=2, landmarks_when_steady=False))
    face_runs = []
    model_run = mesh._landmark_model.run
    mesh._landmark_model.run = lambda batch: (face_runs.append(1), model_run(batch))[1]
    half = [mesh.process(f) for f in frames[:20]]
    assert len(face_runs) == 10  # a clean track: no re-detection, so exactly every other frame
    assert [r.landmarks_age for r in half] == [0, 1] * 10
    for i, (a, b) in enumerate(zip(every, half)):
        if b.landmarks_age:
            # between face-model runs the face holds still, the eyes are measured on this frame
            assert b.head_yaw == half[i - 1].head_yaw
        for eye_a, eye_b in ((a.left_eye, b.left_eye), (a.right_eye, b.right_eye)):
            assert np.abs(eye_a.contour[:16] - eye_b.contour[:16]).max() < 3.0


def test_face_model_is_skipped_only_after_a_frame_whose_eyes_held_still(frames):
    mesh = FaceMesh(FaceMeshSettings(landmarks_every=2))
    eyes_run: list[int] = []  # per frame: eyes through the iris model (2: after a detection, or a lid moved)
    model_run = mesh._iris_model.run

    def counting(batch):
        eyes_run[-1] += len(batch)
        return model_run(batch)

    mesh._iris_model.run = counting
    ages = []
    for frame in frames:
        eyes_run.append(0)
        ages.append(mesh.process(frame).landmarks_age)
    skipped = [i for i, age in enumerate(ages) if age]
    assert skipped and len(skipped) < len(frames) // 2  # some frames skip it, movement keeps others
    assert all(eyes_run[i - 1] == 1 and ages[i - 1] == 0 for i in skipped)


def test_steady_skip_also_works_with_both_eyes_on_every_frame(frames):
    results, runs = _run(frames, iris_alternate=False, landmarks_every=2)
    ages = [r.landmarks_age for r in results]
    assert runs == 2 * len(frames)  # iris unchanged: both eyes every frame
    assert 0 < sum(ages) < len(frames) // 2  # the face model still skips some steady frames
