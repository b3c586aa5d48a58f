"""Accuracy on subjects the constants were not tuned on (a regression guard, not a timing test).

The face mesh runs once over the 40 dev clips; every split of edge.evaluation.crosscheck (halves and
odd/even each way, leave-one-subject-out pooled) then takes the closed-level prior from its tuning
subjects' blinks, picks the closed threshold on them and is scored on the held-out subjects.
Measured when written (this grid; the full one of crosscheck gives the same): held-out eye-closed F1
0.949 / 0.921 / 0.939 / 0.934 (1-5 -> 6-10, 6-10 -> 1-5, odd -> even, even -> odd), pooled
leave-one-subject-out 0.937; blink F1 >= 0.992 on every split; every split picks closed_on 0.55.
"""
from __future__ import annotations

import pytest

from edge.evaluation.crosscheck import cross_check
from edge.evaluation.dataset import load_dataset
from edge.evaluation.runner import cached_faces

GRID = {"eyes.closed_on": (0.5, 0.55, 0.6, 0.65)}
CLOSED_MIN = 0.91  # issue 3's acceptance bar is 0.90 on unseen subjects
LOSO_MIN = 0.925


@pytest.mark.slow
@pytest.mark.dataset
def test_every_leave_subjects_out_split_holds(zju_dataset, tmp_path):
    from edge.vision.facemesh import FaceMesh

    clips = load_dataset(zju_dataset)
    mesh = FaceMesh()
    faces = {c.video: cached_faces(mesh, c, tmp_path) for c in clips}
    report = cross_check(clips, faces, grid=GRID)
    halves = {k: v["scores"] for k, v in report["splits"].items() if not k.startswith("others->")}
    assert set(halves) == {"first->second", "second->first", "odd->even", "even->odd"}
    for name, scores in halves.items():
        assert scores["closed_f1"] >= CLOSED_MIN, name
        assert scores["blink_f1"] >= 0.98, name
    assert report["loso"]["closed_f1"] >= LOSO_MIN and report["loso"]["blink_f1"] >= 0.98
    assert abs(report["defaults"]["prior_all"] - 0.46) <= 0.02  # the default prior is this statistic
