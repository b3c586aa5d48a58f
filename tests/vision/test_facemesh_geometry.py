"""The geometry under FaceMesh: anchors and NMS, crops, head-pose signs, eye rotation, gaze zones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dms.contract import GazeZone
from edge.vision.face_detector import iou, ssd_anchors, weighted_nms
from edge.vision.gaze import NEUTRAL_IRIS_RAISE, eye_rotation
from edge.vision.gaze_zones import GazeZoneClassifier, GazeZoneSettings, eyes_on_road
from edge.vision.head_pose import HeadPose, canonical_face
from edge.vision.roi import Roi, to_image


def test_short_range_anchor_grid():
    anchors = ssd_anchors()
    assert anchors.shape == (896, 2)
    assert np.allclose(anchors[0], [0.5 / 16, 0.5 / 16]) and np.allclose(anchors[1], anchors[0])
    assert np.allclose(anchors[512], [0.5 / 8, 0.5 / 8]) and np.allclose(anchors[512:518], anchors[512])


def test_weighted_nms_merges_overlaps_and_keeps_separate_faces():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], dtype=float)
    kps = np.zeros((3, 6, 2))
    kps[1] += 1.0
    kept = weighted_nms(boxes, kps, np.array([0.9, 0.6, 0.8]), threshold=0.3)
    assert len(kept) == 2
    box, kp, score = kept[0]
    assert score == pytest.approx(0.9)
    assert box[0] == pytest.approx(0.6 / 1.5) and kp[0, 0] == pytest.approx(0.6 / 1.5)
    assert iou(np.array([0, 0, 10, 10.0]), np.array([[5, 0, 15, 10.0]]))[0] == pytest.approx(1 / 3)


@pytest.mark.parametrize("mirror", [False, True])
def test_crop_matrix_round_trip(mirror):
    roi = Roi(100.0, 80.0, 40.0, 40.0, math.radians(20))
    m = roi.crop_matrix(64, mirror=mirror)
    assert np.allclose(m[:, :2] @ [100.0, 80.0] + m[:, 2], [32, 32])
    pts = np.array([[0.0, 0.0, 6.4], [64.0, 32.0, 0.0]])
    back = to_image(pts, m)
    assert np.allclose(m[:, :2] @ back[:, :2].T + m[:, 2:], pts[:, :2].T)
    assert back[0, 2] == pytest.approx(4.0)  # depth scaled like x, y: 64 px crop = 40 px of image


def _rotation(yaw=0.0, pitch=0.0, roll=0.0):
    """Rotation in landmark axes (x right, y down, z away) for a driver turning by these angles."""
    y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
    # turning left moves the nose (towards -z) to +x: rotation about the y axis
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    # looking up moves the nose to -y
    rx = np.array([[1, 0, 0], [0, math.cos(p), math.sin(p)], [0, -math.sin(p), math.cos(p)]])
    # left-shoulder tilt moves the left eye (+x) down (+y)
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return ry @ rx @ rz


@pytest.mark.parametrize(
    "yaw,pitch,roll", [(0, 0, 0), (30, 0, 0), (-25, 0, 0), (0, 20, 0), (0, -15, 0), (0, 0, 12), (20, -10, 5)]
)
def test_head_pose_signs_and_values(yaw, pitch, roll):
    face = canonical_face() @ _rotation(yaw, pitch, roll).T * 0.8 + [160, 120, 0]
    got = HeadPose().estimate(face)
    assert got == pytest.approx((yaw, pitch, roll), abs=1.0)


def test_eye_rotation_signs():
    outer, inner, across = np.array([0.0, 0.0]), np.array([30.0, 0.0]), np.array([1.0, 0.0])
    straight = np.array([15.0, -NEUTRAL_IRIS_RAISE * 30])
    assert eye_rotation(outer, inner, straight, across) == pytest.approx((0.0, 0.0))
    yaw, pitch = eye_rotation(outer, inner, np.array([20.0, -6.0]), across)
    assert yaw > 10 and pitch > 5  # iris toward image right (driver's left) and up


def test_gaze_zones_left_and_right_hand_drive():
    lhd = GazeZoneClassifier(GazeZoneSettings(learn_straight_ahead=False))
    assert lhd.zone_of(0, 0) is GazeZone.ROAD
    assert lhd.zone_of(40, -10) is GazeZone.LEFT_MIRROR
    assert lhd.zone_of(-60, -10) is GazeZone.RIGHT_MIRROR
    assert lhd.zone_of(-30, 15) is GazeZone.REAR_MIRROR
    assert lhd.zone_of(0, -20) is GazeZone.CLUSTER
    assert lhd.zone_of(-30, -25) is GazeZone.INFOTAINMENT
    assert lhd.zone_of(0, -50) is GazeZone.LAP
    assert lhd.zone_of(80, 0) is GazeZone.LEFT_WINDOW
    assert lhd.zone_of(-90, 0) is GazeZone.RIGHT_WINDOW
    rhd = GazeZoneClassifier(GazeZoneSettings(drive_side="right", learn_straight_ahead=False))
    assert rhd.zone_of(-40, -10) is GazeZone.RIGHT_MIRROR
    assert rhd.zone_of(30, -25) is GazeZone.INFOTAINMENT
    assert rhd.zone_of(30, 15) is GazeZone.REAR_MIRROR
    assert [eyes_on_road(z) for z in ("road", "left_mirror", "cluster", "infotainment", "lap", None)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_straight_ahead_is_learnt_from_road_gaze_only():
    class Gaze:
        def __init__(self, yaw, pitch):
            self.gaze_yaw, self.gaze_pitch = yaw, pitch

    zones = GazeZoneClassifier(GazeZoneSettings(learning_rate=0.05))
    for _ in range(200):  # a camera mounted off-axis: road gaze reads as yaw -8, pitch 6
        zones.classify(Gaze(-8.0, 6.0))
    zones.classify(Gaze(60.0, -40.0))  # one glance away does not teach it
    assert (zones.straight_yaw, zones.straight_pitch) == pytest.approx((-8.0, 6.0), abs=0.1)
    assert zones.classify(Gaze(-8.0 + 40, 6.0 - 10)).zone is GazeZone.LEFT_MIRROR
