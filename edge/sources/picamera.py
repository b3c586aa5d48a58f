"""Raspberry Pi cameras through picamera2 (libcamera), imported only when such a source is opened."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from dms.errors import UserError
from edge.sources.base import Frame, FrameSource, SourceSettings


class Picamera2Source(FrameSource):
    """Frames of a Pi camera; `t` from `clock` (monotonic) when each request completes."""

    def __init__(self, camera_num: int = 0, settings: SourceSettings | None = None,
                 clock: Callable[[], float] = time.monotonic):
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise UserError("the picamera2 source needs the picamera2 package (Raspberry Pi OS only)",
                            hint="sudo apt install python3-picamera2, or pip install 'dms-fleet[pi]'") from None
        self.settings = settings or SourceSettings()
        self._clock = clock
        self.description = f"Pi camera {camera_num}"
        size = (self.settings.width or 640, self.settings.height or 480)
        try:
            self._cam = Picamera2(camera_num)
            # "RGB888" in libcamera's naming is B,G,R byte order: what OpenCV calls BGR
            config = self._cam.create_video_configuration(main={"size": size, "format": "RGB888"})
            self._cam.configure(config)
            self._cam.start()
        except (RuntimeError, IndexError) as exc:
            raise UserError(f"cannot open Pi camera {camera_num}: {exc}") from None

    def frames(self) -> Iterator[Frame]:
        index = 0
        while True:
            image = self._cam.capture_array("main")
            yield Frame(image, self._clock(), index)
            index += 1

    def close(self) -> None:
        cam, self._cam = getattr(self, "_cam", None), None
        if cam is not None:
            cam.stop()
            cam.close()
