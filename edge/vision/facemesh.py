"""Face mesh for one driver: detection when needed, 468 landmarks, both irises, head pose and gaze.

`FaceMesh.process(image_bgr)` is stateful: once a face is found, the next frame's face region comes from
this frame's landmarks (rotation from the eye line, size from the landmark extent) and the detector runs
again only when the landmark model's face-presence score says tracking is lost.

Left and right are the driver's own (subject's) sides: with a camera facing the driver and no mirroring,
the driver's right eye appears on the image's left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from pydantic import Field

from dms.settings import Settings
from edge.vision.backends import BackendSettings, Model, load_model
from edge.vision.face_detector import Detection, FaceDetector
from edge.vision.gaze import eye_rotation, face_axis
from edge.vision.head_pose import HeadPose
from edge.vision.roi import Roi, rgb_tensor, roi_around, rotation, to_image, warp

LANDMARK_INPUT = 192
IRIS_INPUT = 64
# Face-mesh indices of the eye corners (the driver's sides).
RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 33, 133
LEFT_EYE_OUTER, LEFT_EYE_INNER = 263, 362
# Face-mesh points matching the iris model's first 16 contour points (lower lid outer -> inner corner,
# then upper lid outer -> inner), MediaPipe's mapping; used when the iris model is switched off.
RIGHT_EYE_LIDS = (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173)
LEFT_EYE_LIDS = (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398)


class FaceMeshSettings(Settings):
    """Face detection, tracking and landmark models."""

    backend: BackendSettings = BackendSettings()
    """Inference engine and threads."""
    min_detection_score: float = Field(0.5, ge=0.0, le=1.0)
    """Detector confidence needed to accept a face."""
    nms_threshold: float = Field(0.3, ge=0.0, le=1.0)
    """Overlap (IoU) above which detections merge into one face."""
    min_presence: float = Field(0.5, ge=0.0, le=1.0)
    """Landmark model's face-presence score below which tracking is lost and detection runs again."""
    face_roi_scale: float = Field(1.5, gt=1.0, le=3.0)
    """Face crop side as a multiple of the face's extent (MediaPipe: 1.5)."""
    eye_roi_scale: float = Field(2.3, gt=1.0, le=4.0)
    """Eye crop side as a multiple of the corner-to-corner eye width (MediaPipe: 2.3)."""
    iris: bool = True
    """Run the iris model (dense eye contours, iris, eye gaze). Off saves ~60 % of the CPU, but the eye
    contours are then the face mesh's 16 lid points, which barely follow blinks (lid openness 5th-95th
    percentile 0.193-0.199 on a dev clip, against 0.044-0.209 from the iris model): for head pose and
    presence only, not for eye closure. There is no iris, and gaze equals head pose."""
    iris_alternate: bool = True
    """Run the iris model on one eye per tracked frame, the two eyes in turn, and on the other eye too only
    when the one that ran moved (one of its 16 lid points shifted by more than `iris_refresh_px` in its
    crop since its last run): a blink refreshes both eyes in the same frame, a steady face costs half the
    iris time (the larger half of the per-frame CPU). The eye that did not run keeps its last result in
    the coordinates of its eye crop, re-projected into this frame's eye region, so head motion is
    followed. Both eyes run after every detection."""
    landmarks_every: int = Field(2, ge=1, le=4)
    """Run the 468-point face model on at most every n-th tracked frame; in between, the eye regions of
    the last run are reused (the eyes are still measured on every frame, so eye closure and gaze stay per
    frame) and head pose, presence and the face box hold their last values (FaceResult.landmarks_age says
    how old). With `landmarks_when_steady` (default) a frame is skipped only while the eyes hold still,
    so blinks and head movement still get the model on every frame. With the iris gate on the dev clips,
    2 runs it on 0.66 of the frames. 3 would save another 12 % of the frame's CPU (0.62x -> 0.55x
    MediaPipe's) but cost held-out eye-closed F1 (0.944 -> 0.939) and one of the 39 driver changes of
    the live stream test: a frame where the driver has just left can be a skipped one. 1 runs it on
    every frame."""
    landmarks_when_steady: bool = True
    """With landmarks_every > 1: skip the face model only on a frame after one whose iris run saw no lid
    point move by more than `landmarks_steady_px` (no blink under way, head steady in the eye crop).
    False skips on a fixed rhythm: less CPU (0.74x), eye-closed F1 0.932 (one-frame shifts at blink
    edges). Without the iris model (`iris: false`) the eyes come from the face model, which then runs on
    every frame whatever this says."""
    landmarks_steady_px: float = Field(0.5, ge=0.0, le=64.0)
    """Largest lid-point movement, in pixels of the 64-pixel eye crop, that still counts as steady for
    `landmarks_when_steady` (0.3: 11 % of frames skipped, F1 0.937; 0.2: 3 %, F1 0.939)."""
    iris_gate: bool = True
    """With the eye-state model given to the face mesh (the pipeline does so when `eyes.use_model` is on),
    the cheap eye-state model (about 1/12 of an iris run per eye) decides where the iris model runs on a
    tracked frame. While the previous frame read both eyes plainly open (`settle`), it looks at both eyes
    first, cut at the corners of each eye's last iris result, and the iris model runs only on an eye whose
    look changed (closed logit moved by more than `iris_gate_logit_change` since its last iris run), that
    is not surely open (logit above `iris_gate_open_logit`), or whose iris result is `iris_gate_max_age`
    frames old; an eye that ran alone and moved a lid point by more than `iris_refresh_px` makes the
    other run too. Through a blink and its reopening (the previous frame not plainly open) both eyes run.
    An eye that does not run keeps its last iris result in the coordinates of its eye crop (as with
    `iris_alternate`, which this replaces). The eyes that ran are judged again at their new corners, and
    the logits go on to the eye-closure fusion (FaceResult.closed_logits). Dev clips: iris runs 1.64 ->
    0.84 eyes per frame, eye-closed F1 0.946 (alternation 0.948), blink F1 0.997 either way, the
    scenario suites pass (benchmarks/README.md section 2). False: `iris_alternate`."""
    iris_gate_open_logit: float = Field(0.0, ge=-20.0, le=20.0)
    """The iris model runs on an eye whose closed logit is above this (not surely open) on every frame."""
    iris_gate_logit_change: float = Field(1.5, ge=0.0, le=20.0)
    """Change of an eye's closed logit since its last iris run that makes the iris model run again."""
    iris_gate_settled_closure: float = Field(0.2, ge=0.0, le=1.0)
    """An eye's last iris result is held only while the eye-closure estimator read the eyes as plainly
    open on the previous frame (closure below this; the pipeline says so through FaceMesh.settle): through
    a blink and its slow reopening both eyes are measured on every frame. Without it the driver-change
    scenario raised a false drowsiness warning: reopening eyes held a half-closed iris result for up to
    4 frames, and three blinks became "long"."""
    iris_gate_max_age: int = Field(8, ge=1, le=30)
    """An eye's iris result is refreshed at least every this many frames (gaze, a drifting crop)."""
    iris_refresh_px: float = Field(0.5, ge=0.0, le=64.0)
    """With iris_alternate: movement of a lid point, in pixels of the 64-pixel eye crop, that makes the
    other eye run in the same frame (0 = always both eyes). Measured on the dev clips: 0.5 kept eye-closed
    F1 (both eyes run on ~2/3 of the frames); 1.0 and a lid-opening criterion lost 0.003-0.008."""


