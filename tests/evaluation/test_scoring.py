"""Our scoring agrees exactly with the shared acceptance script, on the real dev labels."""

from __future__ import annotations

import csv
import random

import pytest

from edge.evaluation.dataset import load_dataset
from edge.evaluation.scoring import FramePrediction, predicted_events, score


def test_events_split_on_id_change_and_on_gaps():
    seq = [(1, -1), (2, 4), (3, 4), (4, 5), (6, 5), (7, -1), (8, 4)]
    assert predicted_events(seq) == [(2, 3), (4, 4), (6, 6), (8, 8)]


@pytest.mark.dataset
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_score_blinks(zju_dataset, score_blinks, tmp_path, seed):
    """Noisy predictions built around the labels (hits, misses, splits, merges, false blinks)."""
    rng = random.Random(seed)
    clips = load_dataset(zju_dataset)
    preds: dict[str, dict[int, FramePrediction]] = {}
    rows = []
    for clip in clips:
        per = preds[clip.video] = {}
        next_id = 1
        for f in clip.frames:
            closed = f.eye_closed if rng.random() > 0.1 else not f.eye_closed
            blink = -1
            if f.blink_id >= 0 and rng.random() > 0.15:
                blink = f.blink_id + (100 if rng.random() < 0.05 else 0)  # sometimes a split
            elif rng.random() < 0.01:
                blink = 500 + next_id  # false blink
                next_id += 1
            if rng.random() < 0.02:
                continue  # missing rows count as open / no blink
            per[f.frame_id] = FramePrediction(closed, blink)
            rows.append([clip.video, f.frame_id, int(closed), blink])
    path = tmp_path / "predictions.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["video", "frame_id", "eyes_closed", "blink"])
        w.writerows(rows)
    expected = score_blinks.score(str(zju_dataset), str(path))
    ours = score(clips, preds)["overall"]
    assert {k: ours[k] for k in expected} == expected
