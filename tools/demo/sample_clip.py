"""The demo's driver clip, generated from a public-domain photo with a scripted eye closure.

The photo is NASA's portrait of astronaut Eileen Collins that scikit-image ships
(`skimage.data.astronaut()`, public domain). It is framed as a dashboard camera would see the driver,
given a slow head sway and sensor noise, and the eyelids are lowered by an image warp driven by a
script: normal blinks, a 1.6 s microsleep and a 4 s sleep episode. The lid lines come from the face
landmark model itself, so the warp closes exactly the eyes the pipeline measures.

Nothing here reads the research datasets: the clip may be redistributed like the photo.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dms.errors import UserError

GENERATOR_VERSION = 1
FRAME_SIZE = (640, 480)
# MediaPipe FaceMesh indices of the lid lines, corner to corner (subject's right eye, then left eye).
LID_INDICES = (
    ((33, 246, 161, 160, 159, 158, 157, 173, 133), (33, 7, 163, 144, 145, 153, 154, 155, 133)),
    ((263, 466, 388, 387, 386, 385, 384, 398, 362), (263, 249, 390, 373, 374, 380, 381, 382, 362)),
)


@dataclass(frozen=True)
class ClipScript:
    """When the driver's eyes close, on the clip's timeline (seconds)."""

    fps: float = 30.0
    duration_s: float = 40.0
    blink_times: tuple[float, ...] = (2.0, 5.5, 8.2, 14.5, 17.0, 27.5, 30.0, 33.5, 36.8)
    blink_s: float = 0.2
    closures: tuple[tuple[float, float], ...] = ((10.0, 1.6), (20.0, 4.0))
    """(onset, duration) of each long closure: a microsleep and a sleep episode."""
    seed: int = 7

    def closure(self, t: float) -> float:
        """0 = eyes open, 1 = fully closed, at time t."""
        level = 0.0
        for start in self.blink_times:
            level = max(level, _pulse(t - start, self.blink_s, ramp_in=0.06, ramp_out=0.09))
        for start, length in self.closures:
            level = max(level, _pulse(t - start, length, ramp_in=0.12, ramp_out=0.2))
        return level


def _pulse(dt: float, length: float, ramp_in: float, ramp_out: float) -> float:
    if dt < 0 or dt > length:
        return 0.0
    if dt < ramp_in:
        return dt / ramp_in
    if dt > length - ramp_out:
        return max(0.0, (length - dt) / ramp_out)
    return 1.0


def _framed_photo() -> np.ndarray:
    """The portrait cropped and scaled as a driver camera would frame the head (BGR, 640x480)."""
    try:
        from skimage import data
    except ImportError:
        raise UserError(
            "generating the demo clip needs scikit-image", hint="pip install 'dms-fleet[demo]'"
        ) from None
    import cv2

    rgb = data.astronaut()
    crop = rgb[0:240, 90:410]  # head and shoulders, 320x240
    return cv2.resize(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), FRAME_SIZE, interpolation=cv2.INTER_CUBIC)


def lid_lines(image: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(upper, lower) lid polylines of both eyes, in pixels, found by the face landmark model."""
    from edge.vision.facemesh import FaceMesh

    face = FaceMesh().process(image)
    if face is None:
        raise UserError("the demo clip generator found no face in the source photo")
    pts = np.asarray(face.landmarks)[:, :2]
    return [(pts[list(upper)], pts[list(lower)]) for upper, lower in LID_INDICES]


def close_eyes(image: np.ndarray, lids: list[tuple[np.ndarray, np.ndarray]], closure: float) -> np.ndarray:
    """Lower each upper lid towards the lower lid by `closure` (0..1), stretching the skin above it."""
    import cv2

    if closure <= 0.0:
        return image
    out = image.copy()
    for upper, lower in lids:
        x0, x1 = (
            int(math.floor(min(upper[:, 0].min(), lower[:, 0].min()))) - 2,
            int(math.ceil(max(upper[:, 0].max(), lower[:, 0].max()))) + 2,
        )
        xs = np.arange(x0, x1 + 1, dtype=np.float32)
        order_u, order_l = np.argsort(upper[:, 0]), np.argsort(lower[:, 0])
        y_up = np.interp(xs, upper[order_u, 0], upper[order_u, 1])
        y_low = np.interp(xs, lower[order_l, 0], lower[order_l, 1])
        gap = np.maximum(y_low - y_up, 0.0)
        top = float(y_up.min() - 2.5 * gap.max() - 2)
        bottom = float(y_low.max() + 2)
        y0, y1 = int(math.floor(top)), int(math.ceil(bottom))
        ys = np.arange(y0, y1 + 1, dtype=np.float32)[:, None]
        new_up = y_up + closure * 0.97 * gap
        # Skin between `top` and the lid slides down; what is left of the eye is squeezed under it.
        above = top + (ys - top) * (y_up - top) / np.maximum(new_up - top, 1e-3)
        below = y_up + (ys - new_up) * gap / np.maximum(y_low - new_up, 1e-3)
        src_y = np.where(ys <= new_up, above, np.where(ys <= y_low, below, ys))
        map_y = src_y.astype(np.float32)
        map_x = np.broadcast_to(xs[None, :], map_y.shape).astype(np.float32).copy()
        patch = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # Lashes: a soft dark line along the moving lid edge.
        dist = np.abs(ys - new_up)
        lash = np.clip(1.0 - dist / 2.0, 0.0, 1.0) * min(1.0, closure * 1.2) * (gap > 1)[None, :]
        patch = (patch.astype(np.float32) * (1.0 - 0.55 * lash[..., None])).astype(np.uint8)
        out[y0 : y1 + 1, x0 : x1 + 1] = patch
    return out


def _sway(image: np.ndarray, t: float, rng: np.random.Generator) -> np.ndarray:
    """Slow head motion and sensor noise, as a real camera feed has."""
    import cv2

    w, h = FRAME_SIZE
    angle = 2.0 * math.sin(2 * math.pi * t / 7.0)
    dx = 6.0 * math.sin(2 * math.pi * t / 5.3)
    dy = 3.0 * math.sin(2 * math.pi * t / 3.1 + 1.0)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[:, 2] += (dx, dy)
    moved = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    noise = rng.normal(0.0, 2.5, moved.shape)
    return np.clip(moved.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def render(path: Path, script: ClipScript | None = None, progress: bool = False) -> Path:
    """Write the clip to `path` (MJPEG in AVI: decodable by any OpenCV build)."""
    import cv2

    script = script or ClipScript()
    base = _framed_photo()
    lids = lid_lines(base)
    rng = np.random.default_rng(script.seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    # one partial file per process: test workers and tools render the same cached clip at once
    tmp = path.with_suffix(f".partial-{os.getpid()}.avi")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), script.fps, FRAME_SIZE)
    if not writer.isOpened():
        raise UserError(f"cannot write video file {tmp}")
    frames = int(round(script.duration_s * script.fps))
    steps = range(frames)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc="generating demo clip", unit="frame", leave=False)
    for i in steps:
        t = i / script.fps
        writer.write(_sway(close_eyes(base, lids, script.closure(t)), t, rng))
    writer.release()
    os.replace(tmp, path)
    return path


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "dms"


def sample_clip(progress: bool = True) -> Path:
    """The demo clip, generated once and cached (keyed by the generator's version and script)."""
    script = ClipScript()
    key = hashlib.sha256(repr((GENERATOR_VERSION, script)).encode()).hexdigest()[:10]
    path = cache_dir() / f"demo_driver_{key}.avi"
    if not path.is_file():
        render(path, script, progress=progress)
    return path
