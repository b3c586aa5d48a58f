"""A board profile is applied, not only validated: its inference block decides which models the runtime loads."""

from __future__ import annotations

import pytest

from edge.config import load_device_config
from edge.runtime import EdgeRuntime


def _iris_file(tmp_path, board_line: str, extra: str = "") -> str:
    path = tmp_path / "device.yaml"
    # no GPIO on this machine: the board's illuminator pin is switched off, the rest of the profile stays
    path.write_text(f"vehicle_id: v1\n{board_line}\nsource: clip.mp4\nilluminator:\n  output: none\n{extra}")
    runtime = EdgeRuntime(load_device_config(path))
    try:
        vision = runtime._build_vision()
        return vision.face_mesh._iris_model.file
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("board", "iris_file"), [("pi4", "iris_landmark.tflite"), ("pi5", "iris_landmark_int8.tflite")]
)
def test_the_boards_inference_block_picks_the_models(tmp_path, board, iris_file):
    assert _iris_file(tmp_path, f"board: {board}") == iris_file


def test_the_device_file_overrides_its_board(tmp_path):
    override = "vision:\n  face_mesh:\n    backend:\n      precision: int8\n"
    assert _iris_file(tmp_path, "board: pi4", override) == "iris_landmark_int8.tflite"


def test_a_board_brings_its_camera_and_threads(tmp_path):
    path = tmp_path / "device.yaml"
    path.write_text("vehicle_id: v1\nboard: jetson-orin-nano\n")
    config = load_device_config(path)
    assert config.vision.face_mesh.backend.threads == 4
    assert config.source and config.source.startswith("gst:")
    assert load_device_config(path, board="pi4").vision.face_mesh.backend.threads == 2  # --board wins


def test_an_unknown_board_is_one_clear_error(tmp_path):
    from dms.errors import UserError

    path = tmp_path / "device.yaml"
    path.write_text("vehicle_id: v1\nboard: pi9\n")
    with pytest.raises(UserError, match="unknown board 'pi9'"):
        load_device_config(path)
