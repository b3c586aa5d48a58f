"""Frame sources: video files, image folders, and clear errors for what cannot be read."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dms.errors import UserError
from edge.sources import SourceSettings, open_source


def _write_images(folder, names):
    for i, name in enumerate(names):
        img = np.full((24, 32, 3), 10 * i, np.uint8)
        assert cv2.imwrite(str(folder / name), img)


def test_missing_video_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="video not found"):
        open_source(str(tmp_path / "nope.avi"))


def test_unreadable_video_is_a_user_error(tmp_path):
    bad = tmp_path / "broken.avi"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00AVI this is not a video")
    with pytest.raises(UserError, match="video") as exc, open_source(str(bad)) as source:
        list(source)
    assert "\n" not in str(exc.value)


def test_empty_folder_is_a_user_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no pictures here")
    with pytest.raises(UserError, match="no images in"):
        open_source(str(tmp_path))


def test_image_folder_in_natural_order_at_the_set_rate(tmp_path):
    _write_images(tmp_path, ["frame10.png", "frame2.png", "frame1.jpg"])
    with open_source(str(tmp_path), SourceSettings(fps=20)) as source:
        frames = list(source)
    assert [f.index for f in frames] == [0, 1, 2]
    assert [f.t for f in frames] == pytest.approx([0.0, 0.05, 0.10])
    # frame1 (written with value 20), frame2 (10), frame10 (0)
    assert [int(f.image[0, 0, 0]) for f in frames] == pytest.approx([20, 10, 0], abs=2)
    assert frames[0].image.shape == (24, 32, 3)


def test_written_video_gives_every_frame_with_increasing_time(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (64, 48))
    for i in range(12):
        writer.write(np.full((48, 64, 3), i * 20, np.uint8))
    writer.release()
    with open_source(str(path)) as source:
        frames = list(source)
    assert [f.index for f in frames] == list(range(12))
    assert frames[0].t == 0.0
    assert np.diff([f.t for f in frames]) == pytest.approx(np.full(11, 0.04), abs=1e-3)


def test_dev_clip_timestamps_follow_the_container(zju_dataset):
    """The dev AVIs drop 'repeat' packets: fewer frames than packets, and time keeps the gaps."""
    import csv

    clip = "clips/1/000001M_FBN.avi"
    with open(zju_dataset / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["video"] == clip]
    pts = {int(r["decoded_index"]): int(r["packet_pts"]) for r in rows if r["repeat_packet"] == "0"}
    with open_source(str(zju_dataset / clip)) as source:
        frames = list(source)
    assert [f.index for f in frames] == sorted(pts)
    # t is the packet time (1/30 s ticks) from the first frame, gaps of repeated packets included
    assert [round(f.t * 30) for f in frames] == [pts[i] - pts[0] for i in sorted(pts)]


def test_missing_camera_and_picamera2_are_user_errors():
    with pytest.raises(UserError, match="camera not found"):
        open_source("/dev/video99")
    try:
        import picamera2  # noqa: F401
    except ImportError:
        with pytest.raises(UserError, match="picamera2"):
            open_source("picamera2:")


def test_camera_index_and_gstreamer_pipeline_open_or_say_why():
    """No camera on a CI machine, and OpenCV wheels lack GStreamer: either works, or one clear line."""
    for spec in ("7", "gst:videotestsrc num-buffers=3 ! videoconvert ! appsink"):
        try:
            with open_source(spec) as source:
                frame = next(iter(source))
            assert frame.image.ndim == 3 and frame.index == 0
        except UserError as exc:
            assert "cannot open" in str(exc) and "\n" not in str(exc)
