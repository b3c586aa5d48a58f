"""Hands near the driver's face: BlazePalm (MediaPipe's palm detector, lite) and the phone posture.

Phone use shows on a driver camera as one of two postures (Euro NCAP counts either as phone use):

- **at the ear**: a hand beside the face, level with the ear or the jaw (holding a phone to the ear);
- **below the face, looking down**: the gaze (or the head) pitched down and a hand under the face
  (typing or reading on a phone held in front of the chest).

`HandWatch` runs the palm detector on demand, not every frame (one run costs about 4-5 ms on one core
here, more than the face models together): at `idle_rate_hz` (1 Hz) at least; when the region around the
face (beside and below it, shrunk to 32x24 grey) differs from the last run's by `change_level`, at most
at `change_rate_hz` (2.5 Hz), each such run looking again at `rate_hz` (5 Hz) for `RELOOK_S` (0.4 s: the
detector misses a hand now and then, and a hand on its way up is seen held a moment later); and at
`rate_hz` for `follow_s` (1 s) after a run that saw a hand (a palm the hand check kept), so a held phone is
followed at 5 Hz. A change alone does not keep it busy: heads move and backgrounds shift all day (on the
dev clips the runs fell from 3.0 to 2.1 per second, with the same phone-use detection times in the cabin
scenarios). It says, per frame, which posture the last run saw, from that run's palms and this frame's
face box and pitch; between runs the last palms hold. That costs detection delay: a hand coming up is
seen at most one `change_rate_hz` period (0.4 s) after it changes the region, and one that slipped in
without changing it enough at most one idle period (1 s) later; the policy's `phone_use_s` adds to it.

Decoding follows MediaPipe's `palm_detection_cpu` graph (SsdAnchorsCalculator: 192x192, strides 8/16/16/16,
fixed anchor size; TensorsToDetections: 18 values per anchor, box then 7 keypoints, sigmoid scores clipped
at 100, weighted NMS at 0.3), reusing the face detector's anchor and NMS code. The hand's box is made from
the palm as MediaPipe's PalmDetectionDetectionToRoi does (square of 2.6 palm sizes, shifted half a palm
towards the fingers, turned along wrist -> middle finger), taken axis-aligned.
The palm detector alone fires on things beside or under a face that are not hands (on the 40 hand-free dev
clips, in about a quarter of its runs). With `confirm` on, each palm it finds is shown to the hand landmark
model (`hand_landmark_lite.tflite`, MediaPipe's own second stage) on MediaPipe's crop of the hand (the
hand rectangle above, turned so the fingers point up, 224x224), and counts only when that model's hand
presence score reaches `min_presence` (MediaPipe's tracking threshold, 0.5). It runs only on a palm found,
so on a frame without a palm it costs nothing, and one run per palm when there is one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import Field

from dms.settings import Settings
from edge.vision.face_detector import RAW_SCORE_CLIP, ssd_anchors, weighted_nms

PALM_INPUT = 192
PALM_STRIDES = (8, 16, 16, 16)
PALM_KEYPOINTS = 7
LANDMARK_INPUT = 224
"""wrist, index MCP, middle MCP, ring MCP, pinky MCP, thumb CMC, thumb MCP."""
AT_EAR, BELOW_FACE = "at_ear", "below_face"
RELOOK_S = 0.4
"""After a run on a change around the face, the detector looks again at rate_hz for this long."""


class HandSettings(Settings):
    """The hand detector and the phone postures it reports (edge.vision.hands)."""

    enabled: bool = Field(
        False,
        description="Look for hands near the face (phone use). Off by default: the palm model costs about "
        "0.08x MediaPipe FaceMesh's CPU per frame on top of the 0.55x of the rest of the pipeline "
        "(benchmarks/README.md); the Pi 5 and Jetson board profiles and the demo switch it on.",
    )
    rate_hz: float = Field(
        5.0,
        gt=0,
        le=30,
        description="Palm detection runs at most this often, when the picture around the face "
        "changes (a hand coming up); between runs the last palms hold.",
    )
    idle_rate_hz: float = Field(
        1.0,
        gt=0,
        le=30,
        description="...and at least this often while it does not (a hand already there, held still).",
    )
    change_level: float = Field(
        30.0,
        ge=0,
        le=255,
        description="Grey-level change of the region around the face (beside and below it, shrunk "
        "to 32x24; mean of its most changed tenth) since the last run that counts as a change (a hand "
        "coming in); 0 runs at rate_hz always.",
    )
    change_rate_hz: float = Field(
        2.5,
        gt=0,
        le=30,
        description="A change around the face makes the model run at most this often (heads move all "
        "day), each time looking again at rate_hz for 0.4 s; once it has seen a hand it runs at rate_hz.",
    )
    follow_s: float = Field(
        1.0,
        ge=0,
        le=10,
        description="After a change around the face, or a run that saw a posture, the model keeps "
        "running at rate_hz this long (a hand held still is followed; a miss is looked at again).",
    )
    min_score: float = Field(0.5, gt=0, lt=1, description="Palm detection score threshold (MediaPipe: 0.5).")
    confirm: bool = Field(
        True,
        description="Show each palm found to the hand landmark model and keep it only when that model "
        "sees a hand (fewer false palms; one landmark run per palm found).",
    )
    min_presence: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="Hand presence score of the landmark model a palm needs to count (MediaPipe: 0.5).",
    )
    min_palm_to_face: float = Field(
        0.25,
        gt=0,
        le=2,
        description="Smallest palm box, as a share of the face width, that counts (a hand far "
        "behind the driver is not theirs).",
    )
    ear_reach: float = Field(
        0.45,
        gt=0,
        le=3,
        description="At the ear: the palm centre lies at most this many face widths outside "
        "the face box's side...",
    )
    ear_inside: float = Field(
        0.25, ge=0, le=0.5, description="...or at most this share of the face width inside it..."
    )
    ear_band: tuple[float, float] = Field(
        (0.2, 0.95),
        description="...and between these shares of the face height from its top (ear to jaw; "
        "not the shoulders under the chin, where the background fooled the detector).",
    )
    below_reach: float = Field(
        2.5,
        gt=0,
        le=6,
        description="Below the face: the palm centre lies under the face bottom, at most this "
        "many face heights down, and within half a face width of its sides.",
    )
    down_pitch_deg: float = Field(
        12.0,
        gt=0,
        le=60,
        description="Below the face counts only while the gaze (or, without gaze, the head) "
        "pitches down at least this far.",
    )


@dataclass(frozen=True, slots=True)
class Palm:
    """One palm in picture pixels: the palm box, the hand box made from it, the keypoints and the score."""

    box: tuple[float, float, float, float]
    hand_box: tuple[float, float, float, float]
    keypoints: np.ndarray
    score: float

    @property
    def centre(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return (x0 + x1) / 2, (y0 + y1) / 2

    @property
    def size(self) -> float:
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])


def hand_rect(box, keypoints: np.ndarray) -> tuple[float, float, float, float]:
    """MediaPipe's palm -> hand rectangle (PalmDetectionDetectionToRoi): (cx, cy, side, angle), a square of
    2.6 palms, shifted half a palm towards the fingers, turned by `angle` (radians, 0 with the fingers
    pointing up, clockwise in the picture)."""
    (wx, wy), (mx, my) = keypoints[0], keypoints[2]
    angle = math.pi / 2 - math.atan2(-(my - wy), mx - wx)
    w, h = box[2] - box[0], box[3] - box[1]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    cx += 0.5 * h * math.sin(angle)
    cy -= 0.5 * h * math.cos(angle)
    return cx, cy, 2.6 * max(w, h), angle


def hand_box(box: np.ndarray, keypoints: np.ndarray) -> tuple[float, float, float, float]:
    """The hand rectangle (`hand_rect`), axis-aligned."""
    cx, cy, side, angle = hand_rect(box, keypoints)
    reach = side / 2 * (abs(math.cos(angle)) + abs(math.sin(angle)))
    return (cx - reach, cy - reach, cx + reach, cy + reach)


class HandCheck:
    """`presence(image_bgr, palm)` -> the hand landmark model's hand presence score (0-1) on MediaPipe's
    crop of that palm's hand (needs `hand_landmark_lite.tflite`, LiteRT)."""

    def __init__(self, model=None, threads: int = 1):
        if model is None:
            from edge.vision.backends import LiteRtModel

            model = LiteRtModel("hand_landmark_lite", threads=threads)
        self._model = model

    def presence(self, image_bgr: np.ndarray, palm: Palm) -> float:
        cx, cy, side, angle = hand_rect(palm.box, palm.keypoints)
        half = side / 2
        up = np.array([math.sin(angle), -math.cos(angle)]) * half  # towards the fingers
        right = np.array([math.cos(angle), math.sin(angle)]) * half
        centre = np.array([cx, cy])
        corners = np.float32([centre + up - right, centre + up + right, centre - up - right])
        target = np.float32([[0, 0], [LANDMARK_INPUT, 0], [0, LANDMARK_INPUT]])
        m = cv2.getAffineTransform(corners, target)
        patch = cv2.warpAffine(image_bgr, m, (LANDMARK_INPUT, LANDMARK_INPUT), flags=cv2.INTER_LINEAR)
        x = cv2.cvtColor(patch, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        # outputs: 21 landmarks, hand presence (a probability already), handedness, world landmarks
        return float(self._model.run(x[None])[1].ravel()[0])


class PalmDetector:
    """`detect(image_bgr)` -> palms sorted by score (needs `palm_detection_lite.tflite`, LiteRT)."""

    def __init__(self, model=None, min_score: float = 0.5, nms_threshold: float = 0.3, threads: int = 1):
        if model is None:
            from edge.vision.backends import LiteRtModel

            model = LiteRtModel("palm_detection_lite", threads=threads)
        self._model = model
        self._anchors = ssd_anchors(PALM_INPUT, PALM_STRIDES)
        self._min_score = min_score
        self._nms = nms_threshold

    def detect(self, image_bgr: np.ndarray) -> list[Palm]:
        h, w = image_bgr.shape[:2]
        side = max(h, w)
        pad_x, pad_y = (side - w) / 2.0, (side - h) / 2.0
        scale = PALM_INPUT / side
        m = np.array([[scale, 0, pad_x * scale], [0, scale, pad_y * scale]], dtype=np.float32)
        patch = cv2.warpAffine(image_bgr, m, (PALM_INPUT, PALM_INPUT), flags=cv2.INTER_LINEAR)
        x = cv2.cvtColor(patch, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        out = self._model.run(x[None])
        raw, logits = (out[0], out[1]) if out[0].size > out[1].size else (out[1], out[0])
        raw = raw.reshape(-1, 4 + 2 * PALM_KEYPOINTS)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1), -RAW_SCORE_CLIP, RAW_SCORE_CLIP)))
        keep = scores >= self._min_score
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep] / PALM_INPUT, scores[keep], self._anchors[keep]
        cx, cy = raw[:, 0] + anchors[:, 0], raw[:, 1] + anchors[:, 1]
        boxes = np.stack([cx - raw[:, 2] / 2, cy - raw[:, 3] / 2, cx + raw[:, 2] / 2, cy + raw[:, 3] / 2], 1)
        kps = raw[:, 4:].reshape(-1, PALM_KEYPOINTS, 2) + anchors[:, None, :]
        palms = []
        for box, kp, score in weighted_nms(boxes, kps, scores, self._nms):
            box_px = box * side - np.array([pad_x, pad_y, pad_x, pad_y])
            kp_px = (kp * side - np.array([pad_x, pad_y])).astype(np.float32)
            palms.append(Palm(tuple(float(v) for v in box_px), hand_box(box_px, kp_px), kp_px, score))
        return palms


