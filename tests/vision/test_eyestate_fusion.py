"""The eye-state model fused with the lid gap: what each brings, on synthetic sequences (time in seconds)."""

from __future__ import annotations

import pytest

from edge.vision.eyestate import EyeStateEstimator, EyeStateSettings, fused_closure

FPS = 30.0
OPEN_LOGIT, CLOSED_LOGIT = -6.0, 6.0


def feed(est, values, start_s=0.0):
    """values: (openness, closed logit or None) per frame at FPS; returns the states."""
    return [est.update_openness(o, start_s + i / FPS, closed_logit=z) for i, (o, z) in enumerate(values)]


def test_fused_closure_follows_both_cues():
    s = EyeStateSettings()
    assert fused_closure(OPEN_LOGIT, 0.0, s) < 0.05
    assert fused_closure(CLOSED_LOGIT, 1.0, s) > 0.95
    # each cue moves it the right way
    assert fused_closure(0.0, 0.2, s) < fused_closure(0.0, 0.8, s)
    assert fused_closure(-2.0, 0.5, s) < fused_closure(2.0, 0.5, s)


def test_without_the_model_the_lid_gap_decides_alone():
    est = EyeStateEstimator(EyeStateSettings())
    states = feed(est, [(0.3, None)] * 30 + [(0.05, None)] * 10)
    assert states[-1].closure == states[-1].lid_closure and states[-1].closed


def test_a_wrongly_learnt_open_level_recovers_when_the_model_sees_open_eyes():
    """A driver with wide eyes, then (no reset) one whose open eyes are half as wide: the lid gap alone
    reads the second driver as closed for ever (closed frames never teach the open level); with the model
    sure the eyes are open, the open level relearns within seconds."""
    window = EyeStateSettings().baseline_window_s
    wide, narrow = 0.30, 0.12
    lid_only = EyeStateEstimator(EyeStateSettings(use_model=False))
    fused = EyeStateEstimator(EyeStateSettings())
    first = [(wide, OPEN_LOGIT)] * int(window * FPS)
    feed(lid_only, first)
    feed(fused, first)
    second = [(narrow, OPEN_LOGIT)] * int(20 * FPS)
    lid_states = feed(lid_only, second, start_s=window)
    fused_states = feed(fused, second, start_s=window)
    assert all(s.closed for s in lid_states[-30:])  # stuck: the old level says "closed"
    recovered = next(i for i, s in enumerate(fused_states) if not s.closed) / FPS
    relearn = EyeStateSettings().relearn_after_s
    assert recovered <= relearn + 0.1
    assert not any(s.closed for s in fused_states[int((relearn + 0.1) * FPS) :])


def test_a_real_closure_is_not_relearnt_as_open():
    """The model saying closed keeps the closure out of the open level: a 10 s closure stays closed."""
    est = EyeStateEstimator(EyeStateSettings())
    feed(est, [(0.3, OPEN_LOGIT)] * int(10 * FPS))
    states = feed(est, [(0.06, CLOSED_LOGIT)] * int(10 * FPS), start_s=10.0)
    assert all(s.closed for s in states[3:])


@pytest.mark.parametrize("bad", [{"model_weight": -1}, {"closure_weight": 51}, {"fusion_bias": float("nan")}])
def test_fusion_weights_have_bounds(bad):
    with pytest.raises(ValueError):
        EyeStateSettings(**bad)
