"""Numba versions of native.reference's kernels: the fallback when the Cython extension is not built."""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _inverse(m):
    a, b, tx, c, d, ty = m[0, 0], m[0, 1], m[0, 2], m[1, 0], m[1, 1], m[1, 2]
    det = a * d - b * c
    i00, i01, i10, i11 = d / det, -b / det, -c / det, a / det
    return i00, i01, -(i00 * tx + i01 * ty), i10, i11, -(i10 * tx + i11 * ty), math.sqrt(abs(1.0 / det))


@numba.njit(cache=True, nogil=True)
def _warp(image, m, out, scale, offset):
    i00, i01, i02, i10, i11, i12, _ = _inverse(m)
    h1, w1 = image.shape[0] - 1, image.shape[1] - 1
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            sx = i00 * x + i01 * y + i02
            sy = i10 * x + i11 * y + i12
            x0, y0 = math.floor(sx), math.floor(sy)
            fx, fy = sx - x0, sy - y0
            xa, xb = min(max(int(x0), 0), w1), min(max(int(x0) + 1, 0), w1)
            ya, yb = min(max(int(y0), 0), h1), min(max(int(y0) + 1, 0), h1)
            for ch in range(3):
                v = (image[ya, xa, ch] * (1.0 - fx) + image[ya, xb, ch] * fx) * (1.0 - fy) + (
                    image[yb, xa, ch] * (1.0 - fx) + image[yb, xb, ch] * fx
                ) * fy
                out[y, x, 2 - ch] = v * scale + offset
    return out


@numba.njit(cache=True, nogil=True)
def _backproject(points, m):
    i00, i01, i02, i10, i11, i12, depth = _inverse(m)
    out = np.empty(points.shape, np.float64)
    for i in range(points.shape[0]):
        out[i, 0] = i00 * points[i, 0] + i01 * points[i, 1] + i02
        out[i, 1] = i10 * points[i, 0] + i11 * points[i, 1] + i12
        for j in range(2, points.shape[1]):
            out[i, j] = points[i, j] * depth
    return out


def warp_to_tensor(image_bgr, matrix, out, scale=1.0 / 255.0, offset=0.0):
    return _warp(image_bgr, np.asarray(matrix, np.float64), out, float(scale), float(offset))


def backproject(points, matrix):
    return _backproject(np.asarray(points, np.float64), np.asarray(matrix, np.float64))
