"""Every threshold of the driver-state policy, in one validated object (sources: the protocols below).

Defaults follow Euro NCAP's driver-state monitoring protocols (Safe Driving v10.4 / Driver Engagement
2026) where they give a number, Wierwille's PERCLOS bands for drowsiness, and openpilot's monitor for
calibration. Times are seconds on the frames' own timeline.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from dms.settings import Settings


class PolicySettings(Settings):
    """Thresholds of the driver-state policy (Euro NCAP timings)."""

    # --- speed gate ------------------------------------------------------------------------------
    monitoring_min_speed_kmh: float = Field(10.0, ge=0, le=200)
    """Below this speed nothing is monitored: timers reset and open episodes end."""
    warning_min_speed_kmh: float = Field(20.0, ge=0, le=200)
    """From the monitoring speed up to this one, events are recorded with level 0 (no sound)."""
    unknown_speed_kmh: float = Field(50.0, ge=0, le=400)
    """Speed assumed when the vehicle reports none (no CAN/OBD, a clip without a speed trace):
    by default warnings stay on, which fails safe."""

    # --- eye closure -----------------------------------------------------------------------------
    microsleep_s: float = Field(1.0, gt=0, le=3)
    """Continuous eye closure that raises `microsleep` (E-NCAP: closure of 1-2 s)."""
    sleep_s: float = Field(3.0, gt=0, le=10)
    """Continuous eye closure that raises `sleep` (E-NCAP: >= 3 s)."""
    flicker_tolerance_s: float = Field(0.1, ge=0, le=0.5)
    """A closure or an off-road glance survives a drop-out of up to this long, in seconds whatever the
    frame rate (n misread frames at period p last n * p: 1 frame at 10 fps, 2 at 20, 3 at 30), so
    detector noise never restarts a timer."""
    closure_release: float | None = Field(0.35, gt=0, lt=1)
    """Hysteresis of a closure that has started: frames whose closure is still at least this (eyes
    at most 65 % open) are read as lids hovering near shut, not as eyes reopening, and keep the
    closure going for up to `half_open_bridge_s`. None: only the vision stage's closed flag counts."""
    half_open_bridge_s: float = Field(0.3, ge=0, le=1)
    """Longest stretch of half-closed frames a closure survives; without truly closed frames around
    it the closure ends, so heavy lids or a look down at the cluster never grow into a microsleep."""

    # --- drowsiness (PERCLOS and long blinks) ----------------------------------------------------
    perclos_window_s: float = Field(60.0, ge=10, le=600)
    """Sliding window of PERCLOS and of the long-blink count (Wierwille: 60 s)."""
    perclos_closed_fraction: float = Field(0.8, gt=0, le=1)
    """A frame counts as closed for PERCLOS when closure >= this (P80: eyes >= 80 % closed)."""
    perclos_drowsy: float = Field(0.15, gt=0, lt=1)
    """PERCLOS that raises `drowsiness` (Wierwille: > 15 % drowsy)."""
    perclos_awake: float = Field(0.075, ge=0, lt=1)
    """PERCLOS under which a drowsiness episode may end (Wierwille: < 7.5 % awake): the gap between
    the two bands is the hysteresis that stops one drowsy minute from chiming again and again."""
    perclos_min_measured_s: float = Field(30.0, ge=1, le=600)
    """PERCLOS is judged only once the window holds at least this much measurable time."""
    long_blink_s: float = Field(0.5, gt=0, le=3)
    """A closure at least this long is a long (drowsy) blink; normal blinks last 100-400 ms."""
    long_blinks_drowsy: int = Field(3, ge=1, le=100)
    """Long blinks within the window that raise `drowsiness` on their own."""

    # --- fatigue signs beyond the eyes (edge.policy.fatigue) ---------------------------------------
    yawn_mouth_open: float = Field(0.6, gt=0, le=2)
    """Mouth opening (inner-lip gap over mouth width, from the face mesh) from which the mouth counts as
    wide open; a closed mouth reads about 0, speech mostly under 0.4."""
    yawn_min_s: float = Field(2.0, gt=0, le=10)
    """The mouth wide open this long is a yawn (speech and laughter open it for less)."""
    yawn_window_s: float = Field(300.0, ge=30, le=3600)
    """Window over which yawns are counted into drowsiness."""
    yawns_drowsy: int = Field(3, ge=1, le=50)
    """Yawns within `yawn_window_s` that raise `drowsiness` (rule 'yawning')."""
    nod_pitch_drop_deg: float = Field(10.0, gt=0, le=60)
    """While the eyes stay closed, the head pitch falling this far below its value when they closed is
    a nod (dozing off)."""
    nod_min_closure_s: float = Field(0.4, gt=0, le=3)
    """A nod needs the eyes closed at least this long (a blink during a quick look down is no nod)."""
    nods_drowsy: int = Field(2, ge=1, le=100)
    """Nods within the PERCLOS window that raise `drowsiness` (rule 'nodding')."""

    # --- distraction -----------------------------------------------------------------------------
    long_distraction_s: float = Field(3.0, gt=0, le=10)
    """One glance off the road this long raises `long_distraction` (E-NCAP: >= 3 s)."""
    distraction_escalate_s: float = Field(4.5, gt=0, le=20)
    """The same glance this long escalates `long_distraction` to level 2 (openpilot steps 3/5/11 s)."""
    vats_window_s: float = Field(30.0, ge=5, le=300)
    """Window of visual attention time sharing (E-NCAP: 30 s)."""
    vats_off_road_s: float = Field(10.0, gt=0, le=300)
    """Cumulative off-road time within the window that raises `vats` (E-NCAP: >= 10 s)."""
    vats_reset_on_road_s: float = Field(2.0, gt=0, le=30)
    """Continuous on-road time that clears the VATS account and ends a `vats` episode (E-NCAP: 2 s)."""
    road_cone_yaw_deg: float = Field(20.0, gt=0, le=90)
    """Once calibrated, gaze within this yaw of the driver's own straight-ahead counts as on the road."""
    road_cone_pitch_deg: float = Field(15.0, gt=0, le=90)
    """Once calibrated, gaze within this pitch of the driver's own straight-ahead counts as on the road."""
    face_lost_turned_away_yaw_deg: float | None = Field(30.0, gt=0, le=90)
    """A face lost right after the head turned further than this counts as looking away (a driver
    turning to the back seat leaves the camera's view); None counts every lost face as unmeasurable."""
    face_lost_after_off_road_s: float | None = Field(0.5, ge=0, le=5)
    """A face lost within this long of a frame looking off the road (in any direction: the lap, the
    footwell, the passenger) continues that glance, so losing the face cannot reset the attention
    budget; None: only a head turned by `face_lost_turned_away_yaw_deg` does."""
    face_lost_turned_away_max_s: float = Field(5.0, gt=0, le=10)
    """The bound: after this long without a face, a driver lost in a glance is reported as not
    monitorable instead. With `not_monitoring_s` at most 10 s in all, so a camera blocked right after
    a glance is still announced within E-NCAP's 10 s."""

    # --- phone use (edge.vision.hands) ------------------------------------------------------------
    phone_use_s: float = Field(3.0, gt=0, le=10)
    """A hand held in a phone posture (at the ear, or below the face with the gaze down) this long raises
    `phone_use` (E-NCAP counts phone use as a distraction of its own; 3 s as its long glance). The hand
    detector runs at `vision.hands.rate_hz`, so a hand is seen up to one period late on top of this."""
    phone_use_level2_s: float = Field(6.0, gt=0, le=60)
    """The same phone posture this long steps `phone_use` up to level 2."""
    phone_use_level3_s: float = Field(10.0, gt=0, le=120)
    """This long: level 3, with the spoken prompt (edge.audio, messages['phone_use'])."""
    phone_gap_s: float = Field(1.0, ge=0, le=3)
    """A phone posture survives a gap of up to this long (the hand detector missing up to 4 runs in a row
    at 5 Hz: on the composed clips it misses about one run in four)."""

    # --- camera health ----------------------------------------------------------------------------
    camera_off_centre_s: float = Field(10.0, gt=0, le=600)
    """The face off-centre in the picture this long: the camera is reported badly aimed
    (`camera_health: camera_misaimed` in the status) although the driver is still measured."""

    # --- unresponsive driver ---------------------------------------------------------------------
    unresponsive_after_warning_s: float = Field(3.0, gt=0, le=10)
    """No return of attention this long after a warning raises `unresponsive` (E-NCAP: 3 s)."""
    unresponsive_inattentive_s: float = Field(6.0, gt=0, le=30)
    """Eyes closed or gaze away this long, warned or not, raises `unresponsive` (E-NCAP: 6 s)."""

    # --- not able to monitor ---------------------------------------------------------------------
    not_monitoring_s: float = Field(5.0, gt=0, le=10)
    """Face or eyes unmeasurable this long raises `not_monitoring` (E-NCAP: tell the driver within 10 s)."""
    not_monitoring_level2_s: float = Field(15.0, gt=0, le=120)
    """Still unmeasurable this long at warning speed: `not_monitoring` steps up to level 2 (a blocked
    camera or a driver slumped out of view must not stay at one chime)."""
    not_monitoring_level3_s: float = Field(30.0, gt=0, le=300)
    """Still unmeasurable this long: level 3 (openpilot escalates an unseen driver to terminal by 30 s)."""

    # --- repeated warnings -----------------------------------------------------------------------
    break_advisory_after: int = Field(3, ge=1, le=20)
    """From the Nth time in one drive that the driver is brought to a level-3 warning, that warning
    carries a spoken 'take a break' advisory (openpilot locks its driver out after 3 terminal alerts)."""
    break_rest_s: float = Field(900.0, ge=60, le=7200)
    """This long below the monitoring speed counts as a rest and starts a new drive for that count."""

    # --- episodes --------------------------------------------------------------------------------
    warning_end_s: float = Field(1.0, gt=0, le=10)
    """A warning ends after this much continuous attention: eyes open and gaze on the road (E-NCAP: 1 s)."""
    max_frame_gap_s: float = Field(0.5, gt=0, le=5)
    """Longest time one frame may account for in PERCLOS / VATS sums (a stalled camera is not data)."""

    # --- per-driver calibration (openpilot style: online, at speed) -------------------------------
    calibration_min_speed_kmh: float = Field(40.0, ge=0, le=200)
    """Calibration learns only while driving at least this fast (the driver mostly looks ahead)."""
    calibration_s: float = Field(60.0, gt=0, le=3600)
    """Seconds of usable frames at speed before the learned straight-ahead and eye openness are used."""
    calibration_max_yaw_deg: float = Field(35.0, gt=0, le=90)
    """The bounded offset, sideways: frames with gaze further off the camera axis than this do not teach
    the calibration (a camera by the right window reads straight ahead at about 25 degrees)."""
    calibration_max_pitch_deg: float = Field(30.0, gt=0, le=90)
    """The bounded offset, upwards: frames with gaze further up than this do not teach the calibration
    (a camera below the face reads straight ahead as looking up)."""
    calibration_max_pitch_down_deg: float = Field(15.0, ge=0, le=90)
    """The bounded offset, downwards: frames with gaze further down than this never teach it (the
    infotainment screen, the lap and a phone are down there; a camera above the face reads a little
    down)."""
    calibration_mount_rescue_share: float = Field(0.2, ge=0, le=1)
    """When the vision stage calls less than this share of the open-eyed frames within the bounds
    'on the road', its zones evidently do not fit this camera mounting, and those frames teach the
    calibration although the policy judged them away; 0 switches that off (attentive frames only)."""
    calibration_memory_s: float = Field(600.0, gt=0, le=36000)
    """Older frames fade from the calibration (halved once this much has been learned), so it follows
    a seat adjustment or a change of driver."""

    @model_validator(mode="after")
    def _consistent(self) -> PolicySettings:
        if self.warning_min_speed_kmh < self.monitoring_min_speed_kmh:
            raise ValueError("warning_min_speed_kmh must be >= monitoring_min_speed_kmh")
        if self.sleep_s <= self.microsleep_s:
            raise ValueError("sleep_s must be longer than microsleep_s")
        if self.distraction_escalate_s <= self.long_distraction_s:
            raise ValueError("distraction_escalate_s must be longer than long_distraction_s")
        if self.half_open_bridge_s < self.flicker_tolerance_s:
            raise ValueError("half_open_bridge_s must be at least flicker_tolerance_s")
        if not self.not_monitoring_s < self.not_monitoring_level2_s < self.not_monitoring_level3_s:
            raise ValueError(
                "not_monitoring_s < not_monitoring_level2_s < not_monitoring_level3_s is required"
            )
        if self.face_lost_turned_away_max_s + self.not_monitoring_s > 10.0:
            raise ValueError(
                "face_lost_turned_away_max_s + not_monitoring_s must be at most 10 s "
                "(E-NCAP: tell the driver within 10 s that they are not monitored)"
            )
        if not self.phone_use_s < self.phone_use_level2_s < self.phone_use_level3_s:
            raise ValueError("phone_use_s < phone_use_level2_s < phone_use_level3_s is required")
        if self.perclos_awake >= self.perclos_drowsy:
            raise ValueError("perclos_awake must be below perclos_drowsy (hysteresis)")
        if self.vats_off_road_s > self.vats_window_s:
            raise ValueError("vats_off_road_s cannot exceed vats_window_s")
        if self.perclos_min_measured_s > self.perclos_window_s:
            raise ValueError("perclos_min_measured_s cannot exceed perclos_window_s")
        return self
