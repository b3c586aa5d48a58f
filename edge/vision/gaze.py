"""Eye-in-head rotation from the iris centre against the eye corners, and gaze = head + eyes.

The eyeball is modelled as a sphere whose radius is a fixed share of the corner-to-corner eye width
(adult eye: ~24 mm ball, ~30 mm fissure). The iris centre's offset from the middle of the corners,
measured along the face's own axes (so head roll does not leak in), gives the rotation. Both the
offset and the width shrink alike when the head turns, which keeps the ratio usable off-axis.
Same sign convention as head pose: yaw > 0 toward the driver's left, pitch > 0 up.
"""

from __future__ import annotations

import math

import numpy as np

EYEBALL_RADIUS_PER_EYE_WIDTH = 0.42
NEUTRAL_IRIS_RAISE = 0.066
"""The iris model puts the iris centre above the corner-to-corner line, by this share of the eye width,
when the eye looks straight at the camera (median of the 10 frontal dev clips: 9 degrees of pitch)."""


def eye_rotation(
    outer: np.ndarray, inner: np.ndarray, iris_centre: np.ndarray, across: np.ndarray
) -> tuple[float, float]:
    """(yaw, pitch) degrees of one eye. `across` is the unit vector from the driver's right toward their
    left side in the image (the face's x axis)."""
    ox, oy, ix, iy = float(outer[0]), float(outer[1]), float(inner[0]), float(inner[1])
    width = math.hypot(ix - ox, iy - oy)
    if width < 1e-6:
        return 0.0, 0.0
    ax, ay = float(across[0]), float(across[1])  # the face's x axis; its y axis (down) is (-ay, ax)
    dx, dy = float(iris_centre[0]) - (ox + ix) / 2, float(iris_centre[1]) - (oy + iy) / 2
    radius = EYEBALL_RADIUS_PER_EYE_WIDTH * width
    raise_ = -(dx * -ay + dy * ax) - NEUTRAL_IRIS_RAISE * width
    # plain floats: this runs twice a frame on 2-vectors, where NumPy's per-call cost dominates
    yaw = math.degrees(math.asin(min(1.0, max(-1.0, (dx * ax + dy * ay) / radius))))
    pitch = math.degrees(math.asin(min(1.0, max(-1.0, raise_ / radius))))
    return yaw, pitch


def face_axis(right_eye_outer: np.ndarray, left_eye_outer: np.ndarray) -> np.ndarray:
    """Unit vector from the driver's right eye corner to their left one, in the image."""
    v = np.asarray(left_eye_outer[:2], dtype=np.float64) - np.asarray(right_eye_outer[:2], dtype=np.float64)
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else np.array([1.0, 0.0])
