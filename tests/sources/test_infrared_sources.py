"""Monochrome / infrared frame sources: recorded grey clips made at test time from the dev clips and the
infrared crops (read in place, written to tmp only), fed through every source kind that runs here.

No V4L2 loopback here (no kernel modules in this container: `modprobe` is absent), so the V4L2 path is
fed through OpenCV's capture replaced by a stand-in that hands over raw GREY / Y16 / YUYV buffers shaped
exactly as OpenCV's V4L2 backend does with CAP_PROP_CONVERT_RGB = 0; the decode is the real one.
"""

from __future__ import annotations

import csv
from typing import ClassVar

import cv2
import numpy as np
import pytest

from dms.errors import UserError
from edge.evaluation.runner import decoded_pictures
from edge.sources import SourceSettings, open_source
from edge.sources import camera as camera_module
from edge.sources.picamera import Picamera2Source
from edge.sources.raw import fourcc_code, grey_from_raw

CLIP = "clips/2/000001M_FNN.avi"


@pytest.fixture(scope="module")
def grey_pictures(zju_dataset):
    """The first 60 pictures of a dev clip, turned grey (what a monochrome camera would record)."""
    return [img for i, img in decoded_pictures(zju_dataset / CLIP, mono=True) if i < 60]


@pytest.fixture
def grey_clip(tmp_path, grey_pictures):
    """A recorded monochrome clip (lossless FFV1), made at test time outside the repository."""
    h, w = grey_pictures[0].shape
    path = tmp_path / "mono.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 30, (w, h), isColor=False)
    for img in grey_pictures:
        writer.write(img)
    writer.release()
    return path


@pytest.fixture
def ir_folder(tmp_path, mrl_dataset):
    """Infrared eye crops of one subject as an image folder (a recorded infrared sequence)."""
    with (mrl_dataset / "labels.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["subject"] == "s0001"][:20]
    folder = tmp_path / "ir"
    folder.mkdir()
    for i, r in enumerate(rows):
        crop = cv2.imread(str(mrl_dataset / "images" / r["path"]), cv2.IMREAD_GRAYSCALE)
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.resize(crop, (96, 96)))
    return folder


def test_a_grey_video_is_read_as_one_channel(grey_clip, grey_pictures):
    with open_source(str(grey_clip), SourceSettings(mono=True)) as source:
        frames = list(source)
    assert len(frames) == len(grey_pictures)
    assert all(f.image.ndim == 2 and f.image.dtype == np.uint8 for f in frames)
    assert np.array_equal(frames[10].image, grey_pictures[10])  # lossless clip: the very pixels


def test_without_mono_the_same_clip_comes_as_bgr(grey_clip):
    with open_source(str(grey_clip)) as source:
        assert next(iter(source)).image.shape[2] == 3


def test_infrared_crops_as_an_image_folder(ir_folder):
    with open_source(str(ir_folder), SourceSettings(mono=True, fps=10)) as source:
        frames = list(source)
    assert len(frames) == 20 and frames[3].t == pytest.approx(0.3)
    assert all(f.image.shape == (96, 96) for f in frames)


# ---------------------------------------------------------------------------------------------- V4L2


def _raw(grey: np.ndarray, pixel_format: str) -> np.ndarray:
    """The buffer OpenCV's V4L2 backend hands over unconverted, for a camera sending `grey`."""
    h, w = grey.shape
    if pixel_format in ("GREY", "Y8"):
        return grey.copy()
    if pixel_format == "Y16":  # a 10-bit sensor, LSB-aligned, plus the 2 low bits an 8-bit view drops
        return (grey.astype(np.uint16) << 2) | np.uint16(3)
    yuyv = np.empty((h, w, 2), np.uint8)
    yuyv[:, :, 0] = grey
    yuyv[:, :, 1] = np.tile([90, 170], w // 2)  # U and V: anything, they are dropped
    return yuyv


@pytest.mark.parametrize("pixel_format", ["GREY", "Y8", "Y16", "YUYV"])
def test_raw_buffers_decode_to_the_grey_picture(grey_pictures, pixel_format):
    grey = grey_pictures[5]
    h, w = grey.shape
    raw = _raw(grey, pixel_format)
    assert np.array_equal(grey_from_raw(raw, pixel_format, w, h, y16_bits=10), grey)
    # the same bytes as one row (how OpenCV hands over formats it has no shape for) or as plain bytes
    assert np.array_equal(grey_from_raw(raw.tobytes(), pixel_format, w, h, y16_bits=10), grey)


def test_y16_is_scaled_by_the_sensors_significant_bits():
    full = np.array([[0, 256, 65535, 32768]], np.uint16)
    assert grey_from_raw(full, "Y16", 4, 1, y16_bits=16).tolist() == [[0, 1, 255, 128]]
    ten_bit = np.array([[0, 4, 1023, 4095]], np.uint16)  # a stray value above 10 bits clips to white
    assert grey_from_raw(ten_bit, "Y16", 4, 1, y16_bits=10).tolist() == [[0, 1, 255, 255]]


def test_a_short_buffer_is_one_clear_error():
    with pytest.raises(UserError, match="bytes for a 4x2 YUYV picture"):
        grey_from_raw(b"\x00" * 10, "YUYV", 4, 2)


class FakeV4L2Capture:
    """cv2.VideoCapture on a V4L2 camera that sends `pictures` in one raw pixel format."""

    instances: ClassVar[list[FakeV4L2Capture]] = []

    def __init__(self, pictures, pixel_format):
        self.pictures, self.format = list(pictures), pixel_format
        self.props: dict[int, float] = {}
        self.released = False
        FakeV4L2Capture.instances.append(self)

    def isOpened(self):
        return True

    def set(self, prop, value):
        self.props[prop] = value
        return True

    def get(self, prop):
        h, w = self.pictures[0].shape
        return {
            cv2.CAP_PROP_FRAME_WIDTH: w,
            cv2.CAP_PROP_FRAME_HEIGHT: h,
            cv2.CAP_PROP_FOURCC: fourcc_code(self.format),
        }.get(prop, self.props.get(prop, 0.0))

    def grab(self):
        return bool(self.pictures)

    def retrieve(self):
        grey = self.pictures.pop(0)
        converted = self.props.get(cv2.CAP_PROP_CONVERT_RGB, 1) != 0
        return True, cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR) if converted else _raw(grey, self.format)

    def release(self):
        self.released = True


