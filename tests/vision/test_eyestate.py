"""Eye openness from a lid contour and the driver-adaptive closure decision, on synthetic data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from edge.vision.eyestate import (
    EyeStateEstimator,
    EyeStateSettings,
    RunningPercentile,
    combine_eyes,
    eyes_visible,
    lid_openness,
)

FPS = 30.0


def lid_contour(width: float, gap: float, cx: float = 100.0, cy: float = 100.0) -> np.ndarray:
    """A 71-point iris-model style contour whose 16 lid points describe an eye `width` wide, `gap` open."""
    xs = np.linspace(-width / 2, width / 2, 9)
    shape = np.sqrt(np.clip(1 - (2 * xs / width) ** 2, 0, 1))
    lower = np.stack([cx + xs, cy + gap / 2 * shape], axis=1)
    upper = np.stack([cx + xs[1:8], cy - gap / 2 * shape[1:8]], axis=1)
    rest = np.tile([[cx, cy - width]], (71 - 16, 1))
    return np.concatenate([lower, upper, rest])


def face_with(gap_l: float, gap_r: float, width_l: float = 30.0, width_r: float = 30.0) -> SimpleNamespace:
    return SimpleNamespace(
        left_eye=SimpleNamespace(contour=lid_contour(width_l, gap_l, cx=80)),
        right_eye=SimpleNamespace(contour=lid_contour(width_r, gap_r, cx=140)),
    )


def test_openness_is_lid_gap_over_width():
    o = lid_openness(lid_contour(40.0, 12.0))
    # mean gap over the 7 inner point pairs of an elliptic eye, divided by the width
    xs = np.linspace(-1, 1, 9)[1:8]
    assert o == pytest.approx(12.0 * np.sqrt(1 - xs**2).mean() / 40.0)
    assert lid_openness(lid_contour(40.0, 0.0)) == pytest.approx(0.0)
    assert lid_openness(np.full((71, 2), np.nan)) is None


def test_turned_away_eye_is_left_out():
    s = EyeStateSettings()
    assert combine_eyes(0.3, 0.1, 30.0, 30.0, s) == pytest.approx(0.2)
    # right eye foreshortened by head yaw: judge by the left one alone
    assert combine_eyes(0.3, 0.1, 30.0, 12.0, s) == pytest.approx(0.3)
    assert combine_eyes(None, None, 30.0, 30.0, s) is None


def run(est: EyeStateEstimator, openness: list[float], start: float = 0.0) -> list:
    return [est.update_openness(o, start + i / FPS) for i, o in enumerate(openness)]


def blink_train(open_level: float, seconds: float, closed_frames=(60, 61, 62, 63), depth=0.2) -> list[float]:
    """Open eyes with a blink every 3 s; `depth`: openness at the bottom of a blink, share of open."""
    values = [open_level] * int(seconds * FPS)
    for i in range(len(values)):
        if i % 90 in closed_frames:
            values[i] = open_level * depth
    return values


@pytest.mark.parametrize("open_level", [0.12, 0.30, 0.45])
def test_baseline_adapts_to_narrow_and_wide_eyes(open_level):
    est = EyeStateEstimator()
    states = run(est, blink_train(open_level, 6.0))
    assert est.baseline() == pytest.approx(open_level, rel=0.02)
    late = states[len(states) // 2 :]
    closed = [s.closed for s in late]
    expected = [(i + len(states) // 2) % 90 in (60, 61, 62, 63) for i in range(len(late))]
    assert closed == expected
    assert max(s.closure for s, e in zip(late, expected) if not e) < 0.05


def test_a_start_with_closed_eyes_is_not_taken_for_the_open_level():
    est = EyeStateEstimator()
    states = run(est, [0.05] * 4 + [0.25] * 60 + [0.05] * 4)
    assert est.baseline() == pytest.approx(0.25)
    assert not any(s.closed for s in states[4:64]) and all(s.closed for s in states[64:])


def test_narrow_eyes_need_no_prior():
    """The open level starts from the driver's first frame: no population value to be wrong about."""
    est = EyeStateEstimator()
    states = run(est, [0.08] * 60)
    assert not any(s.closed for s in states) and max(s.closure for s in states) == 0.0


def test_long_closure_does_not_become_the_new_open_level():
    est = EyeStateEstimator()
    values = [0.3] * 300 + [0.3 * 0.2] * 900  # 10 s open, then 30 s closed
    states = run(est, values)
    assert all(s.closed for s in states[301:])
    assert est.baseline() == pytest.approx(0.3)


def test_hysteresis_keeps_a_wavering_closure_closed():
    s = EyeStateSettings(lid_closed_on=0.7, lid_closed_off=0.6)  # the lid gap deciding alone
    est = EyeStateEstimator(s)
    run(est, [0.3] * 60)
    level = lambda c: 0.3 * (1 - c * (1 - est.closed_share()))
    out = [
        est.update_openness(level(c), 2 + i / FPS).closed
        for i, c in enumerate([0.75, 0.65, 0.72, 0.55, 0.65])
    ]
    assert out == [True, True, True, False, False]


@pytest.mark.parametrize("depth", [0.05, 0.5])
def test_closed_level_adapts_to_how_far_the_lids_come_together(depth):
    """Some eyes (or low-resolution crops) stop half-way at the bottom of a blink: learn that depth."""
    est = EyeStateEstimator()
    states = run(est, blink_train(0.25, 12.0, depth=depth))
    prior = est.settings.prior_closed_share
    assert est.closed_share() == pytest.approx((4 * depth + prior) / 5, abs=0.01)  # 4 blinks + the prior
    bottoms = [s for i, s in enumerate(states) if i % 90 in (60, 61, 62, 63)]
    assert all(s.closed and s.closure > 0.9 for s in bottoms[4:])


