"""Person-independent eye state: the trained eye-state model on both eye patches of a frame.

The lid gap of the landmark models measures how far the lids are apart, relative to this driver; the
eye-state model looks at the eye itself (is iris or pupil visible, is there a lid fold) and was
trained on thousands of other people's eyes (`python -m tools.models.train_eye_state`), so it needs no
learning per driver. `edge.vision.eyestate` fuses both.
"""

from __future__ import annotations

import numpy as np

from edge.vision.backends import BackendSettings, Model, load_model
from edge.vision.eye_patch import eye_patch, standardise
from edge.vision.eyestate import CORNERS, FaceLandmarks

MODEL_NAME = "eye_state"


class EyeClassifier:
    """`closed_logits(image, face)` -> (left, right) logits of "this eye is closed" (None: no patch)."""

    def __init__(self, backend: BackendSettings | None = None, model: Model | None = None):
        self._model = model or load_model(MODEL_NAME, backend)

    def closed_logits(self, image: np.ndarray, face: FaceLandmarks) -> tuple[float | None, float | None]:
        corners = []
        for eye in (face.left_eye, face.right_eye):
            contour = np.asarray(eye.contour)
            corners.append((contour[CORNERS[0]], contour[CORNERS[1]]) if len(contour) >= 16 else None)
        left, right = self.logits_at(image, corners)
        return left, right

    def logits_at(self, image: np.ndarray, corners: list) -> list[float | None]:
        """Closed logit of the eye between each pair of corner points ((2,) image px each), one model call
        for all; None for a missing pair or a patch that cannot be cut."""
        patches, which = [], []
        for i, pair in enumerate(corners):
            patch = None if pair is None else eye_patch(image, pair[0], pair[1])
            if patch is not None:
                patches.append(patch)
                which.append(i)
        out: list[float | None] = [None] * len(corners)
        if patches:
            (logits,) = self._model.run(standardise(np.stack(patches)))
            for i, value in zip(which, logits[:, 0], strict=True):
                out[i] = float(value)
        return out
