"""FaceMesh on real dev frames: the face, its eye corners, no face, two faces, tracking."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from edge.sources import open_source
from edge.vision.backends import BackendSettings
from edge.vision.facemesh import (
    LEFT_EYE_INNER,
    LEFT_EYE_OUTER,
    RIGHT_EYE_INNER,
    RIGHT_EYE_OUTER,
    FaceMesh,
    FaceMeshSettings,
)

CLIPS = (
    "clips/2/000001M_FNN.avi",
    "clips/1/000001M_FBN.avi",
    "clips/4/000001M_UNN.avi",
    "clips/18/000005M_FNN.avi",
)


@pytest.fixture(scope="module")
def labelled_frames(zju_dataset):
    """(image, label row) for a few open-eyed annotated frames of several clips and conditions."""
    with open(zju_dataset / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = [
            r
            for r in csv.DictReader(fh)
            if r["video"] in CLIPS and r["annotated"] == "1" and r["blink_id"] == "-1" and r["LE_LX"]
        ]
    out = []
    for clip in CLIPS:
        wanted = {int(r["decoded_index"]): r for r in rows if r["video"] == clip}
        picks = sorted(wanted)[5::40][:3]
        with open_source(str(zju_dataset / clip)) as source:
            for frame in source:
                if frame.index in picks:
                    out.append((frame.image, wanted[frame.index]))
                if frame.index > picks[-1]:
                    break
    return out


@pytest.fixture(scope="module", params=["litert", "onnxruntime"])
def mesh(request):
    return FaceMesh(FaceMeshSettings(backend=BackendSettings(backend=request.param)))


def test_landmarks_sit_on_the_labelled_eye_corners(mesh, labelled_frames):
    errors = []
    for image, row in labelled_frames:
        mesh.reset()
        face = mesh.process(image)
        assert face is not None, row["video"]
        assert face.landmarks.shape == (468, 3) and face.faces == 1 and not face.tracked
        # labels name eyes by image side: LE = image left = the driver's right eye
        labelled = {
            RIGHT_EYE_OUTER: ("LE_LX", "LE_LY"),
            RIGHT_EYE_INNER: ("LE_RX", "LE_RY"),
            LEFT_EYE_INNER: ("RE_LX", "RE_LY"),
            LEFT_EYE_OUTER: ("RE_RX", "RE_RY"),
        }
        for idx, (kx, ky) in labelled.items():
            errors.append(np.hypot(*(face.landmarks[idx, :2] - (float(row[kx]), float(row[ky])))))
        # the iris model's contour starts at the outer corner and reaches the inner one at index 8
        for eye, outer, inner in (
            (face.right_eye, RIGHT_EYE_OUTER, RIGHT_EYE_INNER),
            (face.left_eye, LEFT_EYE_OUTER, LEFT_EYE_INNER),
        ):
            assert eye.contour.shape == (71, 2) and eye.iris.shape == (5, 2)
            assert np.hypot(*(eye.contour[0] - face.landmarks[outer, :2])) < 6
            assert np.hypot(*(eye.contour[8] - face.landmarks[inner, :2])) < 6
            assert eye.contour[:, 0].min() <= eye.iris[0, 0] <= eye.contour[:, 0].max()
    errors = np.array(errors)
    assert len(errors) >= 24
    assert np.median(errors) < 5.0 and errors.max() < 12.0, errors.round(1)


def test_blank_image_has_no_face(mesh):
    mesh.reset()
    assert mesh.process(np.full((240, 320, 3), 128, np.uint8)) is None
    assert mesh.process(np.zeros((240, 320, 3), np.uint8)) is None


def test_grey_and_empty_pictures_do_not_crash(mesh, labelled_frames):
    import cv2

    mesh.reset()
    grey = cv2.cvtColor(labelled_frames[0][0], cv2.COLOR_BGR2GRAY)
    assert mesh.process(grey) is not None
    assert mesh.process(np.zeros((0, 0, 3), np.uint8)) is None
    assert mesh.process(np.zeros((4, 4, 3), np.uint8)) is None


def test_two_faces_counted_and_the_larger_chosen(mesh, labelled_frames):
    import cv2

    big = labelled_frames[0][0]
    small = cv2.resize(labelled_frames[3][0], None, fx=0.6, fy=0.6)
    canvas = np.zeros((big.shape[0], big.shape[1] + small.shape[1], 3), np.uint8)
    canvas[:, : big.shape[1]] = big
    canvas[: small.shape[0], big.shape[1] :] = small
    mesh.reset()
    face = mesh.process(canvas)
    assert face is not None and face.faces == 2
    assert face.box[2] <= big.shape[1] + 5  # inside the larger (left) tile


def test_tracking_skips_detection_on_following_frames(mesh, zju_dataset):
    mesh.reset()
    results = []
    with open_source(str(zju_dataset / CLIPS[0])) as source:
        for frame in source:
            results.append(mesh.process(frame.image))
            if frame.index == 9:
                break
    assert all(r is not None for r in results)
    assert "detect" in results[0].timings_ms and not results[0].tracked
    assert all(r.tracked and "detect" not in r.timings_ms for r in results[1:])
    assert all(r.faces == 1 for r in results)
    # a frontal face looking at the camera: pose and gaze near zero
    assert abs(np.median([r.head_yaw for r in results])) < 15
    assert abs(np.median([r.head_roll for r in results])) < 10


def test_without_iris_model_the_lids_come_from_the_mesh(mesh, labelled_frames):
    image = labelled_frames[0][0]
    mesh.reset()
    full = mesh.process(image)
    light = FaceMesh(FaceMeshSettings(iris=False, backend=mesh.settings.backend)).process(image)
    for dense, coarse in ((full.right_eye, light.right_eye), (full.left_eye, light.left_eye)):
        assert coarse.contour.shape == (16, 2) and coarse.iris.shape == (5, 2)
        # same 16 lid points in the same order, a few pixels apart
        assert np.median(np.hypot(*(dense.contour[:16] - coarse.contour).T)) < 4
    assert (light.gaze_yaw, light.gaze_pitch) == (light.head_yaw, light.head_pitch)
