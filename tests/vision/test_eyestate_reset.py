"""A new driver (or an unrelated clip) starts from scratch: eye levels and the learnt straight-ahead gaze."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from edge.vision.pipeline import VisionPipeline


def open_eye(cx: float) -> SimpleNamespace:
    """Lower lid on y=104, upper lid on y=96, corners 30 px apart (only the first 16 points matter)."""
    xs = np.linspace(cx - 15, cx + 15, 9)
    lids = np.concatenate([np.stack([xs, np.full(9, 104.0)], 1), np.stack([xs[1:8], np.full(7, 96.0)], 1)])
    return SimpleNamespace(contour=np.concatenate([lids, np.zeros((55, 2))]))


def face(gaze_yaw: float, gaze_pitch: float) -> SimpleNamespace:
    return SimpleNamespace(
        left_eye=open_eye(140),
        right_eye=open_eye(80),
        faces=1,
        head_yaw=0.0,
        head_pitch=0.0,
        head_roll=0.0,
        gaze_yaw=gaze_yaw,
        gaze_pitch=gaze_pitch,
    )


def test_reset_forgets_eye_levels_and_the_learnt_straight_ahead():
    pipeline = VisionPipeline(face_mesh=SimpleNamespace(process=None))
    for i in range(300):  # a driver whose road gaze sits 10 degrees left and 5 up of the configured one
        pipeline.process_face(face(10.0, 5.0), i / 30, i)
    assert pipeline.gaze.straight_yaw > 9.0 and pipeline.eyes.baseline() is not None
    pipeline.reset()
    assert (pipeline.gaze.straight_yaw, pipeline.gaze.straight_pitch) == (0.0, 0.0)
    assert pipeline.eyes.baseline() is None
