"""BlazeFace short-range face detection: letterboxed 128x128 input, SSD anchor decoding, weighted NMS.

Constants are MediaPipe's `face_detection_short_range` graph options (SsdAnchorsCalculator and
TensorsToDetectionsCalculator), so decoding matches the model's training.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from edge.vision.backends import Model
from edge.vision.roi import rgb_tensor

INPUT_SIZE = 128
STRIDES = (8, 16, 16, 16)
MIN_SCALE, MAX_SCALE = 0.1484375, 0.75
NUM_KEYPOINTS = 6
"""Keypoints in the subject's terms: right eye, left eye, nose tip, mouth, right ear, left ear."""
RAW_SCORE_CLIP = 80.0  # MediaPipe clips at 100; exp(100) overflows float32


@dataclass(frozen=True, slots=True)
class Detection:
    """One face in image pixels."""

    box: tuple[float, float, float, float]
    """x_min, y_min, x_max, y_max."""
    keypoints: np.ndarray
    """(6, 2) pixels, order as NUM_KEYPOINTS."""
    score: float

    @property
    def area(self) -> float:
        return max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1])


def ssd_anchors(input_size: int = INPUT_SIZE, strides: tuple[int, ...] = STRIDES) -> np.ndarray:
    """(896, 2) anchor centres in [0, 1]; short-range anchors have a fixed size of 1 (scales unused).
    (BlazePalm uses the same layout at 192 px: 2016 anchors, `edge.vision.hands`.)

    Consecutive layers with the same stride share one grid (16x16x2 + 8x8x6), as MediaPipe builds them.
    """
    centres = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        per_cell = 0
        while layer < len(strides) and strides[layer] == stride:
            per_cell += 2  # aspect ratio 1.0 plus the interpolated scale, one anchor each
            layer += 1
        grid = int(np.ceil(input_size / stride))
        ys, xs = np.meshgrid((np.arange(grid) + 0.5) / grid, (np.arange(grid) + 0.5) / grid, indexing="ij")
        cells = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cells, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (4,) box against (n, 4) boxes."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, threshold: float
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's WEIGHTED non-max suppression: each cluster of overlapping candidates becomes the
    score-weighted mean of its boxes and keypoints, with the cluster's best score."""
    order = np.argsort(-scores)
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    remaining = np.arange(len(scores))
    kept = []
    while remaining.size:
        overlaps = iou(boxes[remaining[0]], boxes[remaining])
        cluster = remaining[overlaps > threshold]
        cluster = cluster if cluster.size else remaining[:1]
        w = scores[cluster][:, None]
        box = (boxes[cluster] * w).sum(0) / w.sum()
        kps = (keypoints[cluster] * w[:, :, None]).sum(0) / w.sum()
        kept.append((box, kps, float(scores[remaining[0]])))
        remaining = remaining[overlaps <= threshold]
    return kept


class FaceDetector:
    """Finds faces in a BGR image; returns detections sorted by score."""

    def __init__(self, model: Model, min_score: float = 0.5, nms_threshold: float = 0.3):
        self._model = model
        self._anchors = ssd_anchors()
        self._min_score = min_score
        self._nms_threshold = nms_threshold

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        h, w = image_bgr.shape[:2]
        side = max(h, w)
        # letterbox to a square (MediaPipe pads with zeros, keeping the aspect ratio), then 128x128
        pad_x, pad_y = (side - w) / 2.0, (side - h) / 2.0
        scale = INPUT_SIZE / side
        m = np.array([[scale, 0, pad_x * scale], [0, scale, pad_y * scale]], dtype=np.float32)
        patch = cv2.warpAffine(
            image_bgr,
            m,
            (INPUT_SIZE, INPUT_SIZE),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0),
        )
        x = rgb_tensor(patch, -1.0, 1.0)
        regressors, logits = self._model.run(x[None])
        raw = regressors.reshape(-1, 16)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1), -RAW_SCORE_CLIP, RAW_SCORE_CLIP)))
        keep = scores >= self._min_score
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep] / INPUT_SIZE, scores[keep], self._anchors[keep]
        cx, cy = raw[:, 0] + anchors[:, 0], raw[:, 1] + anchors[:, 1]
        bw, bh = raw[:, 2], raw[:, 3]
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        kps = raw[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + anchors[:, None, :]
        out = []
        for box, kp, score in weighted_nms(boxes, kps, scores, self._nms_threshold):
            # back from the letterboxed unit square to image pixels
            box_px = box * side - np.array([pad_x, pad_y, pad_x, pad_y])
            kp_px = kp * side - np.array([pad_x, pad_y])
            out.append(Detection(tuple(float(v) for v in box_px), kp_px.astype(np.float32), score))
        return out
