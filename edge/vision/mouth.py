"""Mouth opening from the 468-point face mesh: the inner-lip gap over the mouth width.

Why this measure: like the eye aspect ratio it is a ratio of distances on one face, so it does not
depend on the driver's distance to the camera; the mean of three gaps (centre and both sides of the
inner lips) is steadier than the centre alone. A closed mouth reads about 0, speech stays mostly under
0.4 and a yawn opens wide (0.6 and more) for several seconds. MediaPipe indices: inner lip corners 78
and 308; upper / lower inner lip pairs 82-87, 13-14, 312-317.
"""

from __future__ import annotations

import numpy as np

CORNERS = (78, 308)
GAPS = ((82, 87), (13, 14), (312, 317))


def mouth_opening(landmarks: np.ndarray | None) -> float | None:
    """Inner-lip gap / mouth width of one face's (468, 2+) landmarks; None without a usable mesh."""
    if landmarks is None or len(landmarks) < 468:
        return None
    pts = np.asarray(landmarks, dtype=np.float64)[:, :2]
    width = float(np.linalg.norm(pts[CORNERS[0]] - pts[CORNERS[1]]))
    if width <= 1e-6:
        return None
    gap = float(np.mean([np.linalg.norm(pts[a] - pts[b]) for a, b in GAPS]))
    return gap / width
