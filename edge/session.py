"""Driver sessions on the vehicle: notice that the person in the seat may have changed, and start anew.

Everything the edge learns about a driver (open and closed eye levels, blink depths, straight-ahead
gaze, the policy's PERCLOS window, fatigue timers, break counters) belongs to one person. Shift changes
with the engine running are ordinary in fleets, so the vehicle cannot wait for a restart: the
`DriverSessionTracker` sits between vision and policy and suspects a change when

- no face has been seen for longer than `absent_s` while the vehicle stands still (the seat empty, a
  door open), or
- the face's geometry no longer matches the session's: a signature of the 468-point mesh, aligned to
  the reference face (rotation, scale and position removed), averaged over about a second of
  frontal-ish frames, moves further than `signature_threshold` from the session's reference, or
- at a standstill, the signature jumps from one face frame to the next (`jump_threshold`): a person
  does not change shape between two pictures, so a direct swap (the seat empty too briefly, or a cut)
  starts a new driver on its first frontal frame.

The signature never leaves the vehicle (it is kept in memory for the session only, not logged nor
sent). On a change the caller resets what vision and policy learnt (`apply_driver_change`) and the
policy reports a `driver_change` event with the new session id.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import Field

from dms.settings import Settings


class DriverSessionSettings(Settings):
    """When the person in the seat counts as a new driver."""

    enabled: bool = Field(
        True,
        description="Track driver sessions; off: one session for the whole run "
        "(nothing learnt per driver is ever reset).",
    )
    absent_s: float = Field(
        3.0,
        gt=0,
        le=600,
        description="No face for this long at a standstill (or at an unknown speed) "
        "starts a new driver. A seat swap takes longer (a door, getting out "
        "and in), while a driver bending down or turning round stays out of "
        "view for less; a change suspected wrongly costs only a warm-up.",
    )
    standstill_kmh: float = Field(
        5.0,
        ge=0,
        le=30,
        description="At or below this speed the vehicle stands still: only then can "
        "an empty seat mean a new driver. While driving, a face lost is "
        "a glance or an occlusion whose timers must go on.",
    )
    use_signature: bool = Field(True, description="Also compare the face geometry with the session's.")
    signature_threshold: float = Field(
        2.2,
        gt=0,
        le=100,
        description="RMS distance (reference-face units) between the session's "
        "signature and the last second's that means another face. "
        "Chosen above every distance between 1 s signatures of one dev "
        "subject, over all four of their clips (at most 2.01; "
        "python -m edge.evaluation.driver_change).",
    )
    use_jump: bool = Field(
        True,
        description="At a standstill, a jump of the signature between two face frames starts a new driver.",
    )
    jump_threshold: float = Field(
        1.6,
        gt=0,
        le=100,
        description="RMS distance between the signatures of two face frames in a row (at most "
        "absent_s apart) that, at a standstill, means another person. Above the largest "
        "frame-to-frame distance within any dev clip (1.574, subject 000006); between "
        "different subjects 1.70-3.80 (frontal frames; python -m edge.evaluation.driver_change, "
        "which also reports the leave-one-subject-out choice). A wrong one at a standstill costs a "
        "warm-up and the fatigue evidence gathered so far (README).",
    )
    box_jump: float = Field(
        0.075,
        gt=0,
        le=10,
        description="At a standstill, a face frame whose box moved (centre shift over box width) or "
        "rescaled (|log| of the width ratio) by more than this since the last face frame, and whose "
        "signature jumped beyond box_jump_signature, is another person even when the face is pitched up to "
        "jump_pitch_deg (a camera below the face: no frontal frame). Twice the largest frame-to-frame "
        "box change within any dev clip (0.038); at the cuts between dev subjects 0.11-0.38 (python -m "
        "edge.evaluation.driver_change, which also reports the leave-one-subject-out choice).",
    )
    box_jump_signature: float = Field(
        1.0,
        gt=0,
        le=100,
        description="The signature distance (frames up to jump_pitch_deg) that, with a box_jump, means "
        "another person: above 99 % of the frame-to-frame distances within the dev clips (0.89; their "
        "largest 2.40, none of them with a box jump beyond 0.038). At random cut points between two dev "
        "subjects the rules find 93-99 % of swaps per condition, against 58-85 % with jump_threshold.",
    )
    jump_pitch_deg: float = Field(
        40.0,
        gt=0,
        le=60,
        description="Head pitch up to which a face frame is compared with the last one for the box-and-"
        "signature jump (frontal_pitch_deg bounds the signature jump alone and the 1 s signature).",
    )
    jump_hold_s: float = Field(
        1.0,
        ge=0,
        le=30,
        description="After a change of driver no jump is taken for this long: the new driver's first "
        "frames are measured less steadily (at 15 fps the jump fired again on the next frame of 4 of "
        "29 dev swaps), and nobody changes seats twice within a second.",
    )
    signature_frames: int = Field(
        30, ge=5, le=600, description="Frontal frames averaged into one signature (about 1 s)."
    )
    confirm_s: float = Field(
        1.0, ge=0, le=30, description="The signature must stay beyond the threshold this long."
    )
    frontal_yaw_deg: float = Field(
        20.0,
        gt=0,
        le=60,
        description="Only frames with the head turned less than this teach or "
        "check the signature (the mesh deforms at large angles).",
    )
    frontal_pitch_deg: float = Field(
        10.0,
        gt=0,
        le=60,
        description="The same for head pitch (relative to the camera: a camera mounted "
        "below the face sees a pitched face whose mesh is shaped otherwise).",
    )


def face_signature(
    landmarks: Any,
    head_yaw: float | None,
    head_pitch: float | None,
    settings: DriverSessionSettings,
    max_pitch_deg: float | None = None,
) -> np.ndarray | None:
    """The face's geometry with pose, scale and position removed: the 468 points after a similarity
    fit to the reference face, minus the reference (None on a turned face or without landmarks;
    `max_pitch_deg`: the pitch allowed, default settings.frontal_pitch_deg)."""
    if landmarks is None or head_yaw is None or head_pitch is None:
        return None
    max_pitch = settings.frontal_pitch_deg if max_pitch_deg is None else max_pitch_deg
    if abs(head_yaw) > settings.frontal_yaw_deg or abs(head_pitch) > max_pitch:
        return None
    from edge.vision.head_pose import canonical_face, rigid_fit

    points = np.asarray(landmarks, dtype=np.float64)
    reference = canonical_face()
    if points.shape != reference.shape or not np.isfinite(points).all():
        return None
    rot, scale, shift = rigid_fit(points, reference)
    return (scale * points @ rot.T + shift - reference).astype(np.float32)


def signature_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)))


def box_jump(a: Any, b: Any) -> float | None:
    """How far a face box (x_min, y_min, x_max, y_max) moved or rescaled between two frames: the larger of
    the centre shift over the wider box's width and |log| of the width ratio (None without both boxes)."""
    if a is None or b is None:
        return None
    wa, wb = a[2] - a[0], b[2] - b[0]
    if wa <= 0 or wb <= 0:
        return None
    shift = np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2) / max(wa, wb)
    return float(max(shift, abs(np.log(wa / wb))))


