"""Converted ONNX models shipped with the package (see manifest.json and convert.py).

On a device, `DMS_MODELS_DIR` points at the model set installed by an over-the-air update
(`dms config models install`, a `current` symlink that keeps the previous set); without it, the
models shipped in this package are used.
"""

import json
import os
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent


def models_dir() -> Path:
    override = os.environ.get("DMS_MODELS_DIR")
    return Path(override) if override else MODELS_DIR


def model_path(name: str) -> Path:
    """Path of a model file, e.g. model_path('face_landmark.onnx')."""
    return models_dir() / name


def listed_in_manifest(name: str) -> bool:
    """Whether the model set in use lists the file `name` (an absent or unreadable manifest lists none)."""
    try:
        manifest = json.loads(model_path("manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return name in manifest.get("models", {})
