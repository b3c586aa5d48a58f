"""Mouth opening from the face mesh: a ratio on one face (scale free), about 0 when the lips touch."""

from __future__ import annotations

import numpy as np
import pytest

from edge.vision.mouth import CORNERS, GAPS, mouth_opening


def _mesh(width: float, gap: float, scale: float = 1.0) -> np.ndarray:
    lm = np.zeros((468, 3))
    lm[CORNERS[0], :2], lm[CORNERS[1], :2] = (100 - width / 2, 200), (100 + width / 2, 200)
    for upper, lower in GAPS:
        lm[upper, :2], lm[lower, :2] = (100, 200 - gap / 2), (100, 200 + gap / 2)
    lm[:, :2] *= scale
    return lm


@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0])
def test_opening_is_the_inner_lip_gap_over_the_mouth_width_at_any_distance(scale):
    assert mouth_opening(_mesh(40, 0, scale)) == pytest.approx(0.0)
    assert mouth_opening(_mesh(40, 30, scale)) == pytest.approx(0.75)


def test_no_mesh_no_measure():
    assert mouth_opening(None) is None
    assert mouth_opening(np.zeros((10, 3))) is None
    assert mouth_opening(np.zeros((468, 3))) is None  # degenerate: zero width
