# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython versions of native.reference's kernels (same signatures, same results within float rounding)."""
from libc.math cimport floor, sqrt, fabs
import numpy as np


cdef inline Py_ssize_t _clamp(Py_ssize_t v, Py_ssize_t hi) noexcept nogil:
    return 0 if v < 0 else (hi if v > hi else v)


def warp_to_tensor(const unsigned char[:, :, ::1] image_bgr, matrix, float[:, :, ::1] out,
                   double scale=1.0 / 255.0, double offset=0.0):
    cdef double a = matrix[0, 0], b = matrix[0, 1], tx = matrix[0, 2]
    cdef double c = matrix[1, 0], d = matrix[1, 1], ty = matrix[1, 2]
    cdef double det = a * d - b * c
    # inverse: crop px -> image px
    cdef double i00 = d / det, i01 = -b / det, i10 = -c / det, i11 = a / det
    cdef double i02 = -(i00 * tx + i01 * ty), i12 = -(i10 * tx + i11 * ty)
    cdef Py_ssize_t h1 = image_bgr.shape[0] - 1, w1 = image_bgr.shape[1] - 1
    cdef Py_ssize_t stride = image_bgr.shape[1] * 3
    cdef Py_ssize_t sy_n = out.shape[0], sx_n = out.shape[1]
    cdef const unsigned char* img = &image_bgr[0, 0, 0]
    cdef float* dst = &out[0, 0, 0]
    cdef const unsigned char* p00
    cdef const unsigned char* p01
    cdef const unsigned char* p10
    cdef const unsigned char* p11
    cdef Py_ssize_t x, y, ch, xi, yi, xa, xb, ya, yb
    cdef double sx, sy, rx, ry
    cdef float fx, fy, w00, w01, w10, w11, fs = <float>scale, fo = <float>offset
    with nogil:
        for y in range(sy_n):
            # walk along the row: the source point moves by a constant step per output pixel
            rx = i01 * y + i02
            ry = i11 * y + i12
            for x in range(sx_n):
                sx = rx + i00 * x
                sy = ry + i10 * x
                xi = <Py_ssize_t>sx
                yi = <Py_ssize_t>sy
                if sx < xi:  # floor for negative coordinates
                    xi -= 1
                if sy < yi:
                    yi -= 1
                fx = <float>(sx - xi)
                fy = <float>(sy - yi)
                xa = _clamp(xi, w1) * 3
                xb = _clamp(xi + 1, w1) * 3
                ya = _clamp(yi, h1) * stride
                yb = _clamp(yi + 1, h1) * stride
                p00 = img + ya + xa
                p01 = img + ya + xb
                p10 = img + yb + xa
                p11 = img + yb + xb
                w11 = fx * fy
                w01 = fx - w11
                w10 = fy - w11
                w00 = 1.0 - fx - fy + w11
                for ch in range(3):
                    dst[2 - ch] = (w00 * p00[ch] + w01 * p01[ch] + w10 * p10[ch] + w11 * p11[ch]) * fs + fo
                dst += 3
    return np.asarray(out)


def backproject(points, matrix):
    cdef double[:, ::1] p = np.ascontiguousarray(points, dtype=np.float64)
    cdef double a = matrix[0, 0], b = matrix[0, 1], tx = matrix[0, 2]
    cdef double c = matrix[1, 0], d = matrix[1, 1], ty = matrix[1, 2]
    cdef double det = a * d - b * c
    cdef double i00 = d / det, i01 = -b / det, i10 = -c / det, i11 = a / det
    cdef double i02 = -(i00 * tx + i01 * ty), i12 = -(i10 * tx + i11 * ty)
    cdef double depth = sqrt(fabs(1.0 / det))
    result = np.empty((p.shape[0], p.shape[1]), np.float64)
    cdef double[:, ::1] o = result
    cdef Py_ssize_t n = p.shape[0], k = p.shape[1], i, j
    with nogil:
        for i in range(n):
            o[i, 0] = i00 * p[i, 0] + i01 * p[i, 1] + i02
            o[i, 1] = i10 * p[i, 0] + i11 * p[i, 1] + i12
            for j in range(2, k):
                o[i, j] = p[i, j] * depth
    return result
