"""NumPy reference implementations of the hot-path kernels: the definition the fast versions must match.

Clear rather than fast; the parity tests (tests/native) hold the Cython and Numba kernels to these.
"""

from __future__ import annotations

import numpy as np


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 affine matrix (crop px -> image px)."""
    (a, b, tx), (c, d, ty) = np.asarray(matrix, np.float64)
    det = a * d - b * c
    lin = np.array([[d, -b], [-c, a]]) / det
    return np.hstack([lin, -(lin @ [tx, ty])[:, None]])


def warp_to_tensor(
    image_bgr: np.ndarray,
    matrix: np.ndarray,
    out: np.ndarray,
    scale: float = 1.0 / 255.0,
    offset: float = 0.0,
) -> np.ndarray:
    """Crop, rotate and normalise in one step, straight into a model's NHWC input slot.

    `matrix` maps image pixels to crop pixels (as cv2.warpAffine takes it); `out` is (size, size, 3)
    float32 and receives RGB values `pixel * scale + offset`. Sampling is bilinear with pixel centres
    at integer coordinates and replicated borders (cv2's INTER_LINEAR + BORDER_REPLICATE, without its
    5-bit fixed-point rounding).
    """
    h, w = image_bgr.shape[:2]
    size_y, size_x = out.shape[:2]
    inv = invert_affine(matrix)
    ys, xs = np.mgrid[0:size_y, 0:size_x].astype(np.float64)
    sx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
    sy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
    x0, y0 = np.floor(sx), np.floor(sy)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    x0 = x0.astype(np.int64)
    y0 = y0.astype(np.int64)
    xa, xb = np.clip(x0, 0, w - 1), np.clip(x0 + 1, 0, w - 1)
    ya, yb = np.clip(y0, 0, h - 1), np.clip(y0 + 1, 0, h - 1)
    img = image_bgr.astype(np.float64)
    top = img[ya, xa] * (1 - fx) + img[ya, xb] * fx
    bottom = img[yb, xa] * (1 - fx) + img[yb, xb] * fx
    bgr = top * (1 - fy) + bottom * fy
    out[...] = bgr[..., ::-1] * scale + offset
    return out


def backproject(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map (n, 2+) crop coordinates back to image pixels with the inverse of a crop matrix.

    A third column (depth) is multiplied by the crop's linear scale so it stays in image-pixel units.
    """
    inv = invert_affine(matrix)
    scale = np.sqrt(abs(np.linalg.det(inv[:, :2])))
    out = np.empty(points.shape, np.float64)
    out[:, :2] = points[:, :2] @ inv[:, :2].T + inv[:, 2]
    if points.shape[1] > 2:
        out[:, 2] = points[:, 2] * scale
    return out
