"""Head pose from a rigid (similarity) fit of the 468 landmarks to a frontal reference face.

The reference (`models/canonical_face.json`, made by `python -m tools.models.make_canonical_face`) is the
landmark model's own output averaged over frontal faces and made left-right symmetric, so it lives in
the same axes as the landmarks: x to the image right, y down, z away from the camera (pixels).

Angles, degrees, relative to the camera axis (a driver looking into the camera reads 0, 0, 0):
- yaw > 0: the driver turns to their left (the face turns toward the image's right for a camera facing
  the driver, not mirrored);
- pitch > 0: the driver looks up;
- roll > 0: the head tilts toward the driver's left shoulder (clockwise on screen).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache

import numpy as np

from dms.errors import UserError
from models import model_path

CANONICAL_FILE = "canonical_face.json"

# Landmarks that move with the skull, not with expression (forehead, nose, cheekbones, eye corners):
# mouth, jaw and lids are left out so talking and blinking do not tilt the pose.
RIGID_POINTS = (
    1,
    4,
    5,
    6,
    8,
    9,
    10,
    151,
    168,
    195,
    197,
    67,
    297,
    109,
    338,
    33,
    133,
    263,
    362,
    50,
    280,
    116,
    345,
    123,
    352,
    93,
    323,
    234,
    454,
    132,
    361,
    98,
    327,
)


@lru_cache(maxsize=1)
def canonical_face() -> np.ndarray:
    """(468, 3) frontal reference shape, centred, in landmark axes."""
    path = model_path(CANONICAL_FILE)
    if not path.is_file():
        raise UserError(f"model file missing: {path}", hint="reinstall dms-fleet or the model set")
    data = json.loads(path.read_text(encoding="utf-8"))
    return np.asarray(data["points"], dtype=np.float64)


def rigid_fit(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Rotation R, scale s and translation t minimising |s R source + t - target| (Umeyama)."""
    mu_s, mu_t = source.mean(0), target.mean(0)
    a, b = source - mu_s, target - mu_t
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1.0, 1.0, d])
    rot = u @ fix @ vt
    scale = float((sig * np.diag(fix)).sum() / (a**2).sum())
    return rot, scale, mu_t - scale * rot @ mu_s


def angles_from_rotation(rot: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the rotation that takes the frontal face to the current one."""
    forward = rot @ np.array([0.0, 0.0, -1.0])  # the face's normal, pointing at the camera when frontal
    across = rot @ np.array([1.0, 0.0, 0.0])  # from the driver's right eye toward their left eye
    yaw = math.degrees(math.atan2(forward[0], -forward[2]))
    pitch = math.degrees(math.atan2(-forward[1], math.hypot(forward[0], forward[2])))
    roll = math.degrees(math.atan2(across[1], math.hypot(across[0], across[2])))
    return yaw, pitch, roll


class HeadPose:
    """Estimates (yaw, pitch, roll) of a face from its (468, 3) landmarks."""

    def __init__(self, points: tuple[int, ...] = RIGID_POINTS):
        self._idx = np.asarray(points)
        reference = canonical_face()[self._idx]
        self._reference = reference - reference.mean(0)  # centred once: rigid_fit's `a`, per frame

    def estimate(self, landmarks: np.ndarray) -> tuple[float, float, float]:
        """rigid_fit's rotation with the reference's share precomputed (this runs on every frame)."""
        target = landmarks[self._idx].astype(np.float64)
        target -= target.mean(0)
        u, _, vt = np.linalg.svd(target.T @ self._reference)
        if np.linalg.det(u @ vt) < 0:
            u[:, 2] = -u[:, 2]
        return angles_from_rotation(u @ vt)