def phone_posture(
    palms: list[Palm],
    face_box: tuple[float, float, float, float] | None,
    pitch_deg: float | None,
    s: HandSettings,
) -> str | None:
    """'at_ear', 'below_face' or None for this face and these palms (see the module doc)."""
    if face_box is None:
        return None
    x0, y0, x1, y1 = face_box
    fw, fh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    looking_down = pitch_deg is not None and pitch_deg <= -s.down_pitch_deg
    below = False
    for palm in palms:
        if palm.size < s.min_palm_to_face * fw:
            continue
        px, py = palm.centre
        beside = (x0 - s.ear_reach * fw <= px <= x0 + s.ear_inside * fw) or (
            x1 - s.ear_inside * fw <= px <= x1 + s.ear_reach * fw
        )
        if beside and y0 + s.ear_band[0] * fh <= py <= y0 + s.ear_band[1] * fh:
            return AT_EAR
        if looking_down and y1 < py <= y1 + s.below_reach * fh and x0 - fw / 2 <= px <= x1 + fw / 2:
            below = True
    return BELOW_FACE if below else None


def _change(region: np.ndarray, reference: np.ndarray) -> float:
    """Mean absolute grey-level change of the most changed tenth of the cells: a hand changes a compact
    part of the region strongly, sensor noise and a slight head movement change all of it a little."""
    diff = np.sort(np.abs(region - reference).ravel())
    return float(diff[-max(1, diff.size // 10) :].mean())


class HandWatch:
    """Palm detection on the frames' own times, on demand: `update(image, t, face_box, pitch)` per frame
    -> (posture or None, whether the model ran on this frame). The model runs at `rate_hz` when the region
    around the face (beside and below it) has changed since the last run and for `follow_s` after such a
    change or a run that saw a posture, otherwise at `idle_rate_hz`; with no face it does not run and no
    posture holds."""

    def __init__(
        self,
        settings: HandSettings | None = None,
        detector: PalmDetector | None = None,
        check: HandCheck | None = None,
    ):
        self.s = settings or HandSettings()
        self.detector = detector or PalmDetector(min_score=self.s.min_score)
        self.check = (check or HandCheck()) if self.s.confirm else None
        self.found: list[Palm] = []
        """The palms the detector found on the last run, before the landmark model's check."""
        self._last_t: float | None = None
        self._region: np.ndarray | None = None  # the region around the face at the last run
        self._busy_until: float | None = None  # look at rate_hz until then (a hand seen)
        self._relook: float | None = None  # after a run on a change, look at rate_hz until then
        self.palms: list[Palm] = []
        self.ms: float | None = None

    def reset(self) -> None:
        self._last_t, self._region, self.palms, self._busy_until = None, None, [], None
        self.found, self._relook = [], None

    def _around_face(self, image: np.ndarray, face_box: tuple[float, float, float, float]) -> np.ndarray:
        x0, y0, x1, y1 = face_box
        fw, fh = x1 - x0, y1 - y0
        h, w = image.shape[:2]
        c0, c1 = int(max(0, x0 - 0.6 * fw)), int(min(w, x1 + 0.6 * fw))
        r0, r1 = int(max(0, y0)), int(min(h, y1 + 0.8 * fh))
        crop = image[r0:r1, c0:c1]
        if crop.size == 0:
            return np.zeros((24, 32), np.float32)
        if crop.ndim == 3:
            crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        return cv2.resize(crop, (32, 24), interpolation=cv2.INTER_AREA).astype(np.float32)

    def update(
        self,
        image_bgr: np.ndarray,
        t: float,
        face_box: tuple[float, float, float, float] | None,
        pitch_deg: float | None,
    ) -> tuple[str | None, bool]:
        if face_box is None:
            self.palms, self.found = [], []
            return None, False
        s, last = self.s, self._last_t
        since = None if last is None else t - last
        region = self._around_face(image_bgr, face_box) if s.change_level > 0 else None
        changed = region is None or (
            self._region is not None and _change(region, self._region) > s.change_level
        )
        busy = region is None or (self._busy_until is not None and 0 <= self._busy_until - t)
        relooking = self._relook is not None and 0 <= self._relook - t
        due = (
            since is None
            or since < 0
            or since >= 1.0 / s.idle_rate_hz - 1e-3
            or (busy and since >= 1.0 / s.rate_hz - 1e-3)
            or (changed and since >= 1.0 / s.change_rate_hz - 1e-3)
            or (relooking and since >= 1.0 / s.rate_hz - 1e-3)
        )
        if due and changed and not (busy or relooking):
            # a run on a change looks again at rate_hz for a short while: the detector misses a hand now
            # and then, and one still on its way up is seen held a moment later
            self._relook = t + RELOOK_S
        if due:
            start = time.perf_counter()
            self.found = self.detector.detect(image_bgr)
            self.palms = self.found
            if self.check is not None:
                self.palms = [p for p in self.found if self.check.presence(image_bgr, p) >= s.min_presence]
            self.ms = (time.perf_counter() - start) * 1000.0
            self._last_t, self._region = t, region
        posture = phone_posture(self.palms, face_box, pitch_deg, s)
        if due and (self.palms or posture is not None):
            # a hand is there (a palm the check kept): keep looking at rate_hz for a while (the detector
            # misses a hand now and then; one miss must not leave it to the idle rate). A change around the
            # face alone, or a palm the check threw out, asks for no more than change_rate_hz: heads move
            # and the background shifts all day.
            self._busy_until = t + s.follow_s
        return posture, due
