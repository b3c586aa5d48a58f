"""Leave-subjects-out check: grid overrides, and one small run on two dev subjects."""
from __future__ import annotations

import pytest

from edge.evaluation.crosscheck import cross_check, settings_with
from edge.evaluation.dataset import load_dataset
from edge.evaluation.runner import cached_faces


def test_overrides_keep_the_hysteresis_width():
    s = settings_with({"eyes.closed_on": 0.7, "blinks.confirm_closure": 0.4})
    assert s.eyes.closed_on == 0.7 and s.eyes.closed_off == pytest.approx(0.6)
    assert s.blinks.confirm_closure == 0.4


@pytest.mark.slow
@pytest.mark.dataset
def test_two_subjects_tuned_on_one_scored_on_the_other(zju_dataset, tmp_path):
    from edge.vision.facemesh import FaceMesh

    clips = [c for c in load_dataset(zju_dataset) if c.subject in ("000001", "000002")]
    mesh = FaceMesh()
    faces = {c.video: cached_faces(mesh, c, tmp_path) for c in clips}
    assert len(list(tmp_path.glob("*.pkl"))) == 8
    report = cross_check(clips, faces, {"000001"}, grid={"eyes.closed_on": (0.6, 0.7)})
    assert report["halves"] == {"first": ["000001"], "second": ["000002"]}
    assert [d["tuned_on"] for d in report["directions"]] == ["first", "second"]
    for d in report["directions"]:
        assert d["values"]["eyes.closed_on"] in (0.6, 0.7)
        assert d["held_out"]["blink_f1"] > 0.9 and d["held_out"]["closed_f1"] > 0.8
