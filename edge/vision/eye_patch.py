"""Canonical eye patches: the picture a person-independent eye-state model judges.

One grey square per eye, centred on the midpoint of the eye corners, turned so the corner line is
level, its side `PATCH_SCALE` times the corner-to-corner width, resized to `PATCH_SIZE` pixels. That
framing matches the CEW eye patches the model is trained on (an eye filling about two thirds of a
24-pixel square), so crops cut from any camera, any face size and any head roll look alike. The
patch is standardised (zero mean, unit contrast) before the model sees it: exposure, skin tone and
an infrared illuminator's brightness then matter less than the shape of the lids and the iris.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

PATCH_SIZE = 24
PATCH_SCALE = 1.5
"""Patch side over corner-to-corner eye width."""
CONTRAST_FLOOR = 0.05
"""Added to a patch's standard deviation (grey levels 0..1) so a flat patch is not blown up to noise."""


def eye_patch(
    image: np.ndarray,
    corner_a: np.ndarray,
    corner_b: np.ndarray,
    size: int = PATCH_SIZE,
    scale: float = PATCH_SCALE,
) -> np.ndarray | None:
    """size x size grey uint8 patch of one eye of a picture (grey or BGR: the small patch is turned grey
    after the cut, which costs far less than a grey copy of the whole frame); None when the corners
    coincide."""
    (ax, ay), (bx, by) = (float(corner_a[0]), float(corner_a[1])), (float(corner_b[0]), float(corner_b[1]))
    if ax > bx:  # always measure the angle left to right in the picture: level eyes are not turned over
        ax, ay, bx, by = bx, by, ax, ay
    width = math.hypot(bx - ax, by - ay)
    if not width > 1e-3:
        return None
    zoom = size / (scale * width)
    angle = math.atan2(by - ay, bx - ax)
    cos, sin = math.cos(angle) * zoom, math.sin(angle) * zoom
    cx, cy = (ax + bx) / 2, (ay + by) / 2
    # rotate by -angle about the eye centre, scale, and move the centre to the middle of the patch
    m = np.array([[cos, sin, size / 2 - cos * cx - sin * cy], [-sin, cos, size / 2 + sin * cx - cos * cy]])
    flags = cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR
    return to_gray(cv2.warpAffine(image, m, (size, size), flags=flags, borderMode=cv2.BORDER_REPLICATE))


def standardise(patches: np.ndarray) -> np.ndarray:
    """(N, H, W) uint8 or 0..1 float patches -> (N, H, W, 1) float32 with zero mean and unit contrast."""
    patches = np.asarray(patches)
    n, h, w = patches.shape
    x = patches.astype(np.float32).reshape(n, h * w)  # flat rows: half the numpy overhead of axis=(1, 2)
    if patches.dtype == np.uint8:
        x *= 1.0 / 255.0
    x -= x.mean(axis=1, keepdims=True)
    x /= np.sqrt((x * x).mean(axis=1, keepdims=True)) + CONTRAST_FLOOR
    return x.reshape(n, h, w, 1)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grey version of a camera picture (BGR, BGRA or already grey)."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[:, :, 0]
    code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(image, code)
