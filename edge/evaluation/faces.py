"""The models' output per picture of a clip, kept on disk, so stream tests replay the real pipeline's
later stages (`VisionPipeline.process_face`) without running the face mesh again.

    cached_faces(clips, cache_dir) -> {video: [CachedPicture, ...]}

Each picture keeps the face mesh result (landmarks, eye contours, pose) and the eye-state model's
logits for both eyes; the dark-lens check is kept as its verdict (the picture itself is not stored).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.evaluation.dataset import LabelledClip
from edge.evaluation.runner import decoded_pictures

# 2: the iris alternation restarts on a detection; 3: the face mesh may run the eye-state model (iris_gate);
# 4: the iris gate hears the eye-closure estimator's verdict (FaceMesh.settle), as in the vehicle
CACHE_VERSION = 4


@dataclass(frozen=True, slots=True)
class CachedPicture:
    index: int
    face: Any
    """FaceResult or None."""
    closed_logits: tuple[float | None, float | None] | None
    eyes_visible: bool


def measure_pictures(clip: LabelledClip, face_mesh: Any, eye_model: Any) -> list[CachedPicture]:
    """The models over one clip as a fresh driver (tracking starts anew)."""
    from edge.evaluation.runner import picture_time
    from edge.vision.eyestate import eyes_visible

    if hasattr(face_mesh, "reset"):
        face_mesh.reset()
    gate = GateFeedback(face_mesh)
    times = clip.picture_times()
    out = []
    for index, image in decoded_pictures(clip.path):
        face = face_mesh.process(image)
        if face is None:
            out.append(CachedPicture(index, None, None, False))
            continue
        logits = face.closed_logits  # the face mesh ran the eye-state model itself (iris_gate)
        if logits is None:
            logits = eye_model.closed_logits(image, face)
        visible = eyes_visible(image, face)
        gate.after(face, picture_time(times, index), logits, measurable=visible)
        out.append(CachedPicture(index, face, tuple(logits), visible))
    return out


class GateFeedback:
    """What the vehicle's pipeline tells the face mesh after each frame (FaceMesh.settle), for tools that
    run the face mesh without the pipeline: a default eye-closure estimator's verdict on the frame, so
    the iris model runs on the frames it runs on in the vehicle."""

    def __init__(self, face_mesh: Any):
        from edge.vision.eyestate import EyeStateEstimator

        self._mesh = face_mesh if hasattr(face_mesh, "settle") else None
        self._eyes = EyeStateEstimator()

    def after(self, face: Any, t: float, closed_logits: Any, measurable: bool = True) -> None:
        if self._mesh is not None:
            self._mesh.settle(self._eyes.update(face, t, measurable=measurable, closed_logits=closed_logits))


def cached_faces(clips: list[LabelledClip], cache: Path) -> dict[str, list[CachedPicture]]:
    """video -> pictures, the models run once per clip (default settings) and kept in `cache`."""
    from tqdm import tqdm

    mesh = eye_model = None
    out = {}
    for clip in tqdm(clips, desc="face mesh", unit="clip", disable=None, leave=False):
        path = Path(cache) / f"v{CACHE_VERSION}" / (clip.video.replace("/", "__") + ".faces.pkl")
        if path.is_file():
            out[clip.video] = pickle.loads(path.read_bytes())
            continue
        if mesh is None:
            from edge.vision.eye_classifier import EyeClassifier
            from edge.vision.facemesh import FaceMesh

            eye_model = EyeClassifier()
            mesh = FaceMesh(eye_model=eye_model)  # as the vehicle's pipeline builds it (iris_gate)
        out[clip.video] = measure_pictures(clip, mesh, eye_model)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(out[clip.video]))
        tmp.replace(path)
    return out
