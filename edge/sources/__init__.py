"""Frame sources behind one interface: `open_source(spec)` -> iterable of `Frame(image, t, index)`.

Specs: a video file path; a folder of images; a camera as an integer ("0") or a device path
("/dev/video0"); a GStreamer pipeline as "gst:<pipeline ending in appsink>"; a Raspberry Pi camera as
"picamera2:" or "picamera2:<n>".
"""

from __future__ import annotations

from pathlib import Path

from dms.errors import UserError
from edge.sources.base import Frame, FrameSource, SourceSettings

__all__ = ["Frame", "FrameSource", "SourceSettings", "open_source"]


def open_source(spec: str | int, settings: SourceSettings | None = None) -> FrameSource:
    """Open the source a spec names; a missing or unreadable one raises UserError with one line."""
    text = str(spec).strip()
    if not text:
        raise UserError("empty frame source: give a video file, an image folder, a camera or gst:...")
    if text.startswith("gst:"):
        from edge.sources.camera import CameraSource

        return CameraSource(text[4:], settings, gstreamer=True)
    if text.startswith("picamera2:"):
        from edge.sources.picamera import Picamera2Source

        num = text[len("picamera2:") :] or "0"
        if not num.isdigit():
            raise UserError(f"bad Pi camera number in {text!r}: expected picamera2:<n>")
        return Picamera2Source(int(num), settings)
    if isinstance(spec, int) or text.isdigit():
        from edge.sources.camera import CameraSource

        return CameraSource(int(text), settings)
    if text.startswith("/dev/video"):
        from edge.sources.camera import CameraSource

        if not Path(text).exists():
            raise UserError(f"camera not found: {text}")
        return CameraSource(text, settings)
    path = Path(text).expanduser()
    if path.is_dir():
        from edge.sources.images import ImageFolderSource

        return ImageFolderSource(path, settings)
    from edge.sources.video import VideoFileSource

    return VideoFileSource(path, settings)
