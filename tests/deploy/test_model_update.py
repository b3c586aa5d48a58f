"""OTA-safe model updates on the real shipped models: verify, switch atomically, keep and roll back."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from firmware_config.model_update import (
    ModelUpdateError,
    current_set,
    install_models,
    previous_set,
    rollback_models,
    verify_model_set,
)
from models import MODELS_DIR
from tools.cli import main as dms


def model_set(dest, version: str | None = None, *, corrupt: str | None = None):
    """A copy of the shipped model set (manifest + model files), optionally versioned or with a damaged file."""
    dest.mkdir(parents=True)
    manifest = json.loads((MODELS_DIR / "manifest.json").read_text())
    for name in manifest["models"]:
        shutil.copyfile(MODELS_DIR / name, dest / name)
    if version:
        manifest["version"] = version
    (dest / "manifest.json").write_text(json.dumps(manifest))
    if corrupt:
        data = bytearray((dest / corrupt).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (dest / corrupt).write_bytes(bytes(data))
    return dest


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    base = tmp_path_factory.mktemp("sets")
    return {v: model_set(base / v, v) for v in ("v1", "v2", "v3")}


def test_install_switch_keep_previous_and_prune(tmp_path, sets):
    root = tmp_path / "models"
    first = install_models(sets["v1"], root)
    assert (first.version, first.previous) == ("v1", None)
    assert (root / "current").is_symlink() and current_set(root).name == "v1"
    second = install_models(sets["v2"], root)
    assert (current_set(root).name, previous_set(root).name, second.previous.name) == ("v2", "v1", "v1")
    install_models(sets["v3"], root)
    assert (current_set(root).name, previous_set(root).name) == ("v3", "v2")
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["v2", "v3"]  # v1 pruned
    again = install_models(sets["v3"], root)
    assert again.already_installed and previous_set(root).name == "v2"
    imposter = model_set(tmp_path / "v3-other", "v3")
    (imposter / "manifest.json").write_text(
        (imposter / "manifest.json")
        .read_text()
        .replace('"face_detection_short_range.onnx"', '"renamed.onnx"', 1)
    )
    (imposter / "face_detection_short_range.onnx").rename(imposter / "renamed.onnx")
    with pytest.raises(ModelUpdateError, match="installed with other files"):
        install_models(imposter, root)
    verify_model_set(root / "current")


def test_corrupt_set_is_refused_and_nothing_changes(tmp_path, sets):
    root = tmp_path / "models"
    install_models(sets["v1"], root)
    bad = model_set(tmp_path / "bad", "v2", corrupt="face_landmark.onnx")
    with pytest.raises(ModelUpdateError, match="face_landmark.onnx: sha256 differs"):
        install_models(bad, root)
    assert current_set(root).name == "v1" and previous_set(root) is None
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["v1"]  # no staging left behind


def test_set_that_fails_its_health_check_is_rolled_back(tmp_path, sets):
    """Checksums match the manifest, but the file is no ONNX model: ONNX Runtime refuses it after the switch."""
    root = tmp_path / "models"
    install_models(sets["v1"], root)
    broken = model_set(tmp_path / "broken", "v2")
    (broken / "iris_landmark.onnx").write_bytes(b"not a model")
    manifest = json.loads((broken / "manifest.json").read_text())
    entry = manifest["models"]["iris_landmark.onnx"]
    entry["sha256"], entry["bytes"] = hashlib.sha256(b"not a model").hexdigest(), len(b"not a model")
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        ModelUpdateError, match="rolled back.*iris_landmark.onnx: ONNX Runtime cannot load it"
    ):
        install_models(broken, root)
    assert current_set(root).name == "v1"
    assert not (root / "releases" / "v2").exists()


def test_tflite_model_that_litert_cannot_load_is_rolled_back(tmp_path, sets):
    """The device runs the .tflite files (LiteRT is the default backend): they are load-checked too."""
    pytest.importorskip("ai_edge_litert")
    root = tmp_path / "models"
    install_models(sets["v1"], root)
    broken = model_set(tmp_path / "broken", "v2")
    junk = b"TFL3 but not really a model"
    (broken / "iris_landmark_int8.tflite").write_bytes(junk)
    manifest = json.loads((broken / "manifest.json").read_text())
    entry = manifest["models"]["iris_landmark_int8.tflite"]
    entry["sha256"], entry["bytes"] = hashlib.sha256(junk).hexdigest(), len(junk)
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        ModelUpdateError, match="rolled back.*iris_landmark_int8.tflite: LiteRT cannot load it"
    ):
        install_models(broken, root)
    assert current_set(root).name == "v1"


def test_manifest_problems_are_one_clear_line(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    with pytest.raises(ModelUpdateError, match="no manifest.json"):
        install_models(src, tmp_path / "root")
    (src / "manifest.json").write_text(json.dumps({"models": {"../evil.onnx": {"sha256": "00"}}}))
    with pytest.raises(ModelUpdateError, match="bad entry"):
        install_models(src, tmp_path / "root")
    (src / "manifest.json").write_text(json.dumps({"models": {"a.onnx": {"sha256": "00"}}}))
    with pytest.raises(ModelUpdateError, match="a.onnx: missing"):
        install_models(src, tmp_path / "root")


def test_cli_install_status_rollback(tmp_path, sets, capsys):
    root = str(tmp_path / "models")
    assert dms(["config", "models", "install", str(sets["v1"]), "--root", root]) == 0
    assert dms(["config", "models", "install", str(sets["v2"]), "--root", root, "--no-load-check"]) == 0
    assert dms(["config", "models", "status", "--root", root]) == 0
    out = capsys.readouterr().out
    assert (
        "previous v1 kept for rollback" in out
        and "current: v2 (verified)" in out
        and "previous: v1 (verified)" in out
    )
    assert dms(["config", "models", "rollback", "--root", root]) == 0
    assert (current_set(tmp_path / "models").name, previous_set(tmp_path / "models").name) == ("v1", "v2")
    rollback_models(tmp_path / "models")  # and forward again
    assert current_set(tmp_path / "models").name == "v2"
    empty = str(tmp_path / "empty")
    assert dms(["config", "models", "rollback", "--root", empty]) != 0
    assert "no previous model set" in capsys.readouterr().err
