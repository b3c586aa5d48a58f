"""The driver-state policy: per-frame signals + vehicle speed in, episode events out.

Time comes only from `FrameSignals.t`, so a recorded clip, a live camera and a synthetic test
sequence behave identically. Each state is an *episode*: it starts once (START), may step up in level
(ESCALATE) and ends after `warning_end_s` of continuous attention (END); while it is open the same
state never starts again, which is what stops nagging within one episode.

Closure hysteresis: a closure starts on the vision stage's closed flag; once started, frames with
the lids still near shut (closure >= 0.35) do not end it for up to 0.3 s, so lids hovering around
the vision threshold do not restart the microsleep timer, while heavy lids or a look down that never
reach "closed" cannot grow into one.

Drowsiness rule, and why: `drowsiness` is raised when PERCLOS P80 over the last 60 s reaches 15 %
(Wierwille's "drowsy" band; PERCLOS is the best validated ocular drowsiness measure) OR when 3 long
blinks (closures >= 0.5 s) fall within the same 60 s. Long blinks rise before PERCLOS does, so they
warn earlier; normal blinks last 100-400 ms and never count, so ordinary blinking cannot trigger
either rule. Two more signs count (edge.policy.fatigue): nods (the head dropping while the eyes stay
closed) and yawns (each also recorded as its own silent `yawning` episode). The episode ends only when
PERCLOS is back under 7.5 % (Wierwille's "awake" band) and no long blink or nod is left in the window,
nor enough yawns to raise it again: one drowsy minute chimes once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from dms.contract.messages import DriverEventType as T
from dms.contract.messages import GazeZone
from edge.policy.advisory import BreakAdvisor
from edge.policy.calibration import DriverCalibration, Verdict
from edge.policy.events import END, ESCALATE, START, START_LEVEL, PolicyEvent
from edge.policy.fatigue import NodTracker, YawnTracker
from edge.policy.settings import PolicySettings
from edge.policy.timers import HoldRun, Streak, WindowSum
from edge.signals import FrameSignals

ON_ROAD_ZONES = {
    GazeZone.ROAD.value,
    GazeZone.LEFT_MIRROR.value,
    GazeZone.RIGHT_MIRROR.value,
    GazeZone.REAR_MIRROR.value,
    GazeZone.CLUSTER.value,
}
"""Driving-related glance targets count as on the road (E-NCAP: mirrors and instrument cluster)."""
EXPECTS_RESPONSE = {T.MICROSLEEP.value, T.SLEEP.value, T.LONG_DISTRACTION.value, T.VATS.value}
"""Warnings the driver must answer by looking back at the road within 3 s (else `unresponsive`).
Drowsiness and not_monitoring ask for no gaze change, so they do not arm that timer."""

CLOSURE_STATES = {T.MICROSLEEP.value, T.SLEEP.value, T.DROWSINESS.value}
"""While one of these is open the lids are not the driver's usual ones: they teach no openness baseline."""

OFF, RECORD, WARN = "off", "record", "warn"


def _unmeasurable_reason(sig: FrameSignals, last_face_cut: bool = False) -> str | None:
    """Why this frame's driver cannot be measured, when the camera side can tell: the picture itself
    (edge.night.health), the face cut by the picture's edge (camera badly aimed; also once the face is
    lost after it was last seen cut: it slid out of the picture), a dirty lens (edge.night.health) or dark
    lenses."""
    if sig.camera_problem is not None:
        return sig.camera_problem
    if (sig.face_found and sig.face_cut) or (not sig.face_found and last_face_cut):
        return "camera_misaimed"
    if sig.lens_dirty:
        return "lens_dirty"
    if sig.face_found and sig.eyes_hidden:
        return "sunglasses"
    return None


def _vision_on_road(sig: FrameSignals) -> bool | None:
    """The vision stage's own verdict: is the gaze on the road or a driving-related target?"""
    if sig.eyes_on_road is not None:
        return sig.eyes_on_road
    if sig.gaze_zone is not None and sig.gaze_zone != GazeZone.UNKNOWN.value:
        return sig.gaze_zone in ON_ROAD_ZONES
    return None


@dataclass
class _Episode:
    type: str
    episode_id: str
    onset_t: float
    level: int
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Frame:
    """What the policy reads from one frame, after calibration."""

    measurable: bool
    closed: bool
    half_closed: bool
    """Not closed, but lids still near shut (closure >= closure_release): bridges a started closure."""
    away: bool
    on_road: bool | None
    p80_closed: bool
    openness: float | None