@dataclass
class EyeResult:
    """One eye from the iris model, in image pixels.

    `contour` (71, 2): the iris model's eye points. 0..8 run along the lower lid from the outer corner
    (0) to the inner corner (8); 9..15 run along the upper lid from near the outer corner to near the
    inner one; 16..70 are outer rings and the brow (MediaPipe's order).
    `iris` (5, 2): iris centre first, then four points on the iris edge.
    With the iris model switched off (FaceMeshSettings.iris=False) `contour` is (16, 2): the face mesh's
    lid points in the same order as the first 16 above, and `iris` repeats the lid centroid.
    """

    contour: np.ndarray
    iris: np.ndarray


@dataclass
class FaceResult:
    """What one frame shows of the driver's face. Pixel coordinates are in the input image."""

    landmarks: np.ndarray
    """(468, 3) face mesh; x, y pixels, z relative depth in pixel units (smaller = nearer)."""
    left_eye: EyeResult
    """The driver's left eye (image right for a camera facing the driver)."""
    right_eye: EyeResult
    box: tuple[float, float, float, float]
    """x_min, y_min, x_max, y_max of the landmarks."""
    score: float
    """Face-presence score of the landmark model, 0..1."""
    faces: int
    """Faces found by the last detection run (kept while tracking)."""
    tracked: bool
    """True when this frame's face region came from the previous frame (no detection ran)."""
    landmarks_age: int
    """Frames since the face model last ran (0: on this frame); see FaceMeshSettings.landmarks_every."""
    head_yaw: float
    """Degrees; > 0 the driver turns to their left. See edge.vision.head_pose."""
    head_pitch: float
    """Degrees; > 0 looking up."""
    head_roll: float
    """Degrees; > 0 head tilted toward the driver's left shoulder."""
    gaze_yaw: float
    """Degrees, head + eyes, same convention as head_yaw. Meaningless while the eyes are closed: the
    iris model then reads the eyes as turned ~11 degrees down (dev clips), so hold the last open-eye gaze."""
    gaze_pitch: float
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Wall time of each stage: detect (only when it ran), landmarks, iris, pose, total."""
    closed_logits: tuple[float | None, float | None] | None = None
    """(left, right) closed logits of the eye-state model when the face mesh ran it (iris_gate), cut at
    the eye corners of the eyes' previous iris results; None: not run here."""


