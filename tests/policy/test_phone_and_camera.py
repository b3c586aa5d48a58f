"""Phone use (a hand at the ear, or below the face with the gaze down) and the camera-health reasons of
`not_monitoring` (sunglasses, a face cut by the frame edge), on synthetic frames with fake time."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from edge.policy import PolicySettings
from tests.support.drive import Drive


def test_phone_at_the_ear_raised_after_phone_use_s_and_escalates_to_the_spoken_level():
    d = Drive([(3, "ahead"), (11, "phone_at_ear"), (3, "ahead")])
    assert d.at(5.95) == {}
    assert d.at(6.05) == {"phone_use": 1}
    first = d.first("phone_use")
    assert first.onset_t == pytest.approx(3.0) and first.t - first.onset_t <= 3.0 + d.frame
    assert first.details["posture"] == "at_ear"
    assert d.at(9.05) == {"phone_use": 2}
    assert d.at(13.05) == {"phone_use": 3}
    assert d.at(14.9) == {"phone_use": 3}  # hand down at 14 s: not yet 1 s without it
    assert d.at(15.1) == {}
    assert d.phases("phone_use") == [("start", 1), ("escalate", 2), ("escalate", 3), ("end", 3)]


def test_phone_in_the_lap_is_phone_use_besides_the_long_glance():
    d = Drive([(3, "ahead"), (4, "phone_in_lap"), (3, "ahead")])
    assert d.at(6.05) == {"phone_use": 1, "long_distraction": 1}
    assert d.first("phone_use").details["posture"] == "below_face"


def test_a_short_phone_posture_raises_nothing_and_a_gap_of_one_missed_run_does_not_restart_it():
    assert Drive([(3, "ahead"), (2.8, "phone_at_ear"), (3, "ahead")]).events == []
    d = Drive([(3, "ahead"), (1.5, "phone_at_ear"), (0.2, "ahead"), (1.5, "phone_at_ear"), (2, "ahead")])
    assert d.first("phone_use").onset_t == pytest.approx(3.0)


def test_phone_use_below_the_warning_speed_is_recorded_silently():
    d = Drive([(3, "ahead"), (5, "phone_at_ear")], speed=15.0)
    assert d.first("phone_use").level == 0


def test_phone_use_timings_must_increase():
    with pytest.raises(ValidationError, match="phone_use_s < phone_use_level2_s"):
        PolicySettings(phone_use_s=6.0, phone_use_level2_s=5.0)
    with pytest.raises(ValidationError):
        PolicySettings(phone_use_s=0)
    with pytest.raises(ValidationError):
        PolicySettings(phone_use_sec=3)  # extra=forbid


@pytest.mark.parametrize(
    ("what", "reason"),
    [("sunglasses", "sunglasses"), ("face_cut", "camera_misaimed"), ("lens_dirty", "lens_dirty")],
)
def test_not_monitoring_says_why_the_camera_cannot_see_the_eyes(what, reason):
    d = Drive([(3, "ahead"), (8, what), (3, "ahead")])
    ev = d.first("not_monitoring")
    assert ev.t - ev.onset_t == pytest.approx(5.0, abs=d.frame)
    assert ev.details["reason"] == reason
    assert d.monitor.state_summary().camera_health == "ok"  # measured again at the end
    during = Drive([(3, "ahead"), (8, what)])
    assert during.monitor.state_summary().camera_health == reason


def test_a_face_off_centre_for_a_sustained_time_reports_a_misaimed_camera_but_is_still_measured():
    short = Drive([(3, "ahead"), (9, "off_centre")])
    assert short.monitor.state_summary().camera_health == "ok"
    d = Drive([(3, "ahead"), (11, "off_centre")])
    assert d.monitor.state_summary().camera_health == "camera_misaimed"
    assert d.events == []  # the driver is still measured: no not_monitoring
