"""Live cameras through OpenCV: V4L2/USB devices and GStreamer pipelines (e.g. Jetson CSI cameras)."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import cv2

from dms.errors import UserError
from edge.sources.base import Frame, FrameSource, SourceSettings


class CameraSource(FrameSource):
    """Frames from a live camera. `t` is read from `clock` (monotonic by default) right after the frame
    is grabbed, so it is the capture time on the device's clock, not the processing time."""

    def __init__(self, device: int | str, settings: SourceSettings | None = None, gstreamer: bool = False,
                 clock: Callable[[], float] = time.monotonic):
        self.settings = settings or SourceSettings()
        self._clock = clock
        self.description = f"GStreamer pipeline {device}" if gstreamer else f"camera {device}"
        api = cv2.CAP_GSTREAMER if gstreamer else (cv2.CAP_V4L2 if isinstance(device, int) else cv2.CAP_ANY)
        self._cap = cv2.VideoCapture(device, api)
        if not self._cap.isOpened():
            self._cap.release()
            why = ("OpenCV here has no GStreamer support or the pipeline is invalid" if gstreamer
                   else "no such device, or it is busy or not a camera")
            raise UserError(f"cannot open {self.description}: {why}")
        s = self.settings
        # the freshest picture matters more than every picture: don't let a queue of old frames build up
        # when processing falls behind the camera (ignored by backends without the property)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        for prop, value in ((cv2.CAP_PROP_FRAME_WIDTH, s.width), (cv2.CAP_PROP_FRAME_HEIGHT, s.height),
                            (cv2.CAP_PROP_FPS, s.camera_fps)):
            if value:
                self._cap.set(prop, value)

    def frames(self) -> Iterator[Frame]:
        index = 0
        while self._cap.grab():
            t = self._clock()
            ok, image = self._cap.retrieve()
            if not ok:
                break
            yield Frame(image, t, index)
            index += 1

    def close(self) -> None:
        self._cap.release()
