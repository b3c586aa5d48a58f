"""pytest-benchmark suite: each native/ kernel against its NumPy reference and against OpenCV.

    pytest benchmarks/test_kernels_speed.py --benchmark-only            # measure
    pytest benchmarks/test_kernels_speed.py --benchmark-disable         # run once, correctness only (CI)

Inputs are the hot path's real shapes: a 640x480 frame, the 192x192 landmark crop and the 64x64 iris
crop, 468 landmark points. Not part of `make test`: benchmarks never assert on time.
"""

from __future__ import annotations

import importlib

import cv2
import numpy as np
import pytest

from native import reference

IMPLS = {"numpy-reference": "native.reference", "numba": "native.numba_kernels", "cython": "native._kernels"}


def _kernels(name):
    try:
        return importlib.import_module(IMPLS[name])
    except ImportError as exc:
        pytest.skip(f"{name}: {exc}")


@pytest.fixture(scope="module")
def frame():
    return np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)


def _matrix(size):
    from edge.vision.roi import Roi

    return Roi(320.5, 240.25, 200.0, 200.0, 0.2).crop_matrix(size)


@pytest.mark.parametrize("size", [192, 64])
@pytest.mark.parametrize("impl", list(IMPLS))
def test_warp_to_tensor(benchmark, frame, impl, size):
    kernels = _kernels(impl)
    m, out = _matrix(size), np.empty((size, size, 3), np.float32)
    benchmark.group = f"crop+normalise {size}x{size}"
    got = benchmark(kernels.warp_to_tensor, frame, m, out)
    np.testing.assert_allclose(got, reference.warp_to_tensor(frame, m, np.empty_like(out)), atol=2e-5)


@pytest.mark.parametrize("size", [192, 64])
def test_warp_opencv_baseline(benchmark, frame, size):
    """What the pipeline did before: cv2.warpAffine, then colour conversion and scaling (edge.vision.roi)."""
    from edge.vision.roi import rgb_tensor, warp

    m = _matrix(size)
    benchmark.group = f"crop+normalise {size}x{size}"
    cv2.setNumThreads(1)
    benchmark(lambda: rgb_tensor(warp(frame, m, size)))


@pytest.mark.parametrize("impl", list(IMPLS))
def test_backproject(benchmark, impl):
    kernels = _kernels(impl)
    points = np.random.default_rng(1).uniform(0, 192, (468, 3)).astype(np.float32)
    m = _matrix(192)
    benchmark.group = "landmark back-projection 468x3"
    got = benchmark(kernels.backproject, points, m)
    np.testing.assert_allclose(got, reference.backproject(points, m), atol=1e-9)
