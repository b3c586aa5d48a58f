"""The frame-source interface: an iterable, closable stream of timestamped BGR frames."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from dms.settings import Settings


@dataclass(frozen=True, slots=True)
class Frame:
    """One picture and when it was taken."""

    image: np.ndarray
    """BGR, uint8, (height, width, 3)."""
    t: float
    """Capture time in seconds: from the clip start for files, a monotonic clock for live cameras."""
    index: int
    """0, 1, 2, ... in the order the source delivered the frames."""


class SourceSettings(Settings):
    """How frames are read."""

    fps: float = Field(30.0, gt=0.0)
    """Frame rate for image folders, and for videos whose container has no timestamps."""
    width: int | None = Field(None, gt=0)
    """Requested camera width in pixels (None: the camera's default)."""
    height: int | None = Field(None, gt=0)
    """Requested camera height in pixels (None: the camera's default)."""
    camera_fps: float | None = Field(None, gt=0.0)
    """Requested camera frame rate (None: the camera's default)."""


class FrameSource:
    """Base of every source: iterate for frames, use as a context manager to release the device."""

    description: str = "frame source"

    def frames(self) -> Iterator[Frame]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def close(self) -> None:
        """Release the file or device; safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
