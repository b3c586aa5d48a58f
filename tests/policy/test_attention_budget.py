"""Issue 15: one attention budget that no glance, face loss or frame rate can reset.

Openpilot style: synthetic per-frame drives with fake time at 10, 15, 20 and 30 fps; every check time
is derived from `PolicySettings`, so the tests follow the thresholds rather than restate them."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest

from edge.policy import PolicySettings
from edge.policy.synthetic import frames
from tests.policy.drive import FRAME_RATES, Drive

S = PolicySettings()
LEAD = 3.0  # seconds of attentive driving before each case


def _bridged_frames(fps: float) -> int:
    """Misread frames that fit in the flicker tolerance at this rate (each frame covers 1/fps)."""
    return max(1, math.floor(S.flicker_tolerance_s * fps + 1e-6))


def _misread(sigs, first: int, n: int, **fields):
    return [replace(s, **fields) if first <= i < first + n else s for i, s in enumerate(sigs)]


# --- 3. flicker tolerance in seconds, whatever the frame rate ----------------------------------------
@pytest.mark.parametrize("fps", FRAME_RATES)
def test_misread_frames_within_the_tolerance_never_restart_a_closure(fps):
    n = _bridged_frames(fps)
    sigs = list(frames([(LEAD, "ahead"), (S.microsleep_s + 1, "closed"), (3, "ahead")], fps))
    onset = round(LEAD * fps)
    for pos in range(onset + 1, onset + round(S.microsleep_s * fps) - n):
        d = Drive(None, signals=_misread(sigs, pos, n, eyes_closed=False, closure=0.05), fps=fps)
        micro = d.first("microsleep")
        assert micro.onset_t == pytest.approx(LEAD), (fps, pos)
        assert micro.t == pytest.approx(LEAD + S.microsleep_s, abs=d.frame + 1e-9), (fps, pos)


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_misread_frames_within_the_tolerance_never_restart_a_glance(fps):
    n = _bridged_frames(fps)
    sigs = list(frames([(LEAD, "ahead"), (S.long_distraction_s + 1, "away"), (3, "ahead")], fps))
    onset = round(LEAD * fps)
    ahead = {"gaze_zone": "road", "eyes_on_road": True, "gaze_yaw": 0.0, "gaze_pitch": 0.0,
             "head_yaw": 0.0, "head_pitch": 0.0}
    for pos in range(onset + 1, onset + round(S.long_distraction_s * fps) - n):
        d = Drive(None, signals=_misread(sigs, pos, n, **ahead), fps=fps)
        glance = d.first("long_distraction")
        assert glance.onset_t == pytest.approx(LEAD), (fps, pos)
        assert glance.t == pytest.approx(LEAD + S.long_distraction_s, abs=d.frame + 1e-9), (fps, pos)


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_reopening_longer_than_the_tolerance_does_restart_a_closure(fps):
    n = _bridged_frames(fps) + 1
    sigs = list(frames([(LEAD, "ahead"), (S.microsleep_s + 1, "closed"), (3, "ahead")], fps))
    pos = round((LEAD + S.microsleep_s / 2) * fps)
    d = Drive(None, signals=_misread(sigs, pos, n, eyes_closed=False, closure=0.05), fps=fps)
    assert d.first("microsleep").onset_t == pytest.approx((pos + n) / fps)


# --- 4. not_monitoring escalates at speed --------------------------------------------------------------
@pytest.mark.parametrize("fps", FRAME_RATES)
@pytest.mark.parametrize("what", ["no_face", "no_eyes"])
def test_not_monitoring_escalates_to_level_two_and_three_at_speed(fps, what):
    d = Drive([(LEAD, "ahead"), (S.not_monitoring_level3_s + 2, what), (3, "ahead")], fps=fps)
    assert d.phases("not_monitoring") == [("start", 1), ("escalate", 2), ("escalate", 3), ("end", 3)]
    start, level2, level3 = [e for e in d.events if e.type == "not_monitoring"][:3]
    assert start.onset_t == pytest.approx(LEAD)
    for event, after in ((start, S.not_monitoring_s), (level2, S.not_monitoring_level2_s),
                         (level3, S.not_monitoring_level3_s)):
        assert event.t == pytest.approx(LEAD + after, abs=d.frame + 1e-9)
    assert d.first("not_monitoring", "end").t == pytest.approx(
        LEAD + S.not_monitoring_level3_s + 2 + S.warning_end_s, abs=d.frame + 1e-9)


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_not_monitoring_below_warning_speed_is_recorded_silently(fps):
    slow = (S.monitoring_min_speed_kmh + S.warning_min_speed_kmh) / 2
    d = Drive([(LEAD, "ahead"), (S.not_monitoring_level3_s + 2, "no_face")], speed=slow, fps=fps)
    assert d.phases("not_monitoring") == [("start", 0)]
