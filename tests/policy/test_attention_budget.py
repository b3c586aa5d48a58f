"""Issue 15: one attention budget that no glance, face loss or frame rate can reset.

Openpilot style: synthetic per-frame drives with fake time at 10, 15, 20 and 30 fps; every check time
is derived from `PolicySettings`, so the tests follow the thresholds rather than restate them."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from edge.policy import PolicySettings
from edge.policy.synthetic import frames
from tests.support.drive import FRAME_RATES, Drive

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
    ahead = {
        "gaze_zone": "road",
        "eyes_on_road": True,
        "gaze_yaw": 0.0,
        "gaze_pitch": 0.0,
        "head_yaw": 0.0,
        "head_pitch": 0.0,
    }
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
    for event, after in (
        (start, S.not_monitoring_s),
        (level2, S.not_monitoring_level2_s),
        (level3, S.not_monitoring_level3_s),
    ):
        assert event.t == pytest.approx(LEAD + after, abs=d.frame + 1e-9)
    assert d.first("not_monitoring", "end").t == pytest.approx(
        LEAD + S.not_monitoring_level3_s + 2 + S.warning_end_s, abs=d.frame + 1e-9
    )


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_not_monitoring_below_warning_speed_is_recorded_silently(fps):
    slow = (S.monitoring_min_speed_kmh + S.warning_min_speed_kmh) / 2
    d = Drive([(LEAD, "ahead"), (S.not_monitoring_level3_s + 2, "no_face")], speed=slow, fps=fps)
    assert d.phases("not_monitoring") == [("start", 0)]


# --- 2. a face lost in the middle of a glance continues it ---------------------------------------------
def _unresponsive_after(s: PolicySettings = S) -> float:
    """Off the road this long raises `unresponsive`: no response to the first warning, or the 6 s rule."""
    return min(s.long_distraction_s + s.unresponsive_after_warning_s, s.unresponsive_inattentive_s)


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_face_lost_while_looking_into_the_lap_continues_the_glance(fps):
    d = Drive([(LEAD, "ahead"), (2.5, "lap"), (1, "no_face"), (3.5, "lap"), (3, "ahead")], fps=fps)
    glance = d.first("long_distraction")
    assert glance.onset_t == pytest.approx(LEAD)
    assert glance.t == pytest.approx(LEAD + S.long_distraction_s, abs=d.frame + 1e-9)
    assert d.first("long_distraction", "escalate").t == pytest.approx(
        LEAD + S.distraction_escalate_s, abs=d.frame + 1e-9
    )
    assert d.first("unresponsive").t == pytest.approx(LEAD + _unresponsive_after(), abs=d.frame + 1e-9)
    assert d.starts("not_monitoring") == []


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_glances_broken_by_face_loss_add_up_to_unresponsive(fps):
    d = Drive([(LEAD, "ahead")] + [(2.5, "away"), (2, "no_face")] * 3 + [(3, "ahead")], fps=fps)
    assert d.first("long_distraction").onset_t == pytest.approx(LEAD)
    unresponsive = d.first("unresponsive")
    assert unresponsive.onset_t == pytest.approx(LEAD)
    assert unresponsive.t == pytest.approx(LEAD + _unresponsive_after(), abs=d.frame + 1e-9)
    assert len(d.starts("long_distraction")) == 1


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_face_lost_after_an_off_road_frame_continues_the_glance_only_up_to_the_bound(fps):
    bound = S.face_lost_turned_away_max_s
    d = Drive([(LEAD, "ahead"), (1, "away"), (bound + S.not_monitoring_s + 2, "no_face")], fps=fps)
    assert d.first("long_distraction").t == pytest.approx(LEAD + S.long_distraction_s, abs=d.frame + 1e-9)
    lost = d.first("not_monitoring")
    assert lost.t <= LEAD + 1 + bound + S.not_monitoring_s + d.frame + 1e-9


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_face_lost_after_looking_ahead_is_not_a_glance(fps):
    d = Drive([(LEAD, "ahead"), (S.not_monitoring_s + 2, "no_face")], fps=fps)
    assert [e.type for e in d.starts()] == ["not_monitoring"]
    assert d.first("not_monitoring").t == pytest.approx(LEAD + S.not_monitoring_s, abs=d.frame + 1e-9)


def test_the_new_limits_are_validated():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="10 s"):
        PolicySettings(face_lost_turned_away_max_s=8, not_monitoring_s=5)
    with pytest.raises(ValidationError, match="not_monitoring_level2_s"):
        PolicySettings(not_monitoring_level2_s=40, not_monitoring_level3_s=30)


# --- 1. calibration learns only from attentive frames, within a bounded offset ---------------------------
WINDOW_STARE = {
    "gaze_zone": "right_window",
    "eyes_on_road": False,
    "gaze_yaw": -30.0,
    "gaze_pitch": 0.0,
    "head_yaw": -25.0,
    "head_pitch": 0.0,
}


def _open_episode_ends(d: Drive) -> list:
    return [e for e in d.events if e.phase == "end"]


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_long_infotainment_stare_at_speed_is_never_learned_as_straight_ahead(fps):
    stare = 1.5 * S.calibration_s
    d = Drive([(LEAD, "ahead"), (stare, "away")], fps=fps)
    assert _open_episode_ends(d) == []  # nothing 'restored' while still looking away
    assert {"long_distraction", "vats", "unresponsive"} <= set(d.at(LEAD + stare))
    assert not d.monitor.calibration.as_dict()["pose_ready"]


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_stare_inside_the_calibration_bounds_is_not_learned_either(fps):
    # a right-window stare after a calibrated minute: within the bounded offset, but never attentive
    calibrated, stare = S.calibration_s + 10, 2 * S.calibration_s
    sigs = [
        replace(s, **WINDOW_STARE) if s.t >= calibrated else s
        for s in frames([(calibrated, "ahead"), (stare, "ahead")], fps)
    ]
    d = Drive(None, signals=sigs, fps=fps)
    assert d.monitor.calibration.forward_gaze() == pytest.approx((0.0, 0.0), abs=0.5)
    assert _open_episode_ends(d) == []
    assert {"long_distraction", "vats", "unresponsive"} <= set(d.at(calibrated + stare))


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_glance_after_a_long_stare_and_a_look_back_is_still_raised(fps):
    # the drive: 40 s away, 35 s ahead, then a glance long enough for unresponsive
    glance = _unresponsive_after() + 1
    d = Drive([(40, "away"), (35, "ahead"), (glance, "away"), (3, "ahead")], fps=fps)
    onset = 40 + 35
    starts = {e.type: e for e in d.events if e.phase == "start" and e.onset_t >= onset - 1e-6}
    assert starts["long_distraction"].t == pytest.approx(onset + S.long_distraction_s, abs=d.frame + 1e-9)
    assert starts["unresponsive"].t == pytest.approx(onset + _unresponsive_after(), abs=d.frame + 1e-9)


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_camera_below_the_face_is_learned_and_glances_still_count(fps):
    # the vision stage's zones absorbed the mounting (road), but the raw gaze reads 20 degrees up
    up = {"gaze_pitch": 20.0, "head_pitch": 15.0}
    behaviour = [(S.calibration_s + 5, "ahead"), (S.long_distraction_s + 1, "away"), (3, "ahead")]
    sigs = [replace(s, **up) if s.gaze_zone == "road" else s for s in frames(behaviour, fps)]
    d = Drive(None, signals=sigs, fps=fps)
    assert d.monitor.calibration.forward_gaze() == pytest.approx((0.0, 20.0), abs=0.5)
    assert d.first("long_distraction").onset_t == pytest.approx(S.calibration_s + 5)


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_camera_by_the_right_window_is_still_learned(fps):
    # the vision stage, uncalibrated, calls this driver's straight ahead 'right_window' all the time
    mount = {"gaze_yaw": 25.0, "head_yaw": 20.0, "gaze_zone": "right_window", "eyes_on_road": False}
    sigs = [replace(s, **mount) for s in frames([(2 * S.calibration_s, "ahead")], fps)]
    d = Drive(None, signals=sigs, fps=fps)
    assert d.monitor.calibration.forward_gaze()[0] == pytest.approx(25.0, abs=0.5)
    assert d.at(2 * S.calibration_s) == {}
    recovered = S.calibration_s + max(S.warning_end_s, S.vats_reset_on_road_s)
    assert all(e.t <= recovered + 2 * d.frame for e in d.events)  # only the first, uncalibrated minute


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_bridging_lid_flicker_never_glues_normal_blinks_into_long_ones(fps):
    # a blink, a drop-out within the tolerance, more closed frames: one closure, but under 0.5 s closed
    n1, gap = round(0.3 * fps), _bridged_frames(fps)
    n2 = math.floor(S.long_blink_s * fps - 1) - n1
    blink = [(n1 / fps, "closed"), (gap / fps, "ahead"), (n2 / fps, "closed")]
    d = Drive([(LEAD, "ahead")] + (blink + [(10, "ahead")]) * (S.long_blinks_drowsy + 1), fps=fps)
    assert d.events == []
    assert d.monitor._long_blinks.count() == 0
