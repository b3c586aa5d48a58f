"""Raspberry Pi cameras through picamera2 (libcamera), imported only when such a source is opened.

NoIR modules (Camera Module 3 NoIR, ...) for night driving: with `mono` the camera is read as YUV420
and only its luma plane is kept (no colour conversion at all; a NoIR picture's colour is meaningless
under an infrared illuminator); `exposure_us` / `analogue_gain` switch libcamera's auto exposure off
(`AeEnable: False`, `ExposureTime`, `AnalogueGain`, picamera2's documented controls), which a pulsed
illuminator needs: a short fixed exposure the LED pulses cover.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from dms.errors import UserError
from edge.sources.base import Frame, FrameSource, SourceSettings


class Picamera2Source(FrameSource):
    """Frames of a Pi camera; `t` from `clock` (monotonic) when each request completes."""

    def __init__(
        self,
        camera_num: int = 0,
        settings: SourceSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        picamera2_class=None,
    ):
        """`picamera2_class`: the Picamera2 class (default: imported from picamera2; tests pass a stand-in)."""
        if picamera2_class is None:
            try:
                from picamera2 import Picamera2 as picamera2_class
            except ImportError:
                raise UserError(
                    "the picamera2 source needs the picamera2 package (Raspberry Pi OS only)",
                    hint="sudo apt install python3-picamera2, or pip install 'dms-fleet[pi]'",
                ) from None
        self.settings = settings or SourceSettings()
        self._clock = clock
        self.description = f"Pi camera {camera_num}"
        s = self.settings
        size = (s.width or 640, s.height or 480)
        self._width, self._height = size
        # "RGB888" in libcamera's naming is B,G,R byte order: what OpenCV calls BGR; "YUV420" puts the
        # full-resolution luma plane first
        fmt = "YUV420" if s.grey else "RGB888"
        try:
            self._cam = picamera2_class(camera_num)
            controls = {"FrameRate": s.camera_fps} if s.camera_fps else {}
            config = self._cam.create_video_configuration(
                main={"size": size, "format": fmt}, controls=controls
            )
            self._cam.configure(config)
            if s.exposure_us is not None:
                self.set_exposure(s.exposure_us, s.analogue_gain)
            self._cam.start()
        except (RuntimeError, IndexError) as exc:
            raise UserError(f"cannot open Pi camera {camera_num}: {exc}") from None

    def set_exposure(self, exposure_us: float, gain: float | None = None) -> bool:
        """Manual exposure (and analogue gain) from the next frames on; always taken by libcamera."""
        controls = {"AeEnable": False, "ExposureTime": int(exposure_us)}
        if gain is not None:
            controls["AnalogueGain"] = float(gain)
        self._cam.set_controls(controls)
        return True

    def frames(self) -> Iterator[Frame]:
        index = 0
        grey = self.settings.grey
        while True:
            image = self._cam.capture_array("main")
            if grey:
                # YUV420 as one array: the luma rows come first (rows may be padded to the stride)
                image = image[: self._height, : self._width]
            yield Frame(image, self._clock(), index)
            index += 1

    def close(self) -> None:
        cam, self._cam = getattr(self, "_cam", None), None
        if cam is not None:
            cam.stop()
            cam.close()
