"""A folder of still images played as a video at a fixed frame rate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import cv2

from dms.errors import UserError
from edge.sources.base import Frame, FrameSource, SourceSettings

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})


def natural_key(path: Path) -> list:
    """Sort key that puts frame2 before frame10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class ImageFolderSource(FrameSource):
    """Images of one folder in natural name order; frame i is at t = i / fps."""

    def __init__(self, folder: str | Path, settings: SourceSettings | None = None):
        self.folder = Path(folder)
        self.settings = settings or SourceSettings()
        self.description = f"image folder {self.folder}"
        if not self.folder.is_dir():
            raise UserError(f"image folder not found: {self.folder}")
        self.files = sorted(
            (p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key
        )
        if not self.files:
            raise UserError(f"no images in {self.folder} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")

    def frames(self) -> Iterator[Frame]:
        for index, path in enumerate(self.files):
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if self.settings.grey else cv2.IMREAD_COLOR)
            if image is None:
                raise UserError(f"cannot read image {path}")
            yield Frame(image, index / self.settings.fps, index)