@pytest.mark.parametrize(
    ("pixel_format", "native"), [("GREY", "GREY"), ("Y8", "GREY"), ("Y16", "Y16"), ("YUYV", "YUYV")]
)
def test_a_v4l2_infrared_camera_delivers_grey_frames(monkeypatch, grey_pictures, pixel_format, native):
    monkeypatch.setattr(
        camera_module.cv2, "VideoCapture", lambda device, api: FakeV4L2Capture(grey_pictures[:8], native)
    )
    settings = SourceSettings(pixel_format=pixel_format, y16_bits=10, exposure_us=4000, analogue_gain=2.0)
    with camera_module.CameraSource(0, settings, clock=iter(np.arange(0, 1, 0.1)).__next__) as source:
        frames = list(source)
    cap = FakeV4L2Capture.instances[-1]
    assert cap.props[cv2.CAP_PROP_FOURCC] == fourcc_code(native) and cap.props[cv2.CAP_PROP_CONVERT_RGB] == 0
    assert cap.props[cv2.CAP_PROP_AUTO_EXPOSURE] == camera_module.V4L2_MANUAL_EXPOSURE
    assert cap.props[cv2.CAP_PROP_EXPOSURE] == 40 and cap.props[cv2.CAP_PROP_GAIN] == 2.0  # 100 us steps
    assert len(frames) == 8 and all(
        np.array_equal(f.image, g) for f, g in zip(frames, grey_pictures, strict=False)
    )


def test_a_camera_refusing_the_format_is_one_clear_error(monkeypatch, grey_pictures):
    monkeypatch.setattr(
        camera_module.cv2, "VideoCapture", lambda device, api: FakeV4L2Capture(grey_pictures[:1], "YUYV")
    )
    with pytest.raises(UserError, match="does not deliver Y16"):
        camera_module.CameraSource(0, SourceSettings(pixel_format="Y16"))


def test_source_settings_limits():
    with pytest.raises(ValueError, match="analogue_gain needs exposure_us"):
        SourceSettings(analogue_gain=2.0)
    with pytest.raises(ValueError):
        SourceSettings(pixel_format="RGB3")
    with pytest.raises(ValueError):
        SourceSettings(y16_bits=17)


# ---------------------------------------------------------------------------------------------- Pi


class FakePicamera2:
    """Picamera2's documented surface: create_video_configuration, configure, set_controls, start,
    capture_array, stop, close. YUV420 comes as one (h*3/2, w) array, luma rows first."""

    def __init__(self, num, pictures):
        self.pictures, self.controls, self.config = list(pictures), {}, None

    def create_video_configuration(self, main, controls):
        return {"main": main, "controls": controls}

    def configure(self, config):
        self.config = config

    def set_controls(self, controls):
        self.controls.update(controls)

    def start(self):
        pass

    def capture_array(self, name):
        grey = self.pictures.pop(0)
        h, w = grey.shape
        return np.vstack([grey, np.full((h // 2, w), 128, np.uint8)])

    def stop(self):
        pass

    def close(self):
        pass


def test_a_noir_pi_camera_reads_the_luma_with_manual_exposure(grey_pictures):
    h, w = grey_pictures[0].shape
    made = []

    def factory(num):
        made.append(FakePicamera2(num, grey_pictures[:3]))
        return made[-1]

    settings = SourceSettings(
        mono=True, width=w, height=h, camera_fps=30, exposure_us=3000, analogue_gain=4.0
    )
    source = Picamera2Source(0, settings, picamera2_class=factory)
    frames = [f for _, f in zip(range(3), source, strict=False)]
    cam = made[0]
    assert cam.config["main"]["format"] == "YUV420" and cam.config["controls"] == {"FrameRate": 30}
    assert cam.controls == {"AeEnable": False, "ExposureTime": 3000, "AnalogueGain": 4.0}
    assert all(np.array_equal(f.image, g) for f, g in zip(frames, grey_pictures, strict=False))