@dataclass(frozen=True, slots=True)
class DriverChange:
    """The seat's occupant may have changed at `t`: a new session begins."""

    t: float
    reason: str
    """"seat_empty", "face_changed" or "face_jump"."""
    session_id: str
    previous_session_id: str
    details: dict = field(default_factory=dict)


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


class DriverSessionTracker:
    """Feed every frame's signals (in time order) with the vehicle speed; `update` returns a
    `DriverChange` on the frame a new driver is suspected, else None."""

    def __init__(self, settings: DriverSessionSettings | None = None, session_id: str | None = None):
        self.settings = settings or DriverSessionSettings()
        self.session_id = session_id or new_session_id()
        self.changes: deque[DriverChange] = deque(maxlen=1000)
        """The latest changes (for reports; bounded: a vehicle runs for months)."""
        self._last_face_t: float | None = None
        self._absent_since: float | None = None
        self._stood_still = False  # the vehicle stood still (or its speed was unknown) during this absence
        self._seat_empty = False  # a change for this absence was already made
        # (t, signature) of the last frontal face, for the jump check; (t, signature, box) of the last
        # face within jump_pitch_deg, for the box-and-signature jump
        self._last_signature: tuple[float, np.ndarray] | None = None
        self._last_pitched: tuple[float, np.ndarray, Any] | None = None
        self._last_change_t: float | None = None
        self.last_jump: float | None = None
        """The last frame-to-frame signature distance between frontal frames (for measurements)."""
        self._new_session()

    def _new_session(self) -> None:
        self._reference_sum: np.ndarray | None = None
        self._reference_n = 0
        self._window: deque[np.ndarray] = deque(maxlen=self.settings.signature_frames)
        self._window_sum: np.ndarray | None = None
        self._differs_since: float | None = None
        self.last_distance: float | None = None
        """The last signature distance from the session's reference (for measurements)."""

    def update(self, signals: Any, speed_kmh: float | None = None) -> DriverChange | None:
        s = self.settings
        if not s.enabled:
            return None
        t = signals.t
        if not signals.face_found:
            if self._absent_since is None:
                self._absent_since = t if self._last_face_t is None else self._last_face_t
                self._stood_still = False
            self._stood_still |= speed_kmh is None or speed_kmh <= s.standstill_kmh
            if (
                not self._seat_empty
                and self._last_face_t is not None
                and self._stood_still
                and t - self._absent_since >= s.absent_s
            ):
                self._seat_empty = True
                return self._change(t, "seat_empty", {"absent_s": round(t - self._absent_since, 3)})
            return None
        self._last_face_t, self._absent_since, self._seat_empty = t, None, False
        if not s.use_signature or getattr(signals, "face_cut", False):
            return None  # (a face cut by the picture's edge: its landmarks are extrapolated, no identity)
        pitched = face_signature(
            getattr(signals, "face_landmarks", None),
            signals.head_yaw,
            signals.head_pitch,
            s,
            max(s.jump_pitch_deg, s.frontal_pitch_deg),
        )
        if pitched is None:
            return None
        pitched = pitched.astype(np.float64)
        signature = pitched if abs(signals.head_pitch) <= s.frontal_pitch_deg else None
        box = getattr(signals, "face_box", None)
        last, self._last_pitched = self._last_pitched, (t, pitched, box)
        last_frontal = self._last_signature
        if signature is not None:
            self._last_signature = (t, signature)
        change = None
        held = self._last_change_t is not None and 0 <= t - self._last_change_t < s.jump_hold_s
        if s.use_jump and not held and (speed_kmh is None or speed_kmh <= s.standstill_kmh):
            change = self._jump(t, signature, last_frontal, pitched, box, last)
        if signature is None:
            return change
        if change is not None:
            self._compare(t, signature)  # the new driver's first frame starts their signature
            return change
        return self._compare(t, signature)

    def _jump(self, t, signature, last_frontal, pitched, box, last) -> DriverChange | None:
        """A jump between this face frame and the last one: of the frontal signature alone, or of the
        pitched signature together with the face box."""
        s = self.settings
        if signature is not None and last_frontal is not None and 0 <= t - last_frontal[0] <= s.absent_s:
            self.last_jump = signature_distance(signature, last_frontal[1])
            if self.last_jump > s.jump_threshold:
                return self._change(t, "face_jump", {"signature_jump": round(self.last_jump, 3)})
        if last is None or not 0 <= t - last[0] <= s.absent_s:
            return None
        moved = box_jump(box, last[2])
        if moved is None or moved <= s.box_jump:
            return None
        jump = signature_distance(pitched, last[1])
        if jump <= s.box_jump_signature:
            return None
        return self._change(t, "face_jump", {"signature_jump": round(jump, 3), "box_jump": round(moved, 3)})

    def _compare(self, t: float, signature: np.ndarray) -> DriverChange | None:
        s = self.settings
        if len(self._window) == self._window.maxlen:
            self._window_sum -= self._window[0]
        self._window.append(signature)
        self._window_sum = signature.copy() if self._window_sum is None else self._window_sum + signature
        if len(self._window) < self._window.maxlen:
            return None
        current = self._window_sum / len(self._window)
        if self._reference_n == 0:
            self._reference_sum, self._reference_n = current.copy(), 1
            return None
        distance = self.last_distance = signature_distance(current, self._reference_sum / self._reference_n)
        if distance <= s.signature_threshold:
            self._differs_since = None
            # the reference keeps learning from frames that match it (more of this driver's poses)
            self._reference_sum += current
            self._reference_n += 1
            return None
        if self._differs_since is None:
            self._differs_since = t
        if t - self._differs_since < s.confirm_s:
            return None
        change = self._change(t, "face_changed", {"signature_distance": round(distance, 3)})
        self._reference_sum, self._reference_n = current.copy(), 1  # the new driver's face
        return change

    def _change(self, t: float, reason: str, details: dict) -> DriverChange:
        previous, self.session_id = self.session_id, new_session_id()
        self._last_change_t = t
        self._new_session()
        change = DriverChange(
            t=t, reason=reason, session_id=self.session_id, previous_session_id=previous, details=details
        )
        self.changes.append(change)
        return change


