"""Every compiled kernel of native/ against its NumPy reference (native.reference), and the reference
against OpenCV (the crops the models were validated with)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import cv2
import numpy as np
import pytest

from native import reference

IMPLEMENTATIONS = ["numba", "cython"]


def _module(name: str):
    try:
        return importlib.import_module("native.numba_kernels" if name == "numba" else "native._kernels")
    except ImportError as exc:
        pytest.skip(f"{name} kernels not available here ({exc}); the fallback order covers it")


def _matrices(rng, size):
    """Crop matrices of rotated ROIs, some running past the image border, some mirrored."""
    from edge.vision.roi import Roi

    for _ in range(6):
        roi = Roi(
            float(rng.uniform(-20, 340)),
            float(rng.uniform(-20, 260)),
            float(rng.uniform(20, 300)),
            float(rng.uniform(20, 300)),
            float(rng.uniform(-np.pi, np.pi)),
        )
        yield roi.crop_matrix(size, mirror=bool(rng.integers(2)))


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [64, 192])
def test_warp_to_tensor_matches_reference(name, size):
    kernels = _module(name)
    rng = np.random.default_rng(size)
    image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    for m in _matrices(rng, size):
        for scale, offset in ((1 / 255, 0.0), (2 / 255, -1.0)):
            want = reference.warp_to_tensor(image, m, np.empty((size, size, 3), np.float32), scale, offset)
            got = np.full((size, size, 3), np.nan, np.float32)
            kernels.warp_to_tensor(image, m, got, scale, offset)
            np.testing.assert_allclose(got, want, atol=2e-5)


def test_reference_warp_is_opencvs_crop_within_rounding():
    """cv2 interpolates with 5-bit fixed-point weights and rounds to uint8: within one grey level."""
    from edge.vision.roi import rgb_tensor

    rng = np.random.default_rng(7)
    image = cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), (5, 5), 2)
    for m in _matrices(rng, 64):
        cv = rgb_tensor(
            cv2.warpAffine(image, m, (64, 64), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        )
        ours = reference.warp_to_tensor(image, m, np.empty((64, 64, 3), np.float32))
        assert np.abs(ours - cv).max() * 255 <= 1.0


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
@pytest.mark.parametrize("columns", [2, 3])
def test_backproject_matches_reference(name, columns):
    kernels = _module(name)
    rng = np.random.default_rng(columns)
    points = rng.uniform(0, 192, (468, columns)).astype(np.float32)
    for m in _matrices(rng, 192):
        np.testing.assert_allclose(
            kernels.backproject(points, m), reference.backproject(points, m), rtol=1e-12, atol=1e-9
        )


def test_backproject_inverts_the_crop_matrix():
    rng = np.random.default_rng(3)
    image_points = rng.uniform(0, 300, (50, 2))
    for m in _matrices(rng, 192):
        crop_points = image_points @ m[:, :2].T + m[:, 2]
        np.testing.assert_allclose(reference.backproject(crop_points, m), image_points, atol=1e-9)


@pytest.mark.parametrize("forced", ["numpy", "numba"])
def test_import_falls_back_when_asked_or_unbuilt(forced):
    code = "import native; print(native.IMPLEMENTATION)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"DMS_NATIVE": forced, "PATH": "/usr/bin:/bin"},
        cwd=str(_repo()),
    )
    assert out.stdout.strip() == forced


def _repo():
    from tests.support.services import REPO

    return REPO
