"""Rotated square regions of interest and the affine crops that feed the landmark and iris models."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from native import backproject


@dataclass(frozen=True, slots=True)
class Roi:
    """A rotated rectangle in image pixels; `angle` (radians, image axes with y down) is the direction
    of the crop's x axis in the image, e.g. the line from the right to the left eye."""

    cx: float
    cy: float
    width: float
    height: float
    angle: float

    def crop_matrix(self, size: int, mirror: bool = False) -> np.ndarray:
        """2x3 affine matrix mapping image pixels into a size x size crop of this ROI.

        With `mirror`, the crop is flipped left-right (MediaPipe feeds one eye mirrored to the iris model).
        """
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        sx, sy = size / self.width, size / self.height
        if mirror:
            sx = -sx
        # rotate the image by -angle about the ROI centre, scale, then move the centre to the crop centre
        m = np.array([[sx * cos, sx * sin, 0.0], [-sy * sin, sy * cos, 0.0]])
        m[:, 2] = np.array([size / 2, size / 2]) - m[:, :2] @ np.array([self.cx, self.cy])
        return m

    def crop(self, image: np.ndarray, size: int, mirror: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The crop (replicating border pixels past the image edge) and its matrix."""
        m = self.crop_matrix(size, mirror)
        return warp(image, m, size), m


def warp(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """size x size crop of `image` through a crop matrix, bilinear, border pixels replicated."""
    return cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def rgb_tensor(patch_bgr: np.ndarray, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """A BGR uint8 crop as the float RGB tensor the models take, values mapped to [low, high].

    Converting the small crop instead of the whole frame keeps the cost independent of camera size;
    cvtColor + astype is ~6x faster than a strided numpy channel flip.
    """
    x = cv2.cvtColor(patch_bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
    x *= (high - low) / 255.0
    if low:
        x += low
    return x


def to_image(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map (n, 2+) crop coordinates back to image pixels with the inverse of a crop matrix.

    A third column (depth) is scaled by the crop's scale so it stays in image-pixel units.
    (native.backproject: a compiled kernel, ~30x faster than the NumPy version in native.reference.)
    """
    return backproject(points, matrix)


def rotation(start: np.ndarray, end: np.ndarray) -> float:
    """Angle (radians) of the start->end vector in image coordinates (y down)."""
    return math.atan2(float(end[1] - start[1]), float(end[0] - start[0]))


def roi_around(points: np.ndarray, angle: float, scale: float, centre: np.ndarray | None = None) -> Roi:
    """Square ROI holding `points` measured along the rotated axes, enlarged `scale` times.

    The centre is the middle of the rotated extent unless given.
    """
    cos, sin = math.cos(angle), math.sin(angle)
    x, y = points[:, 0], points[:, 1]
    u, v = x * cos + y * sin, y * cos - x * sin  # coordinates along the rotated axes
    lo_u, hi_u, lo_v, hi_v = float(u.min()), float(u.max()), float(v.min()), float(v.max())
    if centre is None:
        mid_u, mid_v = (lo_u + hi_u) / 2, (lo_v + hi_v) / 2
        cx, cy = mid_u * cos - mid_v * sin, mid_u * sin + mid_v * cos
    else:
        cx, cy = float(centre[0]), float(centre[1])
    side = max(hi_u - lo_u, hi_v - lo_v) * scale
    return Roi(cx, cy, side, side, angle)
