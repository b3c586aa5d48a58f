"""`dms evaluate` on eye-patch sets: any crops, any size; scores, confusion table, per-group figures."""

from __future__ import annotations

import csv
import json

import cv2
import numpy as np
import pytest

from edge.evaluation.patches import auc
from tools.cli import main


def _patch_set(root, rows, header=("path", "eye_state", "sensor")):
    (root / "images" / "a").mkdir(parents=True)
    rng = np.random.default_rng(0)
    with (root / "labels.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i, row in enumerate(rows):
            size = (24, 60, 133)[i % 3]  # crops of any size
            cv2.imwrite(str(root / "images" / row[0]), rng.integers(0, 256, (size, size), dtype=np.uint8))
            w.writerow(row)
    return root


def test_a_patch_set_gets_predictions_scores_and_a_confusion_table(tmp_path, capsys):
    rows = [(f"a/{i}.png", ("open", "closed")[i % 2], ("01", "02")[i // 3 % 2]) for i in range(7)]
    data = _patch_set(tmp_path / "set", rows)
    out = tmp_path / "out"
    assert main(["evaluate", str(data), "--out", str(out)]) == 0
    assert "7 eye patches" in capsys.readouterr().out
    with (out / "predictions.csv").open() as fh:
        preds = list(csv.DictReader(fh))
    assert [p["path"] for p in preds] == [r[0] for r in rows]
    assert all(p["predicted"] == ("closed" if float(p["closed_logit"]) > 0 else "open") for p in preds)
    report = json.loads((out / "report.json").read_text())
    assert sum(report["overall"]["confusion"].values()) == 7
    assert set(report["by"]) == {"sensor"} and set(report["by"]["sensor"]) == {"01", "02"}
    assert "<table>" in (out / "report.html").read_text()


def test_a_bad_eye_state_is_one_line(tmp_path, capsys):
    data = _patch_set(tmp_path / "set", [("a/0.png", "half", "01")])
    assert main(["evaluate", str(data), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "eye_state must be open or closed" in err and len(err.strip().splitlines()) == 1


def test_auc_counts_ties_half():
    assert auc(np.array([1.0, 2.0, 3.0]), np.array([False, True, True])) == 1.0
    assert auc(np.array([1.0, 1.0]), np.array([False, True])) == 0.5
    assert auc(np.array([1.0, 2.0]), np.array([True, True])) is None


@pytest.mark.dataset
def test_the_model_on_infrared_crops_it_never_saw(mrl_dataset, tmp_path):
    """Cross-dataset: trained on colour CEW patches only, scored on near-infrared MRL crops of 5 people.
    Measured when written: accuracy 0.989, AUC 1.000 on every subject with both eye states; the weakest
    subject is s0006 (closed eyes only, glasses with reflections): 0.91."""
    assert main(["evaluate", str(mrl_dataset), "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["overall"]["accuracy"] >= 0.98
    for subject, s in report["by"]["subject"].items():
        assert s["accuracy"] >= 0.88, subject
        assert s["auc"] is None or s["auc"] >= 0.99, subject


@pytest.mark.dataset
def test_the_model_on_its_own_training_patches(cew_dataset, tmp_path):
    """A regression guard only (the shipped model trained on these: 0.967; 0.971 on faces held out of
    training, see the manifest)."""
    assert main(["evaluate", str(cew_dataset), "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "report.json").read_text())["overall"]["accuracy"] >= 0.955
