"""The int8 LiteRT models (tools.models.quantize): listed in the manifest, loaded for precision 'int8', float32
in and out, and close to the float models on the crops the pipeline feeds them (the generated demo
face, no dataset needed). Accuracy on the dev clips and speed are benchmarks (benchmarks/README.md)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from models import model_path
from tools.models.quantize import EYE_POINTS, SHIPPED, collect_crops, main, quantized_name

pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT not installed")
MANIFEST = json.loads(model_path("manifest.json").read_text(encoding="utf-8"))["models"]
# Held-out dev-clip crops gave a mean lid/iris error of 0.19 px and a largest of 0.9 px (64-pixel crop).
MEAN_TOLERANCE_PX, MAX_TOLERANCE_PX = 0.4, 1.5


@pytest.fixture(scope="module")
def crops():
    from tools.demo.sample_clip import sample_clip

    # the first 200 frames hold two blinks of the scripted driver: open, closing and closed eyes
    return collect_crops([sample_clip(progress=False)], per_model=100, max_frames=200)


@pytest.mark.parametrize("name", SHIPPED)
def test_int8_model_is_in_the_set_and_runs_for_precision_int8(name):
    from edge.vision.backends import BackendSettings, load_model

    entry = MANIFEST[quantized_name(name)]
    assert entry["source_file"] == f"{name}.tflite" and entry["recipe"] == "static_wi8_ai8"
    assert load_model(name, BackendSettings(backend="litert", precision="int8")).file == quantized_name(name)
    assert load_model(name, BackendSettings(backend="litert", precision="fp32")).file == f"{name}.tflite"


def test_models_without_an_int8_version_stay_float():
    from edge.vision.backends import BackendSettings, load_model

    model = load_model("face_detection_short_range", BackendSettings(backend="litert", precision="int8"))
    assert model.file == "face_detection_short_range.tflite"


@pytest.mark.parametrize("name", SHIPPED)
def test_int8_landmarks_stay_close_to_float_on_a_generated_face(name, crops):
    from edge.vision.backends import LiteRtModel

    batch = crops[name]
    fp32, int8 = (LiteRtModel(name, precision=p) for p in ("fp32", "int8"))
    expected, got = fp32.run(batch), int8.run(batch)
    assert [g.dtype for g in got] == [np.float32] * len(expected)
    points = [np.concatenate(outs, axis=1).reshape(len(batch), -1, 3)[:, :, :2] for outs in (expected, got)]
    error = np.linalg.norm(points[1] - points[0], axis=2)[:, EYE_POINTS[name]]  # crop pixels
    assert error.mean() < MEAN_TOLERANCE_PX, error.mean()
    assert error.max() < MAX_TOLERANCE_PX, error.max()
    # both eyes in one call (batch 2) give what two single calls give
    pair = int8.run(batch[:2])
    single_run = int8.run(batch[1:2])
    assert len(single_run) == len(pair) == len(expected)
    for single, both in zip(single_run, pair, strict=True):
        np.testing.assert_allclose(both[1], single[0], atol=1e-4)


def test_quantize_tool_without_the_quantizer_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ai_edge_quantizer", None)  # import fails as if not installed
    with pytest.raises(SystemExit, match=r"pip install -e '\.\[tools\]'"):
        main([])


def test_quantize_tool_without_a_clip_set_is_one_clear_line(tmp_path, capsys):
    pytest.importorskip("ai_edge_quantizer", reason="quantizer (tools extra) not installed")
    assert main(["--dataset", str(tmp_path)]) == 2
    expected = f"no labelled clip set at {tmp_path} (needs splits.csv and clips/)"
    assert capsys.readouterr().err.strip() == expected


@pytest.mark.parametrize("name", SHIPPED)
def test_int8_start_up_check_passes_on_this_cpu(name):
    from edge.vision.backends import LiteRtModel
    from edge.vision.int8_check import check_file, run_check

    result = run_check(LiteRtModel(name, 1, "int8"), model_path(check_file(quantized_name(name))))
    assert result.passed and 0.0 < result.max_error_px <= result.tolerance_px


def test_int8_model_that_disagrees_on_this_cpu_falls_back_to_float(tmp_path, monkeypatch, caplog):
    """What a CPU whose int8 kernels compute something else sees (the check's expected points moved by
    5 px stand in for an int8 model 5 px off): the float model is loaded and the reason logged."""
    import shutil

    from edge.vision.backends import BackendSettings, load_model
    from edge.vision.int8_check import check_file

    models = tmp_path / "models"
    shutil.copytree(model_path("manifest.json").parent, models)
    check = models / check_file(quantized_name("iris_landmark"))
    with np.load(check) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["expected"] = arrays["expected"] + 5.0
    with check.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    monkeypatch.setenv("DMS_MODELS_DIR", str(models))
    with caplog.at_level("WARNING"):
        model = load_model("iris_landmark", BackendSettings(backend="litert", precision="int8"))
    assert model.file == "iris_landmark.tflite"
    assert "disagrees with its float original" in caplog.text