def test_no_lid_contour_is_not_measurable():
    """The face mesh without its iris model gives eye corners only: no lids to judge."""
    corners_only = SimpleNamespace(contour=np.array([[70.0, 100.0], [90.0, 100.0]]))
    st = EyeStateEstimator().update(SimpleNamespace(left_eye=corners_only, right_eye=corners_only), 0.0)
    assert not st.measurable and st.closed is None


def test_no_face_is_not_measurable():
    est = EyeStateEstimator()
    st = est.update(None, 0.0)
    assert not st.measurable and st.closed is None and st.closure is None
    st = est.update(face_with(9.0, 9.0), 0.1)
    assert st.measurable and st.closure is not None


def test_dark_lenses_make_eyes_unmeasurable():
    img = np.full((200, 220, 3), 150, np.uint8)
    face = face_with(9.0, 9.0)
    face.landmarks = np.array([[40.0, 40.0], [180.0, 180.0]])
    assert eyes_visible(img, face)
    for cx in (80, 140):  # paint two dark lenses over the eyes
        img[85:115, cx - 22 : cx + 22] = 20
    assert not eyes_visible(img, face)


def test_running_percentile_matches_numpy_over_a_sliding_window():
    rng = np.random.default_rng(1)
    rp = RunningPercentile(80.0)
    values = rng.random(400)
    for i, v in enumerate(values):
        rp.add(i / FPS, float(v))
        rp.drop_before((i - 59.5) / FPS, keep=5)
        window = values[max(0, i - 59) : i + 1]  # the last 60 frames: 2 s at 30 fps
        assert rp.value() == pytest.approx(np.percentile(window, 80.0))


def test_looking_down_does_not_teach_the_closed_level():
    """Lids lowered for seconds (a glance at the lap) are not a blink: the closed level keeps its prior."""
    est = EyeStateEstimator()
    run(est, [0.25] * 60 + [0.25 * 0.6] * 60 + [0.25] * 30)
    assert est.closed_share() == est.settings.prior_closed_share


def test_a_first_blink_deeper_than_the_prior_sets_the_closed_level_at_once():
    """Before any blink is known the prior (~0.5 of open) rules; a dip going deeper takes over mid-blink,
    so the half-open frames of a driver's very first blink on the way up are not counted as closed."""
    est = EyeStateEstimator()
    shares = [1.0] * 30 + [0.45, 0.1, 0.1, 0.6, 1.0]  # down, bottom, bottom, opening (prior alone: closed)
    states = run(est, [0.25 * s for s in shares])
    assert [s.closed for s in states[30:]] == [True, True, True, False, False]
    assert est.closed_share() == pytest.approx(
        (0.1 + est.settings.prior_closed_share) / 2
    )  # then learnt as usual
    assert est.blink_depths() == [pytest.approx(0.1)]


def test_a_shallow_dip_never_makes_closed_sooner():
    """Only a dip deeper than the known closed level counts at once: squinting changes nothing."""
    est = EyeStateEstimator()
    run(est, [0.25] * 30)
    before = est.closed_share()
    est.update_openness(0.25 * 0.7, 30 / FPS)
    assert est.closed_share(ongoing=True) == before


def _blinking(level: float, seconds: float, every_s: float = 3.0, bottom: float = 0.3) -> list[float]:
    """Openness of eyes open at `level` with a 0.2 s blink down to `bottom` of it every `every_s`."""
    values = []
    for i in range(int(seconds * FPS)):
        in_blink = (i % int(every_s * FPS)) >= int((every_s - 0.2) * FPS)
        values.append(level * bottom if in_blink else level)
    return values


def test_a_closed_reading_that_still_blinks_relearns_the_open_level():
    """Issue 25: a narrower-eyed driver nobody noticed reads closed against the last driver's level; the
    blinks still visible inside that reading prove the eyes open, and the level is learnt anew."""
    est = EyeStateEstimator()
    wide = run(est, _blinking(0.30, 20))
    assert not any(s.closed for s in wide[: int(2.8 * FPS)])
    narrow = run(est, _blinking(0.18, 20), start=20.0)  # 0.6 of the last open level: reads closed at first
    assert narrow[0].closed
    recovered = next(i for i, s in enumerate(narrow) if not s.closed) / FPS
    assert recovered <= 2 * 3.0 + 0.5  # after the second blink inside the closed reading
    assert not any(s.closed for s in narrow[int(7 * FPS) :] if s.openness > 0.1)
    assert est.baseline() == pytest.approx(0.18)


def test_shut_eyes_never_relearn_the_open_level():
    """A sleeping driver's lids move by noise only: a long closure stays closed, the open level stays."""
    est = EyeStateEstimator()
    run(est, _blinking(0.30, 20))
    rng = np.random.default_rng(0)
    shut = run(est, list(0.30 * 0.3 + rng.normal(0, 0.01, int(30 * FPS))), start=20.0)
    assert all(s.closed for s in shut)
    assert est.baseline() == pytest.approx(0.30)


def test_relearning_on_blinks_can_be_switched_off():
    est = EyeStateEstimator(EyeStateSettings(relearn_on_blinks=0))
    run(est, _blinking(0.30, 20))
    narrow = run(est, _blinking(0.18, 20), start=20.0)
    assert sum(s.closed for s in narrow) > 0.9 * len(narrow)
