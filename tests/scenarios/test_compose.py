"""The composer builds scenario clips from real labelled frames (read in place, written to tmp only)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.evaluation.dataset import load_dataset
from edge.scenarios.compose import DEFAULT_SUITE, compose_suite, load_suite, main
from edge.scenarios.spec import load_scenarios
from edge.sources import open_source

SUBJECT = "000003"


@pytest.fixture(scope="module")
def composed(zju_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("composed")
    files = compose_suite(zju_dataset, out, subjects=[SUBJECT], kinds=["microsleep", "no_driver"])
    return zju_dataset, out, files


def _frames(path):
    with open_source(str(path)) as src:
        return [(f.t, f.image) for f in src]


def test_suite_definition_is_valid_and_lists_subjects_and_expectations():
    suite = load_suite(DEFAULT_SUITE)
    assert {t.kind for t in suite.templates} == {
        "microsleep",
        "sleep",
        "blinking",
        "no_driver",
        "occluded_lens",
        "driver_change",
    }
    assert isinstance(suite.subjects, list) and suite.subjects
    deadlines = {t.kind: {e["state"]: e["deadline_s"] for e in t.expect} for t in suite.templates}
    assert deadlines["microsleep"] == {"microsleep": 1.3}
    assert deadlines["sleep"]["sleep"] == 3.3 and deadlines["no_driver"] == {"not_monitoring": 10.0}
    assert deadlines["driver_change"]["microsleep"] == 1.3


def test_microsleep_clip_holds_real_closed_frames_with_jitter(composed):
    dataset, out, _ = composed
    ((_path, scenario),) = [(p, s) for p, s in load_scenarios(out) if s.name.startswith("microsleep")]
    frames = _frames(out / scenario.clip)
    assert len(frames) == scenario.source["frames"]
    assert np.allclose(np.diff([t for t, _ in frames]), 1 / 30, atol=2e-3)  # 30 fps timeline
    onset = scenario.expect[0].onset_s
    ((start, end, what),) = scenario.truth
    assert what == "closed" and start == onset and end - start == pytest.approx(1.5, abs=1 / 30)
    # every held picture is a labelled closed frame of this subject's clip
    clip = next(c for c in load_dataset(dataset) if c.video == scenario.source["video"])
    closed_ids = {f.frame_id for f in clip.frames if f.eye_closed and f.annotated}
    held = [
        int(p.split("#")[1].rstrip("*")) for p in scenario.source["pictures"].split(",") if p.endswith("*")
    ]
    assert held and set(held) <= closed_ids and len(set(held)) >= 3
    # natural jitter: no two consecutive held frames are identical
    i0, i1 = int(round(start * 30)), int(round(end * 30))
    diffs = [
        np.abs(frames[i][1].astype(int) - frames[i + 1][1].astype(int)).mean() for i in range(i0, i1 - 1)
    ]
    assert min(diffs) > 0.2


def test_no_driver_clip_paints_the_driver_out(composed):
    _, out, _ = composed
    ((_, scenario),) = [(p, s) for p, s in load_scenarios(out) if s.name.startswith("no_driver")]
    frames = _frames(out / scenario.clip)
    onset = scenario.expect[0].onset_s
    before, after = frames[int(onset * 30) - 5][1], frames[int(onset * 30) + 30][1]
    assert np.abs(before.astype(int) - after.astype(int)).mean() > 5  # the face region changed
    assert scenario.expect[0].deadline_s == 10.0 and scenario.expect[0].state == "not_monitoring"


def test_composer_command_reports_unknown_subjects(zju_dataset, tmp_path, capsys):
    assert main(["--dataset", str(zju_dataset), "--out", str(tmp_path), "--subjects", "999999"]) == 2
    assert "subjects not in" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.avi"))


def test_nothing_composed_lands_in_the_repository(composed):
    from tests.support.services import REPO

    _, out, files = composed
    assert REPO not in out.parents and all(json.loads(f.read_text())["clip"].endswith(".avi") for f in files)