def as_bgr(image: np.ndarray | None) -> np.ndarray | None:
    """3-channel BGR view of a camera picture (grey and BGRA are converted); None for an empty one."""
    if image is None or image.size == 0 or image.ndim not in (2, 3):
        return None
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def choose_driver(detections: list[Detection], width: int, height: int) -> Detection:
    """The largest face, favouring the one nearer the image centre when sizes are close."""
    half_diag = np.hypot(width, height) / 2

    def weight(d: Detection) -> float:
        cx, cy = (d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2
        off_centre = np.hypot(cx - width / 2, cy - height / 2) / half_diag
        return d.area * (1.0 - 0.5 * off_centre)

    return max(detections, key=weight)


class FaceModelOutput:
    """The face model's last run: what frames in between reuse (FaceMeshSettings.landmarks_every)."""

    __slots__ = ("across", "box", "eye_matrices", "landmarks", "landmarks32", "pose", "score")

    def __init__(self, landmarks: np.ndarray, score: float, pose: tuple[float, float, float]):
        self.landmarks = landmarks
        self.landmarks32 = landmarks.astype(np.float32)
        self.score = score
        self.pose = pose
        (x0, y0), (x1, y1) = landmarks[:, :2].min(0), landmarks[:, :2].max(0)
        self.box = (float(x0), float(y0), float(x1), float(y1))
        self.across = face_axis(landmarks[RIGHT_EYE_OUTER], landmarks[LEFT_EYE_OUTER])  # for eye gaze
        self.eye_matrices: list[np.ndarray] | None = None  # the iris crops, set on first use


class FaceMesh:
    """Stateful face-mesh tracker for one camera. Not thread-safe; one instance per stream."""

    def __init__(
        self,
        settings: FaceMeshSettings | None = None,
        clock: Callable[[], float] = time.perf_counter,
        eye_model: Any = None,
    ):
        """`eye_model`: an `EyeClassifier` (anything with `logits_at(image, corners)`) for `iris_gate`;
        without it the iris model runs as `iris_alternate` says."""
        self.settings = settings or FaceMeshSettings()
        self._eye_model = eye_model if self.settings.iris_gate else None
        self._clock = clock  # only for the per-stage timings, never for decisions
        backend = self.settings.backend
        self._detector = FaceDetector(
            load_model("face_detection_short_range", backend),
            self.settings.min_detection_score,
            self.settings.nms_threshold,
        )
        self._landmark_model: Model = load_model("face_landmark", backend)
        self._iris_model: Model | None = load_model("iris_landmark", backend) if self.settings.iris else None
        self._pose = HeadPose()
        self._last: FaceModelOutput | None = None
        self._age = 0
        self._roi: Roi | None = None
        self._faces = 0
        # iris_alternate: each eye's last iris output in crop pixels (76, 2), and which eye runs next
        self._eye_points: list[np.ndarray] | None = None
        self._next_eye = 0
        self._eyes_steady = False  # the last iris run moved no lid point much (see landmarks_when_steady)
        # iris_gate: per eye (right, left), the closed logit at its last iris run and frames since it
        self._gate_logit: list[float | None] = [None, None]
        self._gate_age = [0, 0]
        self.eyes_settled = False  # iris_gate: see `settle`
        self._closed_logits: tuple[float | None, float | None] | None = None  # (left, right), this frame
        self._eye_results: tuple | None = None  # (eye points, matrices, EyeResults) of the last frame

    def reset(self) -> None:
        """Forget the tracked face (e.g. after a scene cut or a camera switch): what follows depends on
        nothing seen before (the iris alternation and the face model's rhythm start again too)."""
        self._eye_results = None
        self._roi = None
        self._faces = 0
        self._eye_points = None
        self._last = None
        self._age = 0
        self._next_eye = 0
        self._eyes_steady = False
        self._gate_logit = [None, None]
        self._gate_age = [0, 0]
        self.eyes_settled = False

    def settle(self, eye_state: Any) -> None:
        """Tell the iris gate what the eye-closure estimator made of the last frame (an EyeState): an
        eye's iris result may be held on the next frame only if both eyes read plainly open (closure below
        `iris_gate_settled_closure`). Without this call every frame counts as a blink under way."""
        closure = getattr(eye_state, "closure", None)
        self.eyes_settled = bool(
            getattr(eye_state, "measurable", False)
            and closure is not None
            and closure < self.settings.iris_gate_settled_closure
        )

    # ------------------------------------------------------------------ stages

    def _detect(self, image: np.ndarray) -> Roi | None:
        detections = self._detector.detect(image)
        self._faces = len(detections)
        if not detections:
            return None
        d = choose_driver(detections, image.shape[1], image.shape[0])
        # keypoints 0/1 are the driver's right/left eye: the crop's x axis follows the eye line
        angle = rotation(d.keypoints[0], d.keypoints[1])
        corners = np.array([[d.box[0], d.box[1]], [d.box[2], d.box[3]]])
        centre = corners.mean(0)
        side = max(d.box[2] - d.box[0], d.box[3] - d.box[1]) * self.settings.face_roi_scale
        return Roi(float(centre[0]), float(centre[1]), side, side, angle)

    def _landmarks(self, image: np.ndarray, roi: Roi) -> tuple[np.ndarray, float]:
        patch, m = roi.crop(image, LANDMARK_INPUT)
        mesh, presence = self._landmark_model.run(rgb_tensor(patch)[None])
        score = float(1.0 / (1.0 + np.exp(-presence[0, 0])))
        return to_image(mesh.reshape(468, 3), m), score

    def _roi_from_landmarks(self, lm: np.ndarray) -> Roi:
        angle = rotation(lm[RIGHT_EYE_OUTER], lm[LEFT_EYE_OUTER])
        return roi_around(lm, angle, self.settings.face_roi_scale)

    def _eye_rois(self, lm: np.ndarray) -> tuple[Roi, Roi]:
        """(right, left) eye crops; both oriented along the image's left-to-right eye-corner line."""
        scale = self.settings.eye_roi_scale
        rois = []
        for a, b in ((RIGHT_EYE_OUTER, RIGHT_EYE_INNER), (LEFT_EYE_INNER, LEFT_EYE_OUTER)):
            pair = lm[[a, b], :2]
            rois.append(roi_around(pair, rotation(pair[0], pair[1]), scale, centre=pair.mean(0)))
        return rois[0], rois[1]

    def _irises(self, image: np.ndarray, lm: np.ndarray, tracked: bool) -> tuple[EyeResult, EyeResult]:
        """Both eyes in one batch (or one of them, see `iris_alternate`); the left eye is mirrored so it
        looks like a right eye to the model."""
        face = self._last
        if face.eye_matrices is None:  # once per face-model run: frames in between use the same crops
            rois = self._eye_rois(lm)
            face.eye_matrices = [roi.crop_matrix(IRIS_INPUT, mirror=i == 1) for i, roi in enumerate(rois)]
        matrices = face.eye_matrices
        self._closed_logits = None
        if self._eye_model is not None and tracked and self._eye_points is not None:
            shift = self._gated_irises(image, matrices)
        elif self.settings.iris_alternate and tracked and self._eye_points is not None:
            first = self._next_eye
            self._next_eye = 1 - first
            before = self._eye_points[first][:16]
            self._run_iris(image, matrices, (first,))
            shift = np.abs(self._eye_points[first][:16] - before).max()
            if shift > self.settings.iris_refresh_px:
                self._run_iris(image, matrices, (1 - first,))
        else:  # after a detection, or with iris_alternate off: both eyes in one batch
            # the alternation starts again with the first eye: a face found anew (a driver sitting down
            # after an empty seat) is measured as from a cold start, whatever parity the last face left
            self._next_eye = 0
            previous = self._eye_points if tracked else None
            self._eye_points = [np.empty((76, 2)), np.empty((76, 2))]
            self._run_iris(image, matrices, (0, 1))
            self._gate_logit = [None, None]  # the gate learns both eyes' looks on the next frame
            shift = (
                np.inf
                if previous is None
                else max(
                    np.abs(now[:16] - before[:16]).max() for now, before in zip(self._eye_points, previous)
                )
            )
        self._eyes_steady = shift <= self.settings.landmarks_steady_px
        last = self._eye_results
        results = []
        for i, (points, m) in enumerate(zip(self._eye_points, matrices)):
            if last is not None and last[0][i] is points and last[1][i] is m:  # neither moved: as before
                results.append(last[2][i])
            else:
                eye = to_image(points, m)
                results.append(EyeResult(eye[:71], eye[71:]))
        self._eye_results = (list(self._eye_points), matrices, results)
        return results[0], results[1]

    def _gated_irises(self, image: np.ndarray, matrices: list[np.ndarray]) -> float:
        """`iris_gate`: the eye-state model on both eyes, the iris model only where the look changed.
        Returns the largest lid-point move of the eyes that ran (0 when none ran)."""
        s = self.settings
        before = [points[:16] for points in self._eye_points]  # _run_iris puts new arrays in place
        if not self.eyes_settled:  # a blink under way: both eyes run, the model looks once, afterwards
            run = [0, 1]
            logits = [None, None]
        else:
            corners = [to_image(points[[0, 8]], m) for points, m in zip(self._eye_points, matrices)]
            logits = self._eye_model.logits_at(image, corners)
            self._closed_logits = (logits[1], logits[0])
            run = [
                i
                for i, (now, last) in enumerate(zip(logits, self._gate_logit))
                if now is None
                or last is None
                or now > s.iris_gate_open_logit
                or abs(now - last) > s.iris_gate_logit_change
                or self._gate_age[i] + 1 >= s.iris_gate_max_age
            ]
        if run:
            self._run_iris(image, matrices, tuple(run))
        moved = [float(np.abs(self._eye_points[i][:16] - before[i]).max()) for i in run]
        if len(run) == 1 and moved[0] > s.iris_refresh_px:
            other = 1 - run[0]
            self._run_iris(image, matrices, (other,))
            run.append(other)
            moved.append(float(np.abs(self._eye_points[other][:16] - before[other]).max()))
        if run:  # the eyes that ran: their look again, cut at their new corners (for the fusion)
            fresh = self._eye_model.logits_at(
                image, [to_image(self._eye_points[i][[0, 8]], matrices[i]) for i in run]
            )
            for i, v in zip(run, fresh):
                logits[i] = v
            self._closed_logits = (logits[1], logits[0])
        for i in (0, 1):
            if i in run:
                self._gate_logit[i], self._gate_age[i] = logits[i], 0
            else:
                self._gate_age[i] += 1
        return max(moved, default=0.0)

    def _run_iris(self, image: np.ndarray, matrices: list[np.ndarray], which: tuple[int, ...]) -> None:
        """Iris model on the eyes `which` (0 right, 1 left); keeps their points in crop pixels."""
        batch = np.stack([rgb_tensor(warp(image, matrices[i], IRIS_INPUT)) for i in which])
        contours, irises = self._iris_model.run(batch)
        for i, contour, iris in zip(which, contours, irises):
            self._eye_points[i] = np.concatenate([contour, iris]).reshape(76, 3)[:, :2]

    def _mesh_eyes(self, lm: np.ndarray) -> tuple[EyeResult, EyeResult]:
        """Eyes from the face mesh alone (iris model off): the 16 lid points in the iris model's order;
        no iris is measured, so `iris` holds the lid contour's centroid five times."""
        eyes = []
        for indices in (RIGHT_EYE_LIDS, LEFT_EYE_LIDS):
            contour = lm[list(indices), :2].astype(np.float64)
            eyes.append(EyeResult(contour, np.repeat(contour.mean(0, keepdims=True), 5, axis=0)))
        return eyes[0], eyes[1]

    # ------------------------------------------------------------------ frame

    def process(self, image_bgr: np.ndarray) -> FaceResult | None:
        """Landmarks, eyes, pose and gaze of the driver in one BGR frame; None when no face is found."""
        clock = self._clock
        t_start = clock()
        timings: dict[str, float] = {}
        image_bgr = as_bgr(image_bgr)
        if image_bgr is None:
            self._roi = None
            return None
        tracked = self._roi is not None
        roi = self._roi
        lm, score = None, 0.0
        if (
            roi is not None
            and self._last is not None
            and self._age + 1 < self.settings.landmarks_every
            and (self._eyes_steady or not self.settings.landmarks_when_steady)
        ):
            return self._from_last_landmarks(image_bgr, timings, t_start)
        if roi is not None:
            t = clock()
            lm, score = self._landmarks(image_bgr, roi)
            timings["landmarks"] = (clock() - t) * 1e3
        if lm is None or score < self.settings.min_presence:
            # lost (or never had) the face: detect in this same frame rather than drop it
            tracked = False
            t = clock()
            roi = self._detect(image_bgr)
            timings["detect"] = (clock() - t) * 1e3
            if roi is None:
                self._roi = None
                return None
            t = clock()
            lm, score = self._landmarks(image_bgr, roi)
            timings["landmarks"] = timings.get("landmarks", 0.0) + (clock() - t) * 1e3
            if score < self.settings.min_presence:
                self._roi = None
                return None
        self._roi = self._roi_from_landmarks(lm)
        t = clock()
        self._last = FaceModelOutput(lm, score, self._pose.estimate(lm))
        self._age = 0
        timings["pose"] = (clock() - t) * 1e3
        return self._with_eyes(image_bgr, tracked, timings, t_start)

    def _from_last_landmarks(
        self, image_bgr: np.ndarray, timings: dict[str, float], t_start: float
    ) -> FaceResult:
        """A frame between face-model runs (landmarks_every > 1): fresh eyes, the last face."""
        self._age += 1
        return self._with_eyes(image_bgr, True, timings, t_start)

    def _with_eyes(
        self, image_bgr: np.ndarray, tracked: bool, timings: dict[str, float], t_start: float
    ) -> FaceResult:
        clock = self._clock
        face = self._last
        lm = face.landmarks
        t = clock()
        right_eye, left_eye = (
            self._irises(image_bgr, lm, tracked) if self._iris_model else self._mesh_eyes(lm)
        )
        timings["iris"] = (clock() - t) * 1e3

        head_yaw, head_pitch, head_roll = face.pose
        across = face.across
        eye_yaw = eye_pitch = 0.0
        if self._iris_model:
            (ry, rp), (ly, lp) = (
                eye_rotation(eye.contour[0], eye.contour[8], eye.iris[0], across)
                for eye in (right_eye, left_eye)
            )
            eye_yaw, eye_pitch = (ry + ly) / 2, (rp + lp) / 2
        timings["total"] = (clock() - t_start) * 1e3
        return FaceResult(
            landmarks=face.landmarks32,
            left_eye=left_eye,
            right_eye=right_eye,
            box=face.box,
            score=face.score,
            faces=self._faces,
            tracked=tracked,
            landmarks_age=self._age,
            head_yaw=head_yaw,
            head_pitch=head_pitch,
            head_roll=head_roll,
            gaze_yaw=head_yaw + eye_yaw,
            gaze_pitch=head_pitch + eye_pitch,
            timings_ms=timings,
            closed_logits=self._closed_logits if self._iris_model else None,
        )
