"""The arm64 release check's own parts that run anywhere (the emulated run itself is `make test-arm64`)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tools.release import arm64
from tools.release.arm64_probe import probe

pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT not installed")


def test_probe_runs_every_engine_of_every_model_and_the_int8_check():
    rng = np.random.default_rng(0)
    inputs = {
        "iris_landmark": rng.uniform(0, 1, (2, 64, 64, 3)).astype(np.float32),
        "eye_state": rng.normal(0, 0.5, (2, 24, 24, 1)).astype(np.float32),
    }
    out = probe(inputs)
    assert set(out) == {
        "iris_landmark/litert-fp32",
        "iris_landmark/onnxruntime",
        "iris_landmark/litert-int8",
        "iris_landmark_int8.tflite.check",
        "eye_state/litert-fp32",
        "eye_state/onnxruntime",
    }
    # the two float engines agree here as they must there
    assert np.abs(out["iris_landmark/litert-fp32"] - out["iris_landmark/onnxruntime"]).max() < 1e-3
    assert 0 < float(out["iris_landmark_int8.tflite.check"]) < 1.5


def test_probe_comparison_flags_only_what_exceeds_its_tolerance(tmp_path):
    here = {"m/litert-fp32": np.zeros((2, 3)), "m/litert-int8": np.zeros((2, 3)), "m_int8.tflite.check": 0.6}
    there = {
        "m/litert-fp32": np.full((2, 3), 2e-3),
        "m/litert-int8": np.full((2, 3), 0.3),
        "m_int8.tflite.check": 5.8,
    }
    np.savez(tmp_path / "here.npz", **here)
    np.savez(tmp_path / "there.npz", **there)
    rows = {r["what"]: r for r in arm64.compare_probes(tmp_path / "here.npz", tmp_path / "there.npz")}
    assert rows["m/litert-fp32"]["ok"] is False  # float engines must agree to rounding
    assert rows["m/litert-int8"]["ok"] is True  # int8 may round differently within 0.4 px
    assert rows["m_int8.tflite.check"]["there"] == pytest.approx(5.8)


def _predictions(path, closed):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["video", "frame_id", "eyes_closed", "blink"])
        for i, c in enumerate(closed):
            writer.writerow(["clips/a.avi", i, int(c), -1])


def test_prediction_comparison_allows_a_few_flipped_frames_only(tmp_path):
    base = [False] * 100
    _predictions(tmp_path / "here.csv", base)
    _predictions(tmp_path / "one.csv", [True] + base[1:])
    _predictions(tmp_path / "many.csv", [True] * 5 + base[5:])
    assert arm64.compare_predictions(tmp_path / "here.csv", tmp_path / "one.csv")["ok"]
    assert not arm64.compare_predictions(tmp_path / "here.csv", tmp_path / "many.csv")["ok"]


@pytest.mark.parametrize("cpu", sorted(arm64.CPU_PARTS))
def test_fake_cpuinfo_names_the_pi_core(cpu):
    text = arm64.cpuinfo(cpu)
    assert text.count("processor\t:") == 4 and f"CPU part\t: {arm64.CPU_PARTS[cpu]}" in text
    assert "sme" not in text.split()
