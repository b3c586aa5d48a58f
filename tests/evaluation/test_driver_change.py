"""Issue 25's 'done when' on the dev subjects: one continuous stream through the vehicle's stages
(vision -> driver sessions -> policy at 60 km/h), with an empty seat between subjects and, separately,
a direct swap; against each clip run alone. The face mesh runs once per clip (cached in the session's
temporary folder); the stages after it are the vehicle's code.

Measured when written (python -m edge.evaluation.driver_change): alone 0.943 / 0.997 (eye-closed F1 /
blink F1); empty seat 5 s 0.938 / 0.993 (10 of 10 changes by the empty seat); direct swap 0.932 / 0.983
(2 of 10 swaps found by the face signature). The one fatigue start with an empty seat is drowsiness by the long-
blink rule on subject 000009, whose labels hold three closures of 15-16 frames (>= 0.5 s) within a
minute: the rule reading real long blinks, not an inherited level.
"""

from __future__ import annotations

import pytest

from edge.evaluation.dataset import load_dataset
from edge.evaluation.driver_change import replay_stream, signature_separation
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


def test_one_stream_with_an_empty_seat_between_subjects(dev, alone):
    r = replay_stream(*dev, empty_seat_s=5.0).summary()
    swaps = sum(a.subject != b.subject for a, b in zip(dev[0], dev[0][1:]))
    assert [c["reason"] for c in r["changes"]] == ["seat_empty"] * swaps
    _no_closure_alarm(r)
    # not met in full: 0.005 / 0.004 below the clips run alone when written
    assert r["closed_f1"] >= alone["closed_f1"] - 0.01 and r["blink_f1"] >= alone["blink_f1"] - 0.01


def test_one_stream_with_direct_swaps(dev, alone):
    r = replay_stream(*dev, empty_seat_s=0.0).summary()
    assert all(c["reason"] == "face_changed" for c in r["changes"])
    _no_closure_alarm(r)
    # not met in full: 0.011 / 0.014 below the clips run alone when written (most swaps go unnoticed)
    assert r["closed_f1"] >= alone["closed_f1"] - 0.02 and r["blink_f1"] >= alone["blink_f1"] - 0.025


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
