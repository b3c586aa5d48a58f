"""Hands near the driver's face: BlazePalm (MediaPipe's palm detector, lite) and the phone posture.

Phone use shows on a driver camera as one of two postures (Euro NCAP counts either as phone use):

- **at the ear**: a hand beside the face, level with the ear or the jaw (holding a phone to the ear);
- **below the face, looking down**: the gaze (or the head) pitched down and a hand under the face
  (typing or reading on a phone held in front of the chest).

`HandWatch` runs the palm detector at `rate_hz` (default 5 Hz, not every frame: it costs about as much as
the face detector) and says, per frame, which posture the last run saw, from that run's palms and this
frame's face box and pitch. Between runs the last palms hold. That costs detection delay: a hand raised
right after a run is seen at most one period (0.2 s at 5 Hz) later; the policy's `phone_use_s` adds to it.

Decoding follows MediaPipe's `palm_detection_cpu` graph (SsdAnchorsCalculator: 192x192, strides 8/16/16/16,
fixed anchor size; TensorsToDetections: 18 values per anchor, box then 7 keypoints, sigmoid scores clipped
at 100, weighted NMS at 0.3), reusing the face detector's anchor and NMS code. The hand's box is made from
the palm as MediaPipe's PalmDetectionDetectionToRoi does (square of 2.6 palm sizes, shifted half a palm
towards the fingers, turned along wrist -> middle finger), taken axis-aligned.
The hand landmark model (`hand_landmark_lite.tflite`) ships with it but is not run: the posture needs where
the hand is, not its fingers.
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
"""wrist, index MCP, middle MCP, ring MCP, pinky MCP, thumb CMC, thumb MCP."""
AT_EAR, BELOW_FACE = "at_ear", "below_face"


class HandSettings(Settings):
    """The hand detector and the phone postures it reports (edge.vision.hands)."""

    enabled: bool = Field(True, description="Look for hands near the face (phone use); off skips the model.")
    rate_hz: float = Field(
        5.0,
        gt=0,
        le=30,
        description="Palm detection runs at most this often; between runs the last palms hold, "
        "so a hand is seen up to 1/rate_hz late.",
    )
    min_score: float = Field(0.5, gt=0, lt=1, description="Palm detection score threshold (MediaPipe: 0.5).")
    min_palm_to_face: float = Field(
        0.25,
        gt=0,
        le=2,
        description="Smallest palm box, as a share of the face width, that counts (a hand far "
        "behind the driver is not theirs).",
    )
    ear_reach: float = Field(
        0.9,
        gt=0,
        le=3,
        description="At the ear: the palm centre lies at most this many face widths outside "
        "the face box's side...",
    )
    ear_inside: float = Field(
        0.25, ge=0, le=0.5, description="...or at most this share of the face width inside it."
    )
    ear_below: float = Field(
        0.4,
        ge=0,
        le=2,
        description="At the ear: the palm centre lies between the face top and this many face "
        "heights below the face bottom (a phone held to the ear and jaw).",
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


def hand_box(box: np.ndarray, keypoints: np.ndarray) -> tuple[float, float, float, float]:
    """MediaPipe's palm -> hand rectangle (2.6 palms square, half a palm towards the fingers), axis-aligned."""
    (wx, wy), (mx, my) = keypoints[0], keypoints[2]
    angle = math.pi / 2 - math.atan2(-(my - wy), mx - wx)  # 0 with the fingers pointing up
    w, h = box[2] - box[0], box[3] - box[1]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    cx += 0.5 * h * math.sin(angle)
    cy -= 0.5 * h * math.cos(angle)
    half = 1.3 * max(w, h)
    reach = half * (abs(math.cos(angle)) + abs(math.sin(angle)))
    return (cx - reach, cy - reach, cx + reach, cy + reach)


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
        if beside and y0 <= py <= y1 + s.ear_below * fh:
            return AT_EAR
        if looking_down and y1 < py <= y1 + s.below_reach * fh and x0 - fw / 2 <= px <= x1 + fw / 2:
            below = True
    return BELOW_FACE if below else None


class HandWatch:
    """Palm detection at `rate_hz` on the frames' own times; `update(image, t, face_box, pitch)` per frame
    -> (posture or None, palms of the last run, whether the model ran on this frame)."""

    def __init__(self, settings: HandSettings | None = None, detector: PalmDetector | None = None):
        self.s = settings or HandSettings()
        self.detector = detector or PalmDetector(min_score=self.s.min_score)
        self._last_t: float | None = None
        self.palms: list[Palm] = []
        self.ms: float | None = None

    def reset(self) -> None:
        self._last_t, self.palms = None, []

    def update(
        self,
        image_bgr: np.ndarray,
        t: float,
        face_box: tuple[float, float, float, float] | None,
        pitch_deg: float | None,
    ) -> tuple[str | None, bool]:
        ran = False
        due = self._last_t is None or not 0 <= t - self._last_t < 1.0 / self.s.rate_hz - 1e-3
        if due and face_box is not None:
            start = time.perf_counter()
            self.palms = self.detector.detect(image_bgr)
            self.ms = (time.perf_counter() - start) * 1000.0
            self._last_t, ran = t, True
        elif face_box is None:
            self.palms = []
        return phone_posture(self.palms, face_box, pitch_deg, self.s), ran
