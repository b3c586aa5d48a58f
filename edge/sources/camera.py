"""Live cameras through OpenCV: V4L2/USB devices and GStreamer pipelines (e.g. Jetson CSI cameras).

Monochrome / infrared cameras: a grey `pixel_format` (GREY, Y8, Y16, YUYV) is asked for with
CAP_PROP_FOURCC and read raw (CAP_PROP_CONVERT_RGB = 0), then turned into one grey channel by
`edge.sources.raw`; a GStreamer pipeline ending in `format=GRAY8` gives a grey picture directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import cv2

from dms.errors import UserError
from edge.sources.base import Frame, FrameSource, SourceSettings
from edge.sources.raw import fourcc_code, grey_from_raw
from edge.vision.eye_patch import to_gray

V4L2_FOURCC = {"Y8": "GREY"}
"""UVC's Y8 (Y800) arrives through V4L2 as GREY."""
V4L2_MANUAL_EXPOSURE = 1
"""OpenCV's V4L2 backend passes CAP_PROP_AUTO_EXPOSURE on as V4L2's exposure_auto menu: 1 = manual."""


class CameraSource(FrameSource):
    """Frames from a live camera. `t` is read from `clock` (monotonic by default) right after the frame
    is grabbed, so it is the capture time on the device's clock, not the processing time."""

    def __init__(
        self,
        device: int | str,
        settings: SourceSettings | None = None,
        gstreamer: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings or SourceSettings()
        self._clock = clock
        self.description = f"GStreamer pipeline {device}" if gstreamer else f"camera {device}"
        api = cv2.CAP_GSTREAMER if gstreamer else (cv2.CAP_V4L2 if isinstance(device, int) else cv2.CAP_ANY)
        self._cap = cv2.VideoCapture(device, api)
        if not self._cap.isOpened():
            self._cap.release()
            why = (
                "OpenCV here has no GStreamer support or the pipeline is invalid"
                if gstreamer
                else "no such device, or it is busy or not a camera"
            )
            raise UserError(f"cannot open {self.description}: {why}")
        s = self.settings
        # the freshest picture matters more than every picture: don't let a queue of old frames build up
        # when processing falls behind the camera (ignored by backends without the property)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        for prop, value in (
            (cv2.CAP_PROP_FRAME_WIDTH, s.width),
            (cv2.CAP_PROP_FRAME_HEIGHT, s.height),
            (cv2.CAP_PROP_FPS, s.camera_fps),
        ):
            if value:
                self._cap.set(prop, value)
        self._raw = s.pixel_format != "auto" and not gstreamer
        if self._raw:
            wanted = V4L2_FOURCC.get(s.pixel_format, s.pixel_format)
            self._cap.set(cv2.CAP_PROP_FOURCC, fourcc_code(wanted))
            self._cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)
            got = int(self._cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode("latin-1").strip()
            if got and got != wanted:
                self._cap.release()
                raise UserError(
                    f"{self.description} does not deliver {s.pixel_format} (it offers {got!r}); "
                    "list its formats with v4l2-ctl --list-formats-ext"
                )
            self._size = (
                int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            )
        if s.exposure_us is not None:
            self.set_exposure(s.exposure_us, s.analogue_gain)

    def set_exposure(self, exposure_us: float, gain: float | None = None) -> bool:
        """Manual exposure (and gain) from now on; False when the camera does not take it.

        V4L2's exposure_time_absolute counts 100 us steps; the gain's unit is the driver's own (the
        analogue factor is passed as it is, which UVC infrared cameras mostly read as x1..x16)."""
        ok = bool(self._cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, V4L2_MANUAL_EXPOSURE))
        ok = bool(self._cap.set(cv2.CAP_PROP_EXPOSURE, max(1, round(exposure_us / 100)))) and ok
        if gain is not None:
            ok = bool(self._cap.set(cv2.CAP_PROP_GAIN, gain)) and ok
        return ok

    def _picture(self, image):
        s = self.settings
        if self._raw and image.ndim == 3 and image.shape[2] == 3:
            return to_gray(image)  # the backend converted to BGR after all
        if self._raw:
            return grey_from_raw(image, s.pixel_format, *self._size, y16_bits=s.y16_bits)
        # a GStreamer GRAY8 appsink may come as (h, w, 1): one channel either way
        return to_gray(image) if s.mono or (image.ndim == 3 and image.shape[2] == 1) else image

    def frames(self) -> Iterator[Frame]:
        index = 0
        while self._cap.grab():
            t = self._clock()
            ok, image = self._cap.retrieve()
            if not ok:
                break
            yield Frame(self._picture(image), t, index)
            index += 1

    def close(self) -> None:
        self._cap.release()
