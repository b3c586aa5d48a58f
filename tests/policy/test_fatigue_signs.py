"""Issue 15, the new states: the 'take a break' advisory after repeated level-3 warnings, yawning and
head nodding. Openpilot style, at 10, 15, 20 and 30 fps, check times from `PolicySettings`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from edge.policy import PolicySettings
from edge.policy.synthetic import frames
from tests.support.drive import FRAME_RATES, Drive

S = PolicySettings()
LEAD = 3.0


def _advised(d: Drive) -> list:
    return [e for e in d.events if e.details.get("advice") == "take_a_break"]


def _level3_incidents(n: int) -> list[tuple[float, str]]:
    """n closures long enough for `sleep` (level 3), each followed by a clear return to attention."""
    return [(LEAD, "ahead")] + [(S.sleep_s + 0.5, "closed"), (S.warning_end_s + 3, "ahead")] * n


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_take_a_break_is_advised_from_the_nth_level_three_warning_of_a_drive(fps):
    n = S.break_advisory_after
    d = Drive(_level3_incidents(n + 1), fps=fps)
    advised = _advised(d)
    assert [e.details["level3_warnings"] for e in advised] == [n, n + 1]
    assert all(e.level == 3 and e.phase != "end" for e in advised)
    cycle = S.sleep_s + 0.5 + S.warning_end_s + 3
    first_level3 = LEAD + (n - 1) * cycle + S.sleep_s
    assert advised[0].t == pytest.approx(first_level3, abs=d.frame + 1e-9)
    fewer = Drive(_level3_incidents(n - 1), fps=fps)
    assert fewer.events and not _advised(fewer)


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_rest_below_the_monitoring_speed_starts_a_new_drive(fps):
    n = S.break_advisory_after
    before = _level3_incidents(n - 1)
    rest_from = sum(s for s, _ in before)
    rest_to = rest_from + S.break_rest_s + 1
    behaviour = before + [(S.break_rest_s + 1, "ahead")] + _level3_incidents(n - 1)

    def speed(t):
        return 0.0 if rest_from <= t < rest_to else 60.0

    d = Drive(behaviour, speed=speed, fps=fps)
    assert not _advised(d)

    def short_rest_speed(t):
        return 0.0 if rest_from <= t < rest_from + S.break_rest_s / 2 else 60.0

    short_rest = Drive(
        before + [(S.break_rest_s / 2, "ahead")] + _level3_incidents(1), speed=short_rest_speed, fps=fps
    )
    assert len(_advised(short_rest)) == 1


def test_a_blocked_camera_does_not_count_towards_the_advisory():
    s = PolicySettings(break_advisory_after=1)
    d = Drive([(LEAD, "ahead"), (s.not_monitoring_level3_s + 1, "no_face")], settings=s)
    assert d.monitor.active() == {"not_monitoring": 3} and not _advised(d)


# --- yawning -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fps", FRAME_RATES)
def test_a_yawn_is_recorded_once_silently_with_its_onset(fps):
    held = S.yawn_min_s + 2
    d = Drive([(LEAD, "ahead"), (held, "yawning"), (3, "ahead")], fps=fps)
    assert d.phases("yawning") == [("start", 0), ("end", 0)]
    yawn = d.first("yawning")
    assert yawn.onset_t == pytest.approx(LEAD)
    assert yawn.t == pytest.approx(LEAD + S.yawn_min_s, abs=d.frame + 1e-9)
    assert yawn.details["mouth_open"] >= S.yawn_mouth_open and yawn.details["yawns_in_window"] == 1
    assert d.first("yawning", "end").t == pytest.approx(LEAD + held + S.flicker_tolerance_s, abs=2 * d.frame)
    assert {e.type for e in d.events} == {"yawning"}


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_speech_length_mouth_openings_are_no_yawns(fps):
    d = Drive([(LEAD, "ahead")] + [(S.yawn_min_s - 0.5, "yawning"), (0.5, "ahead")] * 20, fps=fps)
    assert d.events == []


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_repeated_yawns_raise_drowsiness(fps):
    n, gap = S.yawns_drowsy, 20.0
    d = Drive([(LEAD, "ahead")] + [(S.yawn_min_s + 1, "yawning"), (gap, "ahead")] * n, fps=fps)
    assert len(d.starts("yawning")) == n
    drowsy = d.first("drowsiness")
    nth_yawn = LEAD + (n - 1) * (S.yawn_min_s + 1 + gap) + S.yawn_min_s
    assert drowsy.details["rule"] == "yawning" and drowsy.level == 1
    assert drowsy.t == pytest.approx(nth_yawn, abs=d.frame + 1e-9)
    assert len(d.starts("drowsiness")) == 1
    fewer = Drive([(LEAD, "ahead")] + [(S.yawn_min_s + 1, "yawning"), (gap, "ahead")] * (n - 1), fps=fps)
    assert fewer.starts("drowsiness") == []


# --- nodding -----------------------------------------------------------------------------------------------
NOD_RATE_DEG_S = 30.0  # how fast the head drops while dozing off
NOD_CLOSURE_S = 0.8  # a long blink, still shorter than a microsleep


def _nodding(fps: float, nods: int, gap: float = 15.0, head_drops: bool = True):
    """Attentive driving with `nods` long closures during which the head drops (or stays still)."""
    behaviour = [(LEAD, "ahead")] + [(NOD_CLOSURE_S, "closed"), (gap, "ahead")] * nods
    out, closed_since = [], None
    for s in frames(behaviour, fps):
        if s.eyes_closed:
            closed_since = s.t if closed_since is None else closed_since
            drop = NOD_RATE_DEG_S * (s.t - closed_since) if head_drops else 0.0
            s = replace(s, head_pitch=-drop)
        else:
            closed_since = None
        out.append(s)
    return out


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_nods_with_closed_eyes_raise_drowsiness(fps):
    n, gap = S.nods_drowsy, 15.0
    d = Drive(None, signals=_nodding(fps, n, gap), fps=fps)
    drowsy = d.first("drowsiness")
    assert drowsy.details["rule"] == "nodding" and drowsy.details["nods"] == n
    nth_closure = LEAD + (n - 1) * (NOD_CLOSURE_S + gap)
    after = max(S.nod_min_closure_s, S.nod_pitch_drop_deg / NOD_RATE_DEG_S)
    assert drowsy.t == pytest.approx(nth_closure + after, abs=d.frame + 1e-9)
    assert d.starts("microsleep") == []
    assert Drive(None, signals=_nodding(fps, n - 1, gap), fps=fps).events == []


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_long_blinks_with_a_still_head_or_a_look_down_are_no_nods(fps):
    still = Drive(None, signals=_nodding(fps, S.nods_drowsy + 1, head_drops=False), fps=fps)
    assert still.starts("drowsiness") == [] or still.first("drowsiness").details["rule"] == "long_blinks"
    assert still.monitor._nods.count() == 0
    # the head goes down into the lap first, then a long blink there: the pitch is already down
    looks = [(LEAD, "ahead")] + [(1.0, "lap"), (NOD_CLOSURE_S, "closed"), (10, "ahead")] * 3
    lap = [replace(s, head_pitch=-40.0) if s.eyes_closed else s for s in frames(looks, fps)]
    looked_down = Drive(None, signals=lap, fps=fps)
    assert looked_down.monitor._nods.count() == 0
    assert "nodding" not in {e.details.get("rule") for e in looked_down.starts("drowsiness")}
