"""The hand detector (MediaPipe's palm detection, lite) and the phone postures it reports.

What the palm detector is shown here: DRAWN hands (edge.scenarios.compose.draw_hand: a skin-toned
silhouette, not a photograph) on a synthetic background and on real dev faces. No real photograph of a
hand was found in an installable package, so these tests show the decoding and that the model fires on
a hand shape, not how it does on real hands in a cab."""

from __future__ import annotations

import numpy as np
import pytest

from edge.scenarios.compose import draw_hand
from edge.vision.hands import (
    AT_EAR,
    BELOW_FACE,
    HandCheck,
    HandSettings,
    HandWatch,
    Palm,
    PalmDetector,
    phone_posture,
)

FACE = (100.0, 60.0, 200.0, 180.0)  # x0, y0, x1, y1: 100 px wide, 120 px high


def _background(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(60, 160, 320)[None, :, None] + rng.normal(0, 4, (240, 320, 3))
    return np.clip(ramp, 0, 255).astype(np.uint8)


def _palm(cx: float, cy: float, size: float = 40.0) -> Palm:
    box = (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2)
    return Palm(box, box, np.zeros((7, 2), np.float32), 0.9)


class _FakeModel:
    """One anchor fires: the one whose centre is nearest (0.25, 0.5), a 48x48 px palm at that centre."""

    def __init__(self, anchors):
        self.hit = int(np.argmin(np.hypot(anchors[:, 0] - 0.25, anchors[:, 1] - 0.5)))
        self.calls = 0

    def run(self, batch):
        assert batch.shape == (1, 192, 192, 3) and 0.0 <= batch.min() and batch.max() <= 1.0
        self.calls += 1
        raw = np.zeros((1, 2016, 18), np.float32)
        logits = np.full((1, 2016, 1), -20.0, np.float32)
        raw[0, self.hit, 2:4] = 48.0
        logits[0, self.hit] = 5.0
        return [raw.reshape(1, -1), logits.reshape(1, -1)]


def test_anchor_decoding_maps_the_letterboxed_palm_back_to_picture_pixels():
    from edge.vision.face_detector import ssd_anchors

    anchors = ssd_anchors(192, (8, 16, 16, 16))
    assert anchors.shape == (2016, 2)  # 24x24x2 + 12x12x6
    model = _FakeModel(anchors)
    detector = PalmDetector(model=model)
    (palm,) = detector.detect(np.zeros((240, 320, 3), np.uint8))  # 320 wide: 40 px pad above and below
    cx, cy = anchors[model.hit]
    assert palm.centre == pytest.approx((cx * 320, cy * 320 - 40), abs=1e-3)
    assert palm.size == pytest.approx(48 / 192 * 320, abs=1e-3)
    assert palm.score == pytest.approx(1 / (1 + np.exp(-5.0)), abs=1e-6)


@pytest.fixture(scope="module")
def detector() -> PalmDetector:
    return PalmDetector()


def test_the_model_fires_on_drawn_hands_and_not_on_an_empty_background(detector):
    assert detector.detect(_background()) == []
    for centre, size, angle in (((80, 120), 50, 0), ((200, 100), 60, -15), ((160, 150), 40, 20)):
        palms = detector.detect(draw_hand(_background(), centre, size, angle))
        assert palms and palms[0].score >= 0.5, (centre, size, angle)
        assert np.hypot(*(np.subtract(palms[0].centre, centre))) < 0.5 * size


@pytest.mark.dataset
def test_a_drawn_hand_at_a_real_faces_ear_is_phone_use_through_the_pipeline(zju_dataset):
    from edge.evaluation.runner import decoded_pictures
    from edge.vision.pipeline import VisionPipeline, VisionSettings

    pictures = [img for i, img in decoded_pictures(zju_dataset / "clips/2/000001M_FNN.avi") if i < 12]
    pipeline = VisionPipeline(VisionSettings(hands={"enabled": True}))
    plain = [pipeline.process(p, i / 30, i) for i, p in enumerate(pictures)]
    assert all(s.face_found and s.phone_posture is None for s in plain)
    x0, y0, x1, y1 = plain[-1].face_box
    w, h = x1 - x0, y1 - y0
    pipeline.reset()
    held = [
        pipeline.process(draw_hand(p, (x0 - 0.05 * w, y0 + 0.5 * h), 0.4 * w, -15), i / 30, i)
        for i, p in enumerate(pictures)
    ]
    assert all(s.face_found and s.eyes_measurable for s in held)
    assert [s.phone_posture for s in held] == [AT_EAR] * len(held)
    assert "hands" in held[0].timings_ms  # a new stream looks at once


def test_postures_beside_the_face_and_below_it_with_the_gaze_down():
    s = HandSettings()
    assert phone_posture([_palm(90, 130)], FACE, 0.0, s) == AT_EAR  # left of the face, ear height
    assert phone_posture([_palm(215, 150)], FACE, 0.0, s) == AT_EAR  # right side
    assert phone_posture([_palm(150, 260)], FACE, 0.0, s) is None  # below, looking ahead
    assert phone_posture([_palm(150, 260)], FACE, -20.0, s) == BELOW_FACE  # below, looking down
    assert phone_posture([_palm(90, 30)], FACE, 0.0, s) is None  # above the face: a hand on the head
    assert phone_posture([_palm(20, 130, size=10)], FACE, 0.0, s) is None  # too small: not the driver's
    assert phone_posture([_palm(90, 130)], None, 0.0, s) is None  # no face: no posture


class _CountingDetector:
    def __init__(self, palms):
        self.palms, self.calls = palms, 0

    def detect(self, image):
        self.calls += 1
        return self.palms


class _BlockDetector(_CountingDetector):
    """Finds a palm at the ear while the bright block is in the picture."""

    def detect(self, image):
        self.calls += 1
        return [_palm(90, 130)] if image[130, 80, 0] == 200 else []


def test_the_detector_runs_on_a_change_beside_the_face_and_follows_a_hand_else_idles():
    fake = _BlockDetector([])
    watch = HandWatch(
        HandSettings(confirm=False), detector=fake
    )  # 2.5 Hz on a change, 5 Hz while a hand is seen, 1 Hz otherwise
    still = np.full((240, 320, 3), 90, np.uint8)
    hand = still.copy()
    hand[100:160, 60:100] = 200  # something bright comes up beside the face
    frames = [hand if 45 <= i < 75 else still for i in range(120)]
    ran = [watch.update(image, i / 30, FACE, 0.0) for i, image in enumerate(frames)]
    runs = [i for i, (_, r) in enumerate(ran) if r]
    # idle at 0 and 1 s; the change at 1.5 s, then 5 Hz while the hand is seen and for 1 s after the last
    # run that saw it (2.3 s), then idle again: the hand gone at 2.5 s is a change, but no run since
    # then saw a hand, and a change alone does not keep the detector busy
    assert runs == [0, 30, 45, *range(51, 100, 6)]
    assert [p for p, _ in ran[45:75]] == [AT_EAR] * 30  # the palms hold between runs
    assert ran[75][0] is None and ran[100][0] is None
    assert watch.update(still, 5.0, None, None) == (None, False)  # no face: no run, no posture
    watch.reset()
    assert watch.update(still, 0.0, FACE, 0.0)[1]  # a new stream runs at once
    always = _CountingDetector([])
    watch = HandWatch(HandSettings(change_level=0, confirm=False), detector=always)
    for i in range(30):
        watch.update(still, i / 30, FACE, 0.0)
    assert always.calls == 5  # change_level 0: every 0.2 s


class _NoHand:
    def presence(self, image, palm):
        return 0.1


def test_a_moving_head_or_a_palm_the_check_throws_out_costs_no_more_than_the_change_rate():
    """Heads move all day: a change around the face runs the detector at most at change_rate_hz (2.5 Hz),
    each such run looking again at rate_hz for RELOOK_S (0.4 s: two more runs), and a palm the hand check
    rejects does not keep it at rate_hz: at most 3 runs per 0.8 s, not 5 Hz throughout."""
    frames = [_background(i) for i in range(90)]  # the region changes on every frame
    for detector, check in ((_CountingDetector([]), None), (_CountingDetector([_palm(90, 130)]), _NoHand())):
        watch = HandWatch(
            HandSettings(confirm=check is not None, change_level=1.0), detector=detector, check=check
        )
        runs = [i for i, image in enumerate(frames) if watch.update(image, i / 30, FACE, 0.0)[1]]
        assert runs == [0, *(start + k for start in range(12, 90, 24) for k in (0, 6, 12) if start + k < 90)]
        assert all(watch.update(frames[0], 3.0 + i / 30, FACE, 0.0)[0] is None for i in range(3))


class _Presence:
    """A hand landmark model whose hand presence is the mean brightness of the top-middle of its crop."""

    def __init__(self):
        self.patches = []

    def run(self, batch):
        assert batch.shape == (1, 224, 224, 3)
        self.patches.append(batch[0])
        return [
            np.zeros((1, 63)),
            np.array([[batch[0, :40, 92:132].mean()]]),
            np.zeros((1, 1)),
            np.zeros((1, 63)),
        ]


def _pointing(wrist, middle, size=40.0) -> Palm:
    """A palm box of `size` around the middle of wrist and middle knuckle, keypoints 0 and 2 set."""
    kp = np.zeros((7, 2), np.float32)
    kp[0], kp[2] = wrist, middle
    cx, cy = (wrist[0] + middle[0]) / 2, (wrist[1] + middle[1]) / 2
    box = (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2)
    return Palm(box, box, kp, 0.9)


def test_the_landmark_check_sees_the_hand_turned_fingers_up():
    image = np.zeros((240, 320, 3), np.uint8)
    image[110:150, 215:235] = 255  # fingertips to the right of a palm at (160, 130)
    model = _Presence()
    check = HandCheck(model=model)
    right = check.presence(image, _pointing((140, 130), (180, 130)))  # fingers pointing right
    up = check.presence(image, _pointing((160, 150), (160, 110)))  # fingers pointing up: the bright
    assert right > 0.9 and up < 0.1  # ...block is beside that hand, not above it
    assert model.patches[0][200:, 92:132].mean() < 0.1  # the wrist side is at the bottom


class _Check:
    def __init__(self, present):
        self.present, self.calls = present, 0

    def presence(self, image, palm):
        self.calls += 1
        return 0.9 if palm.centre in self.present else 0.1


def test_only_palms_the_landmark_model_confirms_count_and_it_runs_only_on_a_palm_found():
    hand, thing = _palm(90, 130), _palm(215, 150)  # both at the ear; only the first a hand
    check = _Check({hand.centre})
    watch = HandWatch(HandSettings(), detector=_CountingDetector([thing]), check=check)
    assert watch.update(np.zeros((240, 320, 3), np.uint8), 0.0, FACE, 0.0) == (None, True)
    assert watch.found == [thing] and watch.palms == [] and check.calls == 1
    watch = HandWatch(HandSettings(), detector=_CountingDetector([thing, hand]), check=check)
    assert watch.update(np.zeros((240, 320, 3), np.uint8), 0.0, FACE, 0.0) == (AT_EAR, True)
    assert watch.palms == [hand] and check.calls == 3
    empty = HandWatch(HandSettings(), detector=_CountingDetector([]), check=check)
    empty.update(np.zeros((240, 320, 3), np.uint8), 0.0, FACE, 0.0)
    assert check.calls == 3  # no palm found: the landmark model does not run
    unchecked = HandWatch(HandSettings(confirm=False), detector=_CountingDetector([thing]))
    assert unchecked.check is None
    assert unchecked.update(np.zeros((240, 320, 3), np.uint8), 0.0, FACE, 0.0) == (AT_EAR, True)


def test_the_landmark_model_confirms_drawn_hands_and_refuses_a_palm_on_an_empty_background(detector):
    check = HandCheck()
    for centre, size, angle in (((80, 120), 50, 0), ((200, 100), 60, -15), ((160, 150), 40, 20)):
        picture = draw_hand(_background(), centre, size, angle)
        (palm, *_) = detector.detect(picture)
        assert check.presence(picture, palm) >= 0.5, (centre, size, angle)
        assert check.presence(_background(), palm) < 0.5  # the same place without the hand


def test_hand_settings_are_bounded_and_closed():
    with pytest.raises(ValueError):
        HandSettings(rate_hz=0)
    with pytest.raises(ValueError):
        HandSettings(rate=5)


def test_without_litert_the_pipeline_says_so_in_one_line(monkeypatch):
    from dms.errors import UserError
    from edge.vision import backends
    from edge.vision.pipeline import VisionPipeline, VisionSettings

    monkeypatch.setattr(backends, "litert_available", lambda: False)
    with pytest.raises(UserError, match="vision.hands") as refused:
        VisionPipeline(VisionSettings(hands={"enabled": True}), face_mesh=object(), eye_model=object())
    assert "hands.enabled: false" in refused.value.hint
    assert VisionPipeline(face_mesh=object(), eye_model=object()).hands is None  # off by default
