"""Driver sessions: the tracker, the policy's reset and the runtime's session ids (fake time, no models)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from edge.config import DeviceConfig
from edge.policy import DriverMonitor
from edge.policy.synthetic import frames
from edge.runtime import EdgeRuntime
from edge.session import (
    DriverChange,
    DriverSessions,
    DriverSessionSettings,
    DriverSessionTracker,
    face_signature,
)
from edge.signals import FrameSignals
from edge.vision.eyestate import EyeStateSettings
from edge.vision.head_pose import canonical_face
from edge.vision.pipeline import VisionPipeline, VisionSettings


def _face(t: float, landmarks: np.ndarray) -> FrameSignals:
    return FrameSignals(
        t=t,
        frame_index=round(t * 30),
        face_found=True,
        head_yaw=0.0,
        head_pitch=0.0,
        face_landmarks=landmarks,
    )


def _posed(points: np.ndarray, yaw_deg: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    a = np.radians(yaw_deg)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    return scale * points @ rot.T + np.array([shift[0], shift[1], 0.0])


def test_an_empty_seat_at_a_standstill_starts_a_new_driver_but_a_face_lost_while_driving_does_not():
    s = DriverSessionSettings()
    tracker = DriverSessionTracker(s, session_id="first")
    no_face = [FrameSignals(t=1 + i / 30, frame_index=i, face_found=False) for i in range(10 * 30)]
    assert tracker.update(FrameSignals(t=0.0, frame_index=0, face_found=False), 0.0) is None  # nobody yet
    assert tracker.update(_face(0.5, canonical_face()), 60.0) is None
    assert all(tracker.update(f, 60.0) is None for f in no_face)  # a glance out of view at speed
    assert tracker.session_id == "first"
    tracker.update(_face(11.5, canonical_face()), 60.0)
    changes = [c for f in no_face for c in [tracker.update(replace(f, t=f.t + 12), 0.0)] if c]
    assert len(changes) == 1 and changes[0].reason == "seat_empty"
    assert changes[0].t - 11.5 >= s.absent_s and changes[0].previous_session_id == "first"
    assert tracker.session_id == changes[0].session_id != "first"


def test_the_face_signature_ignores_pose_and_scale_and_tells_another_face():
    s = DriverSessionSettings()
    face = canonical_face()
    same = face_signature(_posed(face, 15, 1.7, (200, 90)), 0.0, 0.0, s)
    assert np.sqrt(np.mean((same - face_signature(face, 0.0, 0.0, s)) ** 2)) < 1e-3
    assert face_signature(face, 35.0, 0.0, s) is None  # turned too far to judge


def test_another_face_in_the_seat_is_a_new_driver_the_same_face_in_other_poses_is_not():
    rng = np.random.default_rng(1)
    face = canonical_face()
    other = face.copy()
    other[:, 0] *= 1.12  # a wider face, narrower eyes: another person's geometry
    other[:, 1] *= 0.95
    tracker = DriverSessionTracker()
    t = 0.0
    for i in range(300):  # 10 s of the same driver turning a little, nearer and further
        posed = _posed(face, float(rng.uniform(-10, 10)), float(rng.uniform(0.8, 1.3)), (i, 0))
        assert tracker.update(_face(t, posed + rng.normal(0, 0.3, face.shape)), 60.0) is None
        t += 1 / 30
    changes = []
    for _ in range(150):  # the next person's face, the vehicle moving (no jump check): the 1 s signature
        change = tracker.update(_face(t, other + rng.normal(0, 0.3, face.shape)), 60.0)
        changes += [change] if change else []
        t += 1 / 30
    assert [c.reason for c in changes] == ["face_changed"]
    assert changes[0].details["signature_distance"] > DriverSessionSettings().signature_threshold


def test_at_a_standstill_a_face_that_jumps_to_another_shape_is_a_new_driver_on_its_first_frame():
    rng = np.random.default_rng(2)
    face = canonical_face()
    other = face.copy()
    other[:, 0] *= 1.12
    other[:, 1] *= 0.95
    tracker = DriverSessionTracker(session_id="a")
    t = 0.0
    for i in range(300):  # 10 s stopped, the same driver moving a little: no jump
        posed = _posed(face, float(rng.uniform(-10, 10)), float(rng.uniform(0.8, 1.3)), (i, 0))
        assert tracker.update(_face(t, posed + rng.normal(0, 0.3, face.shape)), 0.0) is None
        t += 1 / 30
    assert tracker.last_jump < DriverSessionSettings().jump_threshold
    swap = [tracker.update(_face(t + k / 30, other + rng.normal(0, 0.3, face.shape)), 0.0) for k in range(90)]
    assert swap[0] is not None and swap[0].reason == "face_jump" and not any(swap[1:])
    assert swap[0].details["signature_jump"] > DriverSessionSettings().jump_threshold
    # the same cut while driving is left to the 1 s signature (a jump at speed is a tracking glitch)
    moving = DriverSessionTracker()
    for k in range(30):
        moving.update(_face(k / 30, face), 60.0)
    assert moving.update(_face(1.0, other), 60.0) is None


def test_a_new_driver_closes_the_episodes_and_forgets_the_windows_of_the_last_one():
    monitor = DriverMonitor(session_id="a")
    tracker = DriverSessionTracker(session_id="a")
    events = []
    for f in frames([(3.0, "ahead"), (2.0, "closed")], fps=15):
        events += monitor.update(f, 60.0)
    assert "sleep" not in monitor.active() and "microsleep" in monitor.active()
    assert all(e.session_id == "a" and e.episode_id.startswith("a-") for e in events)
    change = tracker._change(5.0, "seat_empty", {})
    out = monitor.new_driver(change)
    assert [(e.type, e.phase) for e in out] == [("microsleep", "end"), ("driver_change", "start")]
    assert out[0].details["reason"] == "driver_change" and out[-1].level == 0
    assert out[-1].episode_id == change.session_id == monitor.session_id
    assert out[-1].details["previous_session_id"] == "a"
    assert not monitor.active() and monitor.state_summary().perclos is None
    later = [
        e for f in frames([(3.0, "ahead"), (1.2, "closed")], fps=15, t0=6.0) for e in monitor.update(f, 60.0)
    ]
    assert [e.type for e in later] == ["microsleep"] and later[0].session_id == change.session_id


def test_a_warming_up_frame_is_closed_for_the_policy_only_when_the_model_says_so():
    monitor = DriverMonitor()
    events = []
    for f in frames([(3.0, "ahead"), (2.0, "closed")], fps=15):
        events += monitor.update(replace(f, eyes_warming_up=True, eyes_closed_by_model=False), 60.0)
    assert not events  # the lids read closed from a level not learnt: nothing is raised
    for f in frames([(1.5, "closed")], fps=15, t0=5.0):
        events += monitor.update(replace(f, eyes_warming_up=True, eyes_closed_by_model=True), 60.0)
    assert [e.type for e in events] == ["microsleep"]


def test_the_runtime_sends_the_session_id_and_a_driver_change_after_an_empty_seat():
    out = io.StringIO()
    config = DeviceConfig(vehicle_id="swap-1", speed_kmh=0)
    runtime = EdgeRuntime(config, events_out=out)
    first = runtime.sessions.session_id
    assert first == runtime.monitor.session_id
    runtime.run([*frames([(2.0, "ahead"), (5.0, "no_face"), (2.0, "ahead")], fps=15)])
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    change = [line for line in lines if line["type"] == "driver_change"]
    assert len(change) == 1 and change[0]["details"]["previous_session_id"] == first
    assert change[0]["session_id"] == runtime.sessions.session_id != first


def _eye(gap: float) -> SimpleNamespace:
    """An eye 30 px wide whose lids are `gap` px apart (the face mesh's 16 lid points)."""
    x, xu = np.linspace(0, 30, 9), np.linspace(2, 28, 7)
    contour = np.r_[np.c_[x, gap / 2 * np.sin(np.pi * x / 30)], np.c_[xu, -gap / 2 * np.sin(np.pi * xu / 30)]]
    return SimpleNamespace(contour=contour, iris=np.repeat(contour.mean(0, keepdims=True), 5, axis=0))


def _eyes_face(gap: float) -> SimpleNamespace:
    pose = dict(head_yaw=0.0, head_pitch=0.0, head_roll=0.0, gaze_yaw=0.0, gaze_pitch=0.0)
    return SimpleNamespace(left_eye=_eye(gap), right_eye=_eye(gap), landmarks=None, box=None, faces=1, **pose)


class _ChangeOn:
    """A tracker that notices a new driver on one given frame."""

    def __init__(self, frame_index: int):
        self.frame_index, self.session_id = frame_index, "a"

    def update(self, signals, speed_kmh):
        if signals.frame_index != self.frame_index:
            return None
        return DriverChange(t=signals.t, reason="face_jump", session_id="b", previous_session_id="a")


def test_the_frame_a_new_driver_is_noticed_on_is_judged_again_as_from_a_cold_start():
    """Wide eyes for 2 s, then a driver whose eyes open half as far: judged with the last driver's level
    the first frame reads closed; noticed on that frame, it is judged again with nothing learnt."""
    settings = VisionSettings(eyes=EyeStateSettings(use_model=False))
    vision = VisionPipeline(settings, face_mesh=object(), eye_model=None)
    path = DriverSessions(_ChangeOn(60), vision=vision, monitor=DriverMonitor(session_id="a"))
    for i in range(60):
        s, _ = path.step(vision.process_face(_eyes_face(10.0), i / 30, i), 0.0)
    assert not s.eyes_closed
    first = vision.process_face(_eyes_face(5.0), 2.0, 60)
    assert first.eyes_closed  # the last driver's level
    s, events = path.step(first, 0.0)
    assert not s.eyes_closed and s.closure == 0.0 and "driver_change" in [e.type for e in events]
    assert vision.rejudge(first) is None  # once only
    s, _ = path.step(vision.process_face(_eyes_face(5.0), 2.0 + 1 / 30, 61), 0.0)
    assert not s.eyes_closed


def test_a_pitched_face_is_a_new_driver_when_its_box_and_shape_jump_together_once_only():
    """A camera below the face: no frontal frame (pitch 20). The box jumping alone (the driver moving)
    or the shape alone (the mesh deforming with pose) is no change; both at once is, and is not taken
    again on the new driver's next frames."""
    rng = np.random.default_rng(3)
    face, other = canonical_face(), canonical_face().copy()
    other[:, 0] *= 1.12
    other[:, 1] *= 0.95

    def pitched(t: float, points: np.ndarray, box: tuple) -> FrameSignals:
        return replace(_face(t, points + rng.normal(0, 0.3, face.shape)), head_pitch=20.0, face_box=box)

    tracker = DriverSessionTracker(session_id="a")
    box, moved = (100.0, 100.0, 300.0, 320.0), (160.0, 110.0, 360.0, 330.0)
    t = 0.0
    for _ in range(60):
        assert tracker.update(pitched(t, face, box), 0.0) is None
        t += 1 / 30
    assert tracker.update(pitched(t, face, moved), 0.0) is None  # the same face moved
    assert tracker.update(pitched(t + 1 / 30, other, moved), 0.0) is None  # the shape alone
    assert tracker.update(pitched(t + 2 / 30, face, moved), 0.0) is None
    t += 3 / 30
    # another person, elsewhere in the picture; then (within jump_hold_s) frames that jump each time
    swap = [
        tracker.update(pitched(t + k / 30, (other, face)[k % 2], (box, moved)[k % 2]), 0.0) for k in range(29)
    ]
    assert swap[0] is not None and swap[0].reason == "face_jump" and not any(swap[1:])
    assert swap[0].details["box_jump"] > DriverSessionSettings().box_jump