def apply_driver_change(change: DriverChange, vision: Any = None, monitor: Any = None) -> list:
    """Forget the previous driver everywhere: the vision pipeline's learnt levels and the policy's
    windows, timers and counters. Returns the policy's events (episodes closed, `driver_change`)."""
    forget = getattr(vision, "forget_driver", None) or getattr(vision, "reset", None)
    if forget is not None:  # a stand-in vision (signals replayed, tests) may learn nothing to forget
        forget()
    if monitor is None:
        return []
    return monitor.new_driver(change)


class DriverSessions:
    """The step between vision and policy that every stream takes (the live runtime, `dms evaluate
    --continuous`, the scenario runner): the tracker sees each frame's signals; on a change the vision
    pipeline and the policy forget the last driver; then the policy judges the frame."""

    def __init__(self, tracker: DriverSessionTracker | None = None, vision: Any = None, monitor: Any = None):
        self.tracker = tracker or DriverSessionTracker()
        self.vision = vision
        self.monitor = monitor

    @property
    def session_id(self) -> str:
        return self.tracker.session_id

    @property
    def changes(self) -> deque[DriverChange]:
        return self.tracker.changes

    def step(self, signals: Any, speed_kmh: float | None) -> tuple[Any, list]:
        """One frame's signals -> (the frame's signals, the policy's events, with those of a driver change
        first). On a change the vision pipeline judges the frame again with nothing learnt (`rejudge`),
        so the new driver's first frame is measured as from a cold start, not with the last one's levels:
        the signals returned are then those."""
        events = []
        change = self.tracker.update(signals, speed_kmh)
        if change is not None:
            events += apply_driver_change(change, self.vision, self.monitor)
            rejudge = getattr(self.vision, "rejudge", None)
            if rejudge is not None and (again := rejudge(signals)) is not None:
                signals = again
        if self.monitor is not None:
            events += self.monitor.update(signals, speed_kmh)
        return signals, events
