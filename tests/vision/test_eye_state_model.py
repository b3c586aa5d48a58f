"""The eye-state model: shipped with its provenance, the same in both engines, framed like its training data."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from edge.vision.backends import BackendSettings, load_model
from edge.vision.eye_classifier import MODEL_NAME, EyeClassifier
from edge.vision.eye_patch import PATCH_SIZE, eye_patch, standardise
from models import model_path


def test_manifest_says_how_the_model_was_made():
    manifest = json.loads(model_path("manifest.json").read_text(encoding="utf-8"))["models"]
    for suffix in (".tflite", ".onnx"):
        entry = manifest[MODEL_NAME + suffix]
        assert entry["trained_by"] == "python -m tools.models.train_eye_state"
        data = json.dumps(entry["data"]).lower()
        assert "cew" in data and "zju" not in data and "mrl" not in data  # the clips stay a test of it
        assert isinstance(entry["seed"], int) and entry["epochs"] > 0
        assert 0.9 < entry["held_out_accuracy"]["accuracy"] <= 1.0


def test_onnx_runtime_and_litert_agree():
    pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT not installed")
    patches = standardise(
        np.random.default_rng(3).integers(0, 256, (4, PATCH_SIZE, PATCH_SIZE), dtype=np.uint8)
    )
    ort = load_model(MODEL_NAME, BackendSettings(backend="onnxruntime")).run(patches)[0]
    lite = load_model(MODEL_NAME, BackendSettings(backend="litert")).run(patches)[0]
    assert ort.shape == lite.shape == (4, 1)
    np.testing.assert_allclose(ort, lite, atol=1e-4, rtol=0)


def _tilted_eye(angle_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grey picture with a dark bar (an 'eye slit') 40 px long, tilted; returns it and the bar's ends."""
    image = np.full((120, 160), 200, np.uint8)
    c = np.array([80.0, 60.0])
    d = 20 * np.array([math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))])
    a, b = c - d, c + d
    cv2.line(image, tuple(int(v) for v in a.round()), tuple(int(v) for v in b.round()), 0, 3)
    return image, a, b


@pytest.mark.parametrize("angle", [0.0, 20.0, -35.0])
def test_patch_is_level_and_centred_whatever_the_head_roll(angle):
    image, a, b = _tilted_eye(angle)
    for corners in ((a, b), (b, a)):  # the order of the corners does not turn the patch over
        patch = eye_patch(image, *corners)
        assert patch.shape == (PATCH_SIZE, PATCH_SIZE) and patch.dtype == np.uint8
        dark_rows = np.where(patch.min(axis=1) < 100)[0]
        assert set(dark_rows) <= {10, 11, 12, 13}  # one level line through the middle
        row = patch[PATCH_SIZE // 2 - 1 : PATCH_SIZE // 2 + 1].min(axis=0)
        # the slit is 1 / PATCH_SCALE of the patch wide, centred
        dark = np.where(row < 100)[0]
        assert abs((dark.min() + dark.max()) / 2 - (PATCH_SIZE - 1) / 2) <= 1.0
        assert 13 <= len(dark) <= 19


def test_patch_of_a_colour_picture_equals_the_grey_one():
    grey, a, b = _tilted_eye(10.0)
    colour = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    assert np.abs(eye_patch(colour, a, b).astype(int) - eye_patch(grey, a, b).astype(int)).max() <= 1


def test_degenerate_corners_give_no_patch():
    assert eye_patch(np.zeros((10, 10), np.uint8), np.array([3.0, 3.0]), np.array([3.0, 3.0])) is None


def test_standardise_removes_brightness_and_contrast():
    rng = np.random.default_rng(0)
    patch = rng.integers(0, 128, (1, PATCH_SIZE, PATCH_SIZE)).astype(np.uint8)
    x = standardise(patch)
    assert x.shape == (1, PATCH_SIZE, PATCH_SIZE, 1) and abs(float(x.mean())) < 1e-5
    np.testing.assert_allclose(standardise(patch + 60), x, atol=1e-4)  # brighter: the same
    stronger = standardise((patch.astype(np.float32) * 1.8).astype(np.uint8))
    assert np.corrcoef(x.ravel(), stronger.ravel())[0, 1] > 0.999  # more contrast: the same shape


class _Eye:
    def __init__(self, contour):
        self.contour = contour


class _Face:
    def __init__(self, left, right):
        self.left_eye, self.right_eye = _Eye(left), _Eye(right)


def test_classifier_skips_an_eye_without_a_lid_contour():
    image, a, b = _tilted_eye(0.0)
    contour = np.zeros((71, 2))
    contour[0], contour[8] = a, b
    left, right = EyeClassifier().closed_logits(image, _Face(contour, np.zeros((5, 2))))
    assert isinstance(left, float) and right is None
