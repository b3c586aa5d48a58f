"""Converted ONNX models shipped with the package (see manifest.json and convert.py)."""
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent


def model_path(name: str) -> Path:
    """Path of a shipped model file, e.g. model_path('face_landmark.onnx')."""
    return MODELS_DIR / name
