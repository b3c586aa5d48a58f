"""Issue 25's 'done when' on the dev subjects: one continuous stream through the vehicle's stages
(vision -> driver sessions -> policy at 60 km/h), with an empty seat between drivers and, separately, a
direct swap at a standstill; against each clip run alone. The face mesh runs once per clip (cached in the
session's temporary folder); the stages after it are the vehicle's code.

The stream plays each clip as one sitting, in an order where the next sitting is always another subject
(`sittings`): in file order a subject's four clips follow each other with a cut between glasses and
camera mounts that is not a change of driver (measured separately, README).

Measured when written (python -m edge.evaluation.driver_change): alone 0.948 / 0.997 (eye-closed F1 /
blink F1); empty seat 5 s between sittings 0.948 / 0.997, the same clip by clip (39 of 39 changes);
direct swap at a standstill 0.948 / 0.997, the same clip by clip (39 of 39 changes by the jumps: 29 by
the frontal signature, 10 into a camera-below-the-face clip by the face box with the pitched signature),
also at 15 fps (0.866 / 0.993) and with the vehicle stopped through every sitting.
"""

from __future__ import annotations

import itertools

import pytest

from edge.evaluation.dataset import load_dataset
from edge.evaluation.driver_change import (
    STANDSTILL_S,
    jump_separation,
    replay_stream,
    signature_separation,
    sittings,
)
from edge.evaluation.faces import cached_faces
from edge.session import DriverSessionSettings

pytestmark = [pytest.mark.slow, pytest.mark.dataset]


@pytest.fixture(scope="module")
def dev(zju_dataset, tmp_path_factory):
    clips = load_dataset(zju_dataset)
    return clips, cached_faces(clips, tmp_path_factory.mktemp("faces"))


@pytest.fixture(scope="module")
def alone(dev):
    return replay_stream(*dev, continuous=False).summary()


def _no_closure_alarm(r: dict) -> None:
    """No microsleep or sleep on these awake drivers (the issue's false alarm), every closure still read."""
    assert not [e for e in r["fatigue_events"] if e["type"] in ("microsleep", "sleep")]
    assert not [e for e in r["fatigue_events"] if e["type"] == "drowsiness" and e["rule"] != "long_blinks"]
    assert r["policy_missed"] == 0 and r["closed_flag_missed"] == 0


def test_alone_every_closure_is_read_and_nothing_is_raised(alone):
    assert alone["closed_f1"] >= 0.94 and alone["blink_f1"] >= 0.99
    assert alone["fatigue_starts"] == 0 and alone["policy_missed"] == 0


def _no_lower_than_alone(r: dict, alone: dict) -> None:
    assert r["closed_f1"] >= alone["closed_f1"] and r["blink_f1"] >= alone["blink_f1"]
    for condition, scores in alone["by_condition"].items():
        assert r["by_condition"][condition]["closed_f1"] >= scores["closed_f1"], condition
        assert r["by_condition"][condition]["blink_f1"] >= scores["blink_f1"], condition


def test_one_stream_with_an_empty_seat_between_drivers_scores_as_the_clips_alone(dev, alone):
    clips, faces = dev
    order = sittings(clips)
    r = replay_stream(order, faces, empty_seat_s=5.0).summary()
    swaps = sum(a.subject != b.subject for a, b in itertools.pairwise(order))
    assert [c["reason"] for c in r["changes"]] == ["seat_empty"] * swaps
    _no_closure_alarm(r)
    assert not r["fatigue_events"]  # no fatigue episode at all on these awake drivers
    _no_lower_than_alone(r, alone)


@pytest.mark.parametrize("step", [1, 2], ids=["30fps", "15fps"])
def test_one_stream_with_direct_swaps_at_a_standstill_scores_as_the_clips_alone(dev, step):
    """Every swap found on the new driver's first frame (by the frontal signature jump, or into a camera-
    below-the-face clip by the face box jumping with the pitched signature), that frame judged as from a
    cold start, no second change at 15 fps; the same with the vehicle stopped through every sitting (no
    false change within a clip)."""
    clips, faces = dev
    order = sittings(clips)
    swaps = sum(a.subject != b.subject for a, b in itertools.pairwise(order))
    alone = replay_stream(clips, faces, continuous=False, step=step).summary()
    for standstill_s in (STANDSTILL_S, 1e9):
        r = replay_stream(order, faces, empty_seat_s=0.0, standstill_s=standstill_s, step=step).summary()
        assert [c["reason"] for c in r["changes"]] == ["face_jump"] * swaps
        assert [c["clip"] for c in r["changes"]] == [c.video for c in order[1:]]
        assert not r["fatigue_events"] and r["policy_missed"] == 0
        _no_lower_than_alone(r, alone)


def test_the_jumps_find_every_swap_and_never_fire_within_a_clip_in_sample_and_held_out(dev):
    sep = jump_separation(*dev)
    assert sep["in_sample_false_jumps_within"] == 0
    assert sep["in_sample_cuts_found"] == "39 of 39" and sep["in_sample_cuts_found_frontal"] == 29
    held_out = sep["leave_one_subject_out"].values()
    assert all(h["cuts_found"].split(" of ")[0] == h["cuts_found"].split(" of ")[1] for h in held_out)
    assert sum(h["false_jumps_within"] for h in held_out) <= 1  # 000006 by the frontal jump (1.548)
    # a swap at any moment, not only at the clips' ends: random frame pairs of two subjects
    assert min(sep["random_cuts_found"].values()) >= 0.9


def test_the_signature_threshold_never_fires_within_one_subjects_clips(dev):
    sep = signature_separation(*dev)
    assert sep["same_subject_other_clip"]["max"] < DriverSessionSettings().signature_threshold
    assert sep["within_clip"]["max"] < DriverSessionSettings().signature_threshold
    assert sep["other_subject_above_threshold"] >= 0.3  # separates about a third of the subject pairs


def test_a_level_learnt_on_a_wider_eyed_driver_recovers_through_the_pipeline(dev):
    """No session reset at all: the next driver's open level relearns from the eye-state model's 'surely
    open' (relearn_after_s), so closed readings on the new driver stop within seconds."""
    clips, faces = dev
    r = replay_stream(clips, faces, empty_seat_s=0.0, sessions=DriverSessionSettings(enabled=False)).summary()
    assert r["closed_precision"] >= 0.85 and not [
        e for e in r["fatigue_events"] if e["type"] in ("microsleep", "sleep")
    ]
