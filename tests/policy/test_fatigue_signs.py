"""Issue 15, the new states: the 'take a break' advisory after repeated level-3 warnings, yawning and
head nodding. Openpilot style, at 10, 15, 20 and 30 fps, check times from `PolicySettings`."""
from __future__ import annotations

import pytest

from edge.policy import PolicySettings
from tests.policy.drive import FRAME_RATES, Drive

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
    assert Drive(_level3_incidents(n - 1), fps=fps).events and not _advised(Drive(_level3_incidents(n - 1), fps=fps))


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
    short_rest = Drive(before + [(S.break_rest_s / 2, "ahead")] + _level3_incidents(1),
                       speed=lambda t: 0.0 if rest_from <= t < rest_from + S.break_rest_s / 2 else 60.0, fps=fps)
    assert len(_advised(short_rest)) == 1


def test_a_blocked_camera_does_not_count_towards_the_advisory():
    s = PolicySettings(break_advisory_after=1)
    d = Drive([(LEAD, "ahead"), (s.not_monitoring_level3_s + 1, "no_face")], settings=s)
    assert d.monitor.active() == {"not_monitoring": 3} and not _advised(d)
