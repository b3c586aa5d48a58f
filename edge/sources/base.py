"""The frame-source interface: an iterable, closable stream of timestamped BGR or grey frames."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from dms.settings import Settings
from edge.sources.exposure import FaceExposureSettings


@dataclass(frozen=True, slots=True)
class Frame:
    """One picture and when it was taken."""

    image: np.ndarray
    """uint8: BGR (height, width, 3), or one grey channel (height, width) from a monochrome / infrared
    camera or a source set to `mono` (every stage downstream takes either)."""
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
    mono: bool = False
    """Deliver one grey channel per frame (what a monochrome infrared camera gives): files are turned grey
    after decoding, cameras are read grey (a grey `pixel_format` implies it)."""
    pixel_format: Literal["auto", "GREY", "Y8", "Y16", "YUYV"] = "auto"
    """V4L2 camera pixel format to ask for. 'auto': the camera's own, converted to BGR by OpenCV. GREY /
    Y8 (8-bit grey), Y16 (16-bit grey, little-endian) and YUYV (the luma of it; infrared USB cameras that
    only offer YUYV send a grey picture in it) are read raw and turned into one grey channel here."""
    y16_bits: int = Field(10, ge=8, le=16)
    """Significant bits of a Y16 camera's samples (LSB-aligned; 16 for a full-range sensor): the 8-bit
    picture is the top 8 of them. A fixed scale, not a per-frame stretch, so exposure control and the
    camera-health check see the real light level."""
    infrared: bool = False
    """The camera sees near-infrared (a NoIR module or a monochrome IR camera): at night it sees only what
    its illuminator lights, so `dms config check` asks for an `illuminator` section."""
    exposure_us: int | None = Field(None, ge=10, le=200_000)
    """Manual exposure time in microseconds (None: the camera's auto exposure). With a pulsed illuminator
    keep it short (about 1-8 ms): the LEDs are driven hard only while the sensor exposes."""
    analogue_gain: float | None = Field(None, ge=1.0, le=16.0)
    """Manual sensor gain, 1 = none (None: the camera's own). Applied with `exposure_us`."""
    face_exposure: FaceExposureSettings | None = None
    """Meter exposure on the driver's face instead of the whole picture (edge.sources.exposure), applied
    through the camera's manual exposure and gain: a bright window or headlights do not darken the face.
    None: the camera's own exposure (or the fixed `exposure_us`)."""

    @model_validator(mode="after")
    def _consistent(self) -> SourceSettings:
        if self.analogue_gain is not None and self.exposure_us is None:
            raise ValueError("analogue_gain needs exposure_us (manual exposure sets both)")
        return self

    @property
    def grey(self) -> bool:
        """Frames come out as one grey channel."""
        return self.mono or self.pixel_format != "auto"


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
