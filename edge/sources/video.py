"""Video files through OpenCV/FFmpeg: every decoded frame, in order, timed by the container."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2

from dms.errors import UserError
from edge.sources.base import Frame, FrameSource, SourceSettings
from edge.vision.eye_patch import to_gray


class VideoFileSource(FrameSource):
    """Frames of a video file. `t` is the frame's presentation time from the container (seconds from
    the first frame); when the container gives none, `index / fps`.

    Note: FFmpeg does not return "repeat previous frame" packets as frames, so `index` counts decoded
    pictures, not container packets (see the dev data set's frame-alignment note).
    """

    def __init__(self, path: str | Path, settings: SourceSettings | None = None):
        self.path = Path(path)
        self.settings = settings or SourceSettings()
        self.description = f"video {self.path}"
        if not self.path.exists():
            raise UserError(f"video not found: {self.path}")
        if not self.path.is_file():
            raise UserError(f"not a video file: {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            self._cap.release()
            raise UserError(f"cannot open video {self.path}: not a format OpenCV/FFmpeg can decode")
        container_fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = container_fps if 0 < container_fps < 1000 else self.settings.fps

    def frames(self) -> Iterator[Frame]:
        index = 0
        first_ms = None
        last_t = -1.0
        while True:
            ok, image = self._cap.read()
            if not ok:
                if index == 0:
                    raise UserError(f"cannot read video {self.path}: no frame could be decoded")
                return
            ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
            if first_ms is None:
                first_ms = ms
            t = (ms - first_ms) / 1000.0
            if index > 0 and t <= last_t:  # no (or broken) container timestamps: fall back to the rate
                t = index / self.fps
            last_t = t
            yield Frame(to_gray(image) if self.settings.grey else image, t, index)
            index += 1

    def close(self) -> None:
        self._cap.release()