@dataclass(frozen=True)
class MonitoringState:
    """What the policy knows of the driver now: the runtime's periodic `DriverState` message is built from
    it (levels 0-100; None where unknown, e.g. before the first frame)."""

    monitoring: bool
    perclos: float | None
    fatigue_level: float | None
    distraction_level: float | None
    eyes_on_road: bool | None
    eye_openness: float | None
    speed_mode: str
    calibration: dict
    active: frozenset[str]
    camera_health: str | None = None
    """'ok', or why the camera cannot (or can hardly) see the driver: camera_dark, illuminator_failure,
    lens_covered, camera_misaimed, lens_dirty, sunglasses (while `not_monitoring` is open for it), or camera_misaimed
    for a face off-centre for `camera_off_centre_s`; None before the first monitored frame."""


class DriverMonitor:
    """Turns `FrameSignals` and vehicle speed into driver-state episodes (see module doc)."""

    def __init__(self, settings: PolicySettings | None = None, session_id: str | None = None):
        self.s = settings or PolicySettings()
        self.calibration = DriverCalibration(self.s)
        self.advisor = BreakAdvisor(self.s)
        self._session = session_id or uuid.uuid4().hex[:8]
        self._seq = 0
        self._episodes: dict[str, _Episode] = {}
        self._prev_t: float | None = None
        self._mode = OFF
        self._frame: _Frame | None = None
        self._last_face: tuple[float, float] | None = None  # (t, head yaw relative to forward)
        self._face_seen_t: float | None = None  # last frame with a face
        self._last_face_cut = False  # the last face seen ran over the picture's edge
        self._off_road_seen_t: float | None = None  # last frame with a face looking off the road
        self._reset_timers()

    @property
    def session_id(self) -> str:
        """The driver session the episodes belong to (a prefix of their ids)."""
        return self._session

    def new_driver(self, change) -> list[PolicyEvent]:
        """Another person may be in the seat (`edge.session.DriverChange`): close the open episodes,
        forget everything learnt about the last driver (calibration, PERCLOS and long-blink windows,
        fatigue and distraction timers, the break advisor's counters) and start the new session.
        Returns the closing events and one `driver_change` event (level 0: recorded, silent)."""
        t = max(change.t, self._prev_t) if self._prev_t is not None else change.t
        events = [self._close(ep, t, reason="driver_change") for ep in list(self._episodes.values())]
        self.calibration = DriverCalibration(self.s)
        self.advisor = BreakAdvisor(self.s)
        self._reset_timers()
        self._frame = None
        self._last_face = self._face_seen_t = self._off_road_seen_t = None
        self._last_face_cut = False
        self._session, self._seq = change.session_id, 0
        events.append(
            PolicyEvent(
                type=T.DRIVER_CHANGE.value,
                phase=START,
                level=0,
                t=t,
                onset_t=change.t,
                episode_id=change.session_id,
                session_id=change.session_id,
                details={
                    "reason": change.reason,
                    "previous_session_id": change.previous_session_id,
                    **change.details,
                },
            )
        )
        return events

    def _reset_timers(self) -> None:
        tol = self.s.flicker_tolerance_s
        self._closed = HoldRun(tol, self.s.half_open_bridge_s)
        self._closed_s = 0.0  # time between frames read closed in the current closure (no bridged gap)
        self._was_closed = False
        self._away = HoldRun(tol)
        self._inattentive = HoldRun(tol)
        self._unmeasurable = HoldRun(tol)
        self._attentive = Streak()
        self._measurable = Streak()
        self._on_road = Streak()
        self._perclos_closed = WindowSum(self.s.perclos_window_s)
        self._perclos_measured = WindowSum(self.s.perclos_window_s)
        self._long_blinks = WindowSum(self.s.perclos_window_s)
        self._vats = WindowSum(self.s.vats_window_s)
        self._yawns = YawnTracker(self.s)
        self._nods = NodTracker(self.s)
        self._warned_at: float | None = None
        self._camera_problem: str | None = None
        self._phone = HoldRun(self.s.phone_gap_s)
        self._phone_free = Streak()
        self._phone_posture: str | None = None
        self._off_centre = HoldRun(self.s.flicker_tolerance_s)

    # ------------------------------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------------------------------
    def update(self, signals: FrameSignals, speed_kmh: float | None) -> list[PolicyEvent]:
        """Feed one frame (in time order) and the vehicle speed; returns the episode changes it caused."""
        t = signals.t
        if self._prev_t is not None and t < self._prev_t:
            raise ValueError(f"frame time went backwards ({t} after {self._prev_t}); use a new DriverMonitor")
        dt = 0.0 if self._prev_t is None else min(t - self._prev_t, self.s.max_frame_gap_s)
        self._prev_t = t
        speed = self.s.unknown_speed_kmh if speed_kmh is None else speed_kmh
        self._mode = self._speed_mode(speed)
        events: list[PolicyEvent] = []
        if self._mode == OFF:  # parked or crawling: nothing is monitored, open episodes close
            for ep in list(self._episodes.values()):
                events.append(self._close(ep, t, reason="below_monitoring_speed"))
            self._reset_timers()
            self._frame = None
            self.advisor.parked(t)
            return events
        f = self._observe(signals)
        self._frame = f
        self._camera_problem = _unmeasurable_reason(signals, self._last_face_cut)
        if signals.face_found:
            self._last_face_cut = signals.face_cut
        self.calibration.learn(signals, speed, dt, self._verdict(signals, f))
        self._update_timers(signals, f, t, dt)
        details = {"speed_kmh": round(speed, 1)}
        self._not_monitoring(t, details, events)
        self._closure(t, details, events)
        self._distraction(t, details, events)
        self._drowsiness(t, details, events)
        self._yawning(t, details, events)
        self._unresponsive(t, details, events)
        self._phone_use(t, details, events)
        return self.advisor.update(t, self.active(), events)

    @property
    def speed_mode(self) -> str:
        """'off' (parked or crawling: nothing monitored), 'record' or 'warn', as of the last frame."""
        return self._mode

    def active(self) -> dict[str, int]:
        """Open episodes: event type -> current level."""
        return {k: ep.level for k, ep in self._episodes.items()}

    def state_summary(self) -> MonitoringState:
        """Driver state for the periodic `DriverState` message (levels 0-100; None when unknown)."""
        f, t = self._frame, self._prev_t
        perclos = self._perclos()
        if f is None or t is None:
            return MonitoringState(
                monitoring=False,
                perclos=perclos,
                fatigue_level=None,
                distraction_level=None,
                eyes_on_road=None,
                eye_openness=None,
                speed_mode=self._mode,
                calibration=self.calibration.as_dict(),
                active=frozenset(self.active()),
            )
        s = self.s
        camera = "ok"
        if T.NOT_MONITORING.value in self._episodes and self._camera_problem:
            camera = self._camera_problem
        elif self._off_centre.duration(t) >= s.camera_off_centre_s:
            camera = "camera_misaimed"
        # 70 = at a warning threshold (about KSS 7, the E-NCAP drowsiness mark); 100 = asleep.
        fatigue = max(
            0.7 * (perclos or 0.0) / s.perclos_drowsy,
            0.7 * self._long_blinks.count() / s.long_blinks_drowsy,
            0.7 * self._nods.count() / s.nods_drowsy,
            0.7 * self._yawns.count() / s.yawns_drowsy,
            self._closed.duration(t) / s.sleep_s,
        )
        distraction = max(
            0.7 * self._away.duration(t) / s.long_distraction_s,
            0.7 * self._vats.total / s.vats_off_road_s,
            self._inattentive.duration(t) / s.unresponsive_inattentive_s,
        )
        return MonitoringState(
            monitoring=f.measurable,
            perclos=perclos,
            fatigue_level=round(100 * min(fatigue, 1.0), 1),
            distraction_level=round(100 * min(distraction, 1.0), 1),
            eyes_on_road=f.on_road,
            eye_openness=f.openness,
            speed_mode=self._mode,
            calibration=self.calibration.as_dict(),
            active=frozenset(self.active()),
            camera_health=camera,
        )

    # ------------------------------------------------------------------------------------------
    # per-frame reading
    # ------------------------------------------------------------------------------------------
    def _speed_mode(self, speed: float) -> str:
        if speed < self.s.monitoring_min_speed_kmh:
            return OFF
        return RECORD if speed < self.s.warning_min_speed_kmh else WARN

    def _observe(self, sig: FrameSignals) -> _Frame:
        t = sig.t
        measurable = (
            sig.face_found and sig.eyes_measurable and sig.eyes_closed is not None and not sig.lens_dirty
        )
        # A new driver's eye levels are not learnt yet: only the eye-state model's own verdict may close
        # the eyes for the timers and PERCLOS (edge.vision.eyestate, warmup_s).
        warming_up = measurable and sig.eyes_warming_up
        closed = measurable and bool(sig.eyes_closed_by_model if warming_up else sig.eyes_closed)
        on_road = self._on_road_of(sig) if sig.face_found else None
        turned_away = False
        if sig.face_found:
            self._face_seen_t = t
            yaw = sig.head_yaw if sig.head_yaw is not None else sig.gaze_yaw
            if yaw is not None:
                self._last_face = (t, yaw - self.calibration.forward_head_yaw())
            if on_road is False and not closed:
                self._off_road_seen_t = t
        elif sig.camera_problem is None:  # a camera that cannot see tells nothing of a glance
            turned_away = self._glance_goes_on(t)
        away = (on_road is False and not closed) or turned_away
        openness = self.calibration.relative_openness(sig) if measurable else None
        closure = (1.0 - openness) if openness is not None else sig.closure
        if warming_up:
            p80, half = closed, False
        else:
            p80 = measurable and (
                closure >= self.s.perclos_closed_fraction if closure is not None else closed
            )
            half = (
                measurable
                and not closed
                and closure is not None
                and self.s.closure_release is not None
                and closure >= self.s.closure_release
            )
        return _Frame(
            measurable=measurable or turned_away,
            closed=closed,
            half_closed=half,
            away=away,
            on_road=False if turned_away else on_road,
            p80_closed=p80,
            openness=openness,
        )

    def _glance_goes_on(self, t: float) -> bool:
        """A face lost in the middle of a glance is still looking away (up to a bound): the driver turned
        to the back seat, or leant down into the footwell, out of the camera's view. Either the head had
        turned far, or the last face seen was looking off the road, in any direction."""
        s, seen_t = self.s, self._face_seen_t
        if seen_t is None or t - seen_t > s.face_lost_turned_away_max_s:
            return False
        last = self._last_face
        turned = (
            s.face_lost_turned_away_yaw_deg is not None
            and last is not None
            and last[0] == seen_t
            and abs(last[1]) >= s.face_lost_turned_away_yaw_deg
        )
        after_glance = (
            s.face_lost_after_off_road_s is not None
            and self._off_road_seen_t is not None
            and seen_t - self._off_road_seen_t <= s.face_lost_after_off_road_s
        )
        return turned or after_glance

    def _verdict(self, sig: FrameSignals, f: _Frame) -> Verdict:
        """What this frame may teach the calibration: attentive frames outside any episode."""
        attentive = f.on_road is True and not (f.closed or f.half_closed) and not self._episodes
        lids_usable = not any(k in CLOSURE_STATES for k in self._episodes)
        return Verdict(
            attentive=attentive, vision_on_road=_vision_on_road(sig) is True, lids_usable=lids_usable
        )

    def _on_road_of(self, sig: FrameSignals) -> bool | None:
        forward = self.calibration.forward_gaze()
        # The calibrated cone rescues a driver whose natural forward is off the camera axis.
        if (
            forward is not None
            and sig.gaze_yaw is not None
            and sig.gaze_pitch is not None
            and abs(sig.gaze_yaw - forward[0]) <= self.s.road_cone_yaw_deg
            and abs(sig.gaze_pitch - forward[1]) <= self.s.road_cone_pitch_deg
        ):
            return True
        return _vision_on_road(sig)

    def _update_timers(self, sig: FrameSignals, f: _Frame, t: float, dt: float) -> None:
        started = self._closed.start
        self._closed.update(t, f.closed, bridging=f.half_closed)
        if self._closed.start is not None and self._closed.start != started:
            self._closed_s = 0.0  # a new closure
        self._closed_s += dt if f.closed and self._was_closed else 0.0
        self._was_closed = f.closed
        # A long blink is judged on the time between frames read closed, not on the bridged span: the
        # tolerance keeps one closure's timer going, but must not glue a normal blink and the lid
        # flicker around it into one >= 0.5 s "long blink". (A clean run measures as before: last
        # closed frame minus first.)
        if self._closed.finished and self._closed_s >= self.s.long_blink_s:
            self._long_blinks.add(t, 1.0)
        self._long_blinks.expire(t)
        self._away.update(t, f.away)
        self._inattentive.update(t, f.closed or f.away, bridging=f.half_closed)
        if not self._inattentive.active:
            self._warned_at = None
        self._unmeasurable.update(t, not f.measurable)
        self._attentive.update(t, f.measurable and not f.closed and not f.half_closed and not f.away)
        self._measurable.update(t, f.measurable)
        self._on_road.update(t, f.on_road is True and not f.closed)
        self._perclos_measured.add(t, dt if f.measurable else 0.0)
        self._perclos_closed.add(t, dt if f.p80_closed else 0.0)
        self._vats.add(t, dt if f.away else 0.0)
        self._yawns.update(t, sig.mouth_open if sig.face_found else None)
        self._phone.update(t, sig.phone_posture is not None)
        self._phone_free.update(t, sig.phone_posture is None)
        if sig.phone_posture is not None:
            self._phone_posture = sig.phone_posture
        self._off_centre.update(t, sig.face_found and (sig.face_off_centre or sig.face_cut))
        self._nods.update(
            t,
            self._closed.duration(t) if self._closed.active else None,
            sig.head_pitch if sig.face_found else None,
        )

    def _perclos(self) -> float | None:
        measured = self._perclos_measured.total
        if measured < self.s.perclos_min_measured_s:
            return None
        return round(self._perclos_closed.total / measured, 4)

    # ------------------------------------------------------------------------------------------
    # the states
    # ------------------------------------------------------------------------------------------
    def _not_monitoring(self, t: float, base: dict, events: list) -> None:
        lost = self._unmeasurable.duration(t)
        level = 1 + (lost >= self.s.not_monitoring_level2_s) + (lost >= self.s.not_monitoring_level3_s)
        self._step(
            T.NOT_MONITORING.value,
            t,
            events,
            raised=lost >= self.s.not_monitoring_s,
            onset_t=self._unmeasurable.start,
            level=level,
            ended=self._measurable.duration(t) >= self.s.warning_end_s,
            details={
                **base,
                "unmeasurable_s": round(lost, 3),
                **({"reason": self._camera_problem} if self._camera_problem else {}),
            },
        )

    def _closure(self, t: float, base: dict, events: list) -> None:
        closed = self._closed.duration(t)
        ended = self._attentive.duration(t) >= self.s.warning_end_s
        details = {**base, "closure_s": round(closed, 3)}
        for kind, limit in ((T.MICROSLEEP.value, self.s.microsleep_s), (T.SLEEP.value, self.s.sleep_s)):
            self._step(
                kind,
                t,
                events,
                raised=closed >= limit,
                onset_t=self._closed.start,
                level=START_LEVEL[kind],
                ended=ended,
                details=details,
            )

    def _distraction(self, t: float, base: dict, events: list) -> None:
        glance = self._away.duration(t)
        level = 2 if glance >= self.s.distraction_escalate_s else 1
        self._step(
            T.LONG_DISTRACTION.value,
            t,
            events,
            raised=glance >= self.s.long_distraction_s,
            onset_t=self._away.start,
            level=level,
            ended=self._attentive.duration(t) >= self.s.warning_end_s,
            details={**base, "off_road_s": round(glance, 3)},
        )
        reset = self._on_road.duration(t) >= self.s.vats_reset_on_road_s
        if reset:
            self._vats.clear()
        self._step(
            T.VATS.value,
            t,
            events,
            raised=self._vats.total >= self.s.vats_off_road_s,
            onset_t=t - self._vats.total,
            level=1,
            ended=reset,
            details={**base, "off_road_in_window_s": round(self._vats.total, 3)},
        )

    def _drowsiness(self, t: float, base: dict, events: list) -> None:
        s = self.s
        perclos, long_blinks = self._perclos(), self._long_blinks.count()
        yawns, nods = self._yawns.count(), self._nods.count()
        rules = {
            "perclos": perclos is not None and perclos >= s.perclos_drowsy,
            "long_blinks": long_blinks >= s.long_blinks_drowsy,
            "nodding": nods >= s.nods_drowsy,
            "yawning": yawns >= s.yawns_drowsy,
        }
        rule = next((name for name, holds in rules.items() if holds), None)
        # every sign must have faded; yawns are counted over a longer window, so fewer than the trigger
        awake = (
            (perclos is None or perclos < s.perclos_awake)
            and long_blinks == 0
            and nods == 0
            and yawns < s.yawns_drowsy
        )
        self._step(
            T.DROWSINESS.value,
            t,
            events,
            raised=rule is not None,
            onset_t=t - s.perclos_window_s if rule == "perclos" else t,
            level=1,
            ended=awake,
            details={
                **base,
                "perclos": perclos,
                "long_blinks": long_blinks,
                "nods": nods,
                "yawns": yawns,
                "rule": rule or "long_blinks",
            },
        )

    def _yawning(self, t: float, base: dict, events: list) -> None:
        y = self._yawns
        self._step(
            T.YAWNING.value,
            t,
            events,
            raised=y.yawning(t),
            onset_t=y.run.start,
            level=START_LEVEL[T.YAWNING.value],
            ended=not y.run.active,
            details={**base, "mouth_open": round(y.peak, 3), "yawns_in_window": y.count()},
        )

    def _unresponsive(self, t: float, base: dict, events: list) -> None:
        run = self._inattentive.duration(t)
        if (
            self._inattentive.active
            and self._warned_at is None
            and any(ep.level >= 1 for k, ep in self._episodes.items() if k in EXPECTS_RESPONSE)
        ):
            self._warned_at = t  # a warning is sounding while the driver is not attending
        no_response = (
            self._warned_at is not None and t - self._warned_at >= self.s.unresponsive_after_warning_s
        )
        too_long = run >= self.s.unresponsive_inattentive_s
        reason = "no_response_to_warning" if no_response else "inattentive"
        self._step(
            T.UNRESPONSIVE.value,
            t,
            events,
            raised=self._inattentive.active and (no_response or too_long),
            onset_t=self._inattentive.start,
            level=3,
            ended=self._attentive.duration(t) >= self.s.warning_end_s,
            details={**base, "inattentive_s": round(run, 3), "reason": reason},
        )

    def _phone_use(self, t: float, base: dict, events: list) -> None:
        run = self._phone  # held from the first to the latest frame in the posture (a gap does not count)
        held = 0.0 if run.start is None else run.last_true - run.start
        s = self.s
        level = 1 + (held >= s.phone_use_level2_s) + (held >= s.phone_use_level3_s)
        self._step(
            T.PHONE_USE.value,
            t,
            events,
            raised=held >= s.phone_use_s,
            onset_t=self._phone.start,
            level=level,
            ended=self._phone_free.duration(t) >= s.warning_end_s,
            details={**base, "phone_s": round(held, 3), "posture": self._phone_posture},
        )

    # ------------------------------------------------------------------------------------------
    # episode bookkeeping
    # ------------------------------------------------------------------------------------------
    def _step(
        self,
        kind: str,
        t: float,
        events: list,
        *,
        raised: bool,
        onset_t: float | None,
        level: int,
        ended: bool,
        details: dict,
    ) -> None:
        ep = self._episodes.get(kind)
        warn_level = level if self._mode == WARN else 0
        if ep is None:
            if raised:
                self._seq += 1
                ep = _Episode(
                    kind,
                    f"{self._session}-{self._seq}",
                    t if onset_t is None else onset_t,
                    warn_level,
                    details,
                )
                self._episodes[kind] = ep
                events.append(self._event(ep, START, t, details))
        elif ended:
            events.append(self._close(ep, t))
        elif raised and warn_level > ep.level:
            ep.level = warn_level
            events.append(self._event(ep, ESCALATE, t, details))

    def _close(self, ep: _Episode, t: float, reason: str = "attention_restored") -> PolicyEvent:
        del self._episodes[ep.type]
        return self._event(ep, END, t, {"reason": reason, "duration_s": round(t - ep.onset_t, 3)})

    def _event(self, ep: _Episode, phase: str, t: float, details: dict) -> PolicyEvent:
        return PolicyEvent(
            type=ep.type,
            phase=phase,
            level=ep.level,
            t=t,
            onset_t=ep.onset_t,
            episode_id=ep.episode_id,
            details=dict(details),
            session_id=self._session,
        )
