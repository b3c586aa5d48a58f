"""Leave-subjects-out check: grid overrides, and one small run on two dev subjects."""
from __future__ import annotations

import pytest

from edge.evaluation.crosscheck import cross_check, settings_with, standard_splits
from edge.evaluation.dataset import load_dataset
from edge.evaluation.runner import cached_faces


def test_standard_splits_hold_every_subject_out():
    ids = [f"{i:06d}" for i in range(1, 11)]
    splits = standard_splits(ids)
    assert splits["first->second"] == (set(ids[:5]), set(ids[5:]))
    assert splits["odd->even"][1] == {"000002", "000004", "000006", "000008", "000010"}
    loso = [held for name, (_, held) in splits.items() if name.startswith("others->")]
    assert sorted(s for held in loso for s in held) == ids
    assert "others->000001" not in standard_splits(ids, loso=False)


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
    splits = standard_splits(["000001", "000002"])
    report = cross_check(clips, faces, splits, grid={"eyes.closed_on": (0.6, 0.7)})
    assert report["splits"]["first->second"]["held_out"] == ["000002"]
    assert report["splits"]["others->000001"]["tuned_on"] == ["000002"]
    for split in report["splits"].values():
        assert split["values"]["eyes.closed_on"] in (0.6, 0.7)
        assert 0.3 < split["values"]["eyes.prior_closed_share"] < 0.6  # the tuning subject's blink depth
        assert split["scores"]["blink_f1"] > 0.9 and split["scores"]["closed_f1"] > 0.8
    assert report["loso"]["frames"] == report["defaults"]["all"]["frames"]  # every frame held out once
    assert set(report["defaults"]["by_condition"]) == {"FBN", "FNN", "FTN", "UNN"}
