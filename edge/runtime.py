"""The in-vehicle runtime, one direction: frames -> vision -> policy -> audio + lamp -> events file + uplink.

`EdgeRuntime` is a plain object. Feed it camera frames (`process_frame`) or ready-made per-frame
signals (`process_signals`, for synthetic drives and replays), each with its source timestamp `t`;
it never reads a clock for a decision. Message times are `start_utc + t`, with `start_utc` injected.

Per frame: the vehicle source is read for `t`, the policy decides, each event goes to the in-cab audio
and warning lamp, to one JSON line of the events file and to the outbox (the same `msg_id` in both),
then driver-state and vehicle-status samples go out when `telemetry` says (edge/uplink/cadence.py: on
a level change or a deadband crossed, plus a heartbeat; `profile: detailed` sends both once a second).

`run(frames)` drives a whole source (optionally paced in real time, stoppable from another thread)
and then `finish()`es: audio closed, outbox drained or the drain timeout passed (what is left is sent
by the next run with the same outbox).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from dms import __version__
from dms.contract import DriverState, GeoPoint, VehicleSignals, VehicleStatus, utc_now
from dms.errors import UserError
from edge.config import DeviceConfig
from edge.events_log import EventsLog
from edge.signals import FrameSignals
from edge.uplink.cadence import LiveDetail, SampleBatcher, StateSampler, StatusSampler
from edge.uplink.mqtt import MqttUplink
from edge.uplink.outbox import Outbox, OutboxDiskFull
from edge.vehicle import VehicleSource, open_vehicle_source
from edge.watchdog import Watchdog

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    frames: int = 0
    events: int = 0
    states: int = 0
    statuses: int = 0
    samples_dropped: int = 0
    """Old samples the outbox dropped to stay within its bound (or because its disk is full)."""
    events_not_stored: int = 0
    """Events the outbox could not store (disk full): alerted in the cab, logged, never sent."""
    events_not_logged: int = 0
    """Events the events file could not take (disk full, ...): alerted in the cab and sent all the same."""
    drained: bool | None = None
    """True: outbox empty at the end; False: messages left for the next run; None: no uplink."""
    pending: int = 0
    last_t: float | None = None
    audio_latency_ms: tuple[float, float] | None = None
    """Decision -> first alert sample written to the sink: (median, max) milliseconds."""

    def summary(self) -> str:
        line = (
            f"{self.frames} frames, {self.events} events, {self.states} state and {self.statuses} "
            "status samples"
        )
        if self.audio_latency_ms is not None:
            line += (
                f"; alert audio {self.audio_latency_ms[0]:.1f} ms median, {self.audio_latency_ms[1]:.1f} ms max "
                "from decision to first sample"
            )
        if self.events_not_stored:
            line += f"; {self.events_not_stored} events NOT stored (outbox disk full)"
        if self.events_not_logged:
            line += f"; {self.events_not_logged} events NOT written to the events file"
        if self.drained is None:
            return line
        return line + (
            "; outbox drained"
            if self.drained
            else f"; {self.pending} messages left in the outbox for the next run"
        )


def _clamp(value: float | None, low: float, high: float) -> float | None:
    return None if value is None else min(max(float(value), low), high)


def _settings(section: Any) -> Any:
    """A config section for its part; None (the part's defaults) when the section is a placeholder."""
    return None if isinstance(section, dict) else section


def build_uplink(config: DeviceConfig) -> MqttUplink | None:
    """The uplink of `config` (outbox opened, client started), or None without an MQTT section."""
    if config.mqtt is None:
        return None
    # exclusive: one sending process per outbox; warns itself when it had to move a corrupt file aside
    outbox = Outbox(config.outbox.path.expanduser(), max_messages=config.outbox.max_messages, exclusive=True)
    try:
        return MqttUplink(
            config.mqtt,
            outbox,
            config.vehicle_id,
            software_version=__version__,
            encoding=config.telemetry.encoding,
        ).start()
    except BaseException:
        outbox.close()
        raise


def looped(open_frames: Callable[[], Any], times: int | None = None) -> Iterator[Any]:
    """A file source played again and again (the demo), time and index carrying on across restarts."""
    offset_t, offset_i, played = 0.0, 0, 0
    while times is None or played < times:
        first = last = None
        period = 1 / 30
        with open_frames() as source:
            for frame in source:
                if last is not None:
                    period = max(frame.t - last.t, 1e-3)
                first = first or frame
                last = frame
                yield replace(frame, t=frame.t + offset_t, index=frame.index + offset_i)
        if last is None:
            return
        offset_t += last.t - first.t + period
        offset_i += last.index - first.index + 1
        played += 1


class EdgeRuntime:
    """One run of the edge device. Parts not given are built from `config`."""

    def __init__(
        self,
        config: DeviceConfig | None = None,
        *,
        monitor: Any = None,
        vision: Any = None,
        audio: Any = None,
        visual: Any = None,
        vehicle: VehicleSource | None = None,
        illuminator: Any = None,
        uplink: MqttUplink | None = None,
        events_out: IO[str] | Path | None = None,
        start_utc: datetime | None = None,
    ):
        self.config = config or DeviceConfig()
        c = self.config
        self.start_utc = start_utc or utc_now()
        self.report = RunReport()
        self._closers: list[Callable[[], None]] = []
        try:
            self.monitor = monitor if monitor is not None else self._build_monitor()
            self.vision = vision  # built on the first camera frame: signal-fed runs need no models
            self.vehicle = (
                vehicle
                if vehicle is not None
                else open_vehicle_source(c.vehicle_source, speed_kmh=c.speed_kmh)
            )
            if vehicle is None:
                self._closers.append(self.vehicle.close)
            self.audio = audio if audio is not None else self._build_audio()
            if self.audio is not None:
                self._closers.append(self.audio.close)  # finishes the WAV even when a run fails
            self.visual = visual if visual is not None else self._build_visual()
            if self.visual is not None:
                self._closers.append(self.visual.close)  # the lamp goes dark even when a run fails
            self.night = self._build_night(illuminator)
            self._closers.append(self.night.close)  # the illuminator goes dark even when a run fails
            self.uplink = uplink if uplink is not None else build_uplink(c)
            if uplink is None and self.uplink is not None:
                self._closers.append(self._close_uplink)
            self._events_file = self._open_events(events_out if events_out is not None else c.events_out)
        except BaseException:
            self._close_parts()
            raise
        self.sessions = self._build_sessions()
        self._state_sampler = StateSampler(c.telemetry)
        self._status_sampler = StatusSampler(c.telemetry)
        self._batcher = SampleBatcher(c.telemetry.batch_window_s, c.telemetry.batch_max)
        self._live = LiveDetail(c.telemetry)
        self._last_signals: FrameSignals | None = None
        self._frames_since_state = 0
        self._last_state_t: float | None = None
        self._t0: float | None = None  # first frame time: live cameras stamp with a monotonic clock
        self._finished = False

    # ------------------------------------------------------------------ building parts

    def _build_monitor(self):
        from edge.policy import DriverMonitor

        return DriverMonitor(_settings(self.config.policy))

    def _build_sessions(self):
        """The driver-session step between vision and policy (the vision pipeline joins when built)."""
        from edge.session import DriverSessions, DriverSessionTracker

        first = DriverSessionTracker(
            _settings(self.config.sessions), session_id=getattr(self.monitor, "session_id", None)
        )
        return DriverSessions(first, vision=self.vision, monitor=self.monitor)

    def _build_audio(self):
        """In-cab alerts: rendered into a WAV on the source timeline, or played live (not both)."""
        if self.config.audio_out is None and not self.config.audio_live:
            return None
        if self.config.audio_out is not None and self.config.audio_live:
            raise UserError("choose one in-cab audio output: --audio-out FILE or --audio-live")
        from edge.audio import AlertAudio, LiveSink, WavTimelineSink

        settings = _settings(self.config.audio)
        rate = getattr(settings, "sample_rate", 16000)
        if self.config.audio_live:
            sink = LiveSink(sample_rate=rate)
        else:
            sink = WavTimelineSink(self.config.audio_out, sample_rate=rate)
        return AlertAudio(settings, sink)

    def _build_visual(self):
        """The in-cab warning lamp of `config.visual` (None when its output is off)."""
        from edge.visual import build_visual_warning

        return build_visual_warning(_settings(self.config.visual))

    def _build_night(self, illuminator: Any):
        """Picture health, the infrared illuminator (`illuminator` given, or built from the config) and
        the face-weighted exposure of `config.capture`."""
        from edge import night

        if illuminator is None:
            illuminator = night.build_illuminator(_settings(self.config.illuminator))
        capture = _settings(self.config.capture)
        return night.NightControl(
            _settings(self.config.camera_health),
            illuminator,
            getattr(capture, "face_exposure", None),
            getattr(capture, "exposure_us", None),
            getattr(capture, "analogue_gain", None),
        )

    def _open_events(self, target: IO[str] | Path | None) -> EventsLog | None:
        if target is None:
            return None
        events = EventsLog(target)
        self._closers.append(events.close)
        return events

    def _build_vision(self):
        from edge.vision.pipeline import VisionPipeline

        return VisionPipeline(_settings(self.config.vision))

    # ------------------------------------------------------------------ per frame

    def since_start(self, t: float) -> float:
        """Seconds from the first frame of this run to source time `t`."""
        if self._t0 is None:
            self._t0 = t
        return t - self._t0

    def ts(self, t: float) -> datetime:
        """Wall-clock time of source time `t` (the first frame is `start_utc`)."""
        return self.start_utc + timedelta(seconds=self.since_start(t))

    def process_frame(self, frame: Any) -> list:
        """A camera frame (`image`, `t`, `index`) -> its policy events. A picture too dark or flat to
        measure (edge.night.health) skips the models: the policy hears why, not noise."""
        problem = self.night.check(frame.image, frame.t)
        if problem is not None:
            signals = FrameSignals(
                t=frame.t, frame_index=frame.index, face_found=False, camera_problem=problem
            )
        else:
            if self.vision is None:
                self.vision = self.sessions.vision = self._build_vision()
            signals = self.vision.process(frame.image, frame.t, frame.index)
        return self.process_signals(signals, frame.image)

    def process_signals(self, signals: FrameSignals, image: Any = None) -> list:
        """One frame's signals -> policy events, each sent to audio, events file and uplink; the
        illuminator lit while the policy monitors (`image`: the camera picture, for exposure)."""
        t = signals.t
        if self.uplink is not None:
            self.uplink.raise_if_failed()
        vehicle = self.vehicle.read(self.since_start(t))
        speed = self.config.speed_kmh if self.config.speed_kmh is not None else vehicle.speed
        signals, events = self.sessions.step(self.night.mark(signals, image), speed)
        self.night.update(
            self.since_start(t), getattr(self.monitor, "speed_mode", "warn") != "off", image, signals.face_box
        )
        for event in events:
            self._emit_event(event, speed, vehicle)
        if self.audio is not None:
            self.audio.advance(self.since_start(t))
        if self.visual is not None:
            self.visual.advance(self.since_start(t))
        self.report.frames += 1
        self.report.last_t = t
        self._last_signals = signals
        self._frames_since_state += 1
        self._emit_samples(t, vehicle)
        return events

    def _emit_event(self, event: Any, speed: float | None, vehicle: VehicleSignals) -> None:
        location = None
        if vehicle.latitude is not None and vehicle.longitude is not None:
            location = GeoPoint(latitude=vehicle.latitude, longitude=vehicle.longitude)
        message = event.to_message(
            self.config.vehicle_id,
            ts=self.ts(event.t),
            driver_id=self.config.driver_id,
            speed_kmh=_clamp(speed, 0, 400),
            driver_session_id=event.session_id or self.sessions.session_id,
            location=location,
        )
        # The driver's warnings first: they must never wait for, or depend on, a disk or the network.
        # Audio and lamp run on the run's own timeline (a camera's clock starts at boot).
        local = replace(event, t=self.since_start(event.t), onset_t=self.since_start(event.onset_t))
        for output in (self.audio, self.visual):
            if output is not None:
                output.on_event(local)
        # Outbox before the events file: once an event is written down anywhere, it is safe to send.
        # Samples waiting for their batch go first: the back office sees the event with the latest status.
        self._flush_samples()
        self._submit(message)
        if self._events_file is not None:
            line = {
                **event.as_dict(),
                "msg_id": message.msg_id,
                "vehicle_id": message.vehicle_id,
                "ts": message.ts.isoformat(),
            }
            if not self._events_file.write(line):
                self.report.events_not_logged += 1
        self.report.events += 1

    def _take_commands(self, t: float) -> None:
        """A live-view request: detail until the request's own end (its `ts` + `seconds`, on this
        vehicle's clock), at most `telemetry.live_max_s`; one that ran out before it arrived is ignored."""
        take = getattr(self.uplink, "take_commands", None)
        for command in take() if take is not None else ():
            remaining = (command.ts - self.ts(t)).total_seconds() + command.seconds
            if remaining <= 0:
                log.info("live-view request %s ignored: it ran out before it arrived", command.msg_id)
                continue
            granted = self._live.request(t, min(remaining, command.seconds))
            log.info("live view requested: state and status every second for %.0f s", granted)
            self._flush_samples()

    def _emit_samples(self, t: float, vehicle: VehicleSignals) -> None:
        if self.uplink is None:
            return
        self._take_commands(t)
        live = self._live.active(t)
        state_sampler, status_sampler = (
            (self._live.state, self._live.status) if live else (self._state_sampler, self._status_sampler)
        )
        add = self._send_now if live else self._add_sample
        if state_sampler.due(t, self.monitor.state_summary()):
            add(t, self._driver_state(t))
            self.report.states += 1
        if status_sampler.due(t, vehicle):
            add(
                t,
                VehicleStatus(
                    vehicle_id=self.config.vehicle_id,
                    ts=self.ts(t),
                    signals=vehicle,
                    driver_id=self.config.driver_id,
                    illuminator=self.night.illuminator_state,
                    driver_session_id=self.sessions.session_id,
                ),
            )
            self.report.statuses += 1
        for batch in self._batcher.due(t):
            self._submit_batch(batch)

    def _send_now(self, t: float, message) -> None:
        """Live detail: each sample alone, at once."""
        self._submit_batch([message])

    def _add_sample(self, t: float, message) -> None:
        for batch in self._batcher.add(t, message):
            self._submit_batch(batch)

    def _flush_samples(self) -> None:
        for batch in self._batcher.flush():
            self._submit_batch(batch)

    def _driver_state(self, t: float) -> DriverState:
        summary = self.monitor.state_summary()
        sig = self._last_signals
        fps = None
        if self._last_state_t is not None and t > self._last_state_t:
            fps = _clamp(self._frames_since_state / (t - self._last_state_t), 0, 1000)
        self._last_state_t, self._frames_since_state = t, 0
        distraction = summary.distraction_level
        return DriverState(
            vehicle_id=self.config.vehicle_id,
            ts=self.ts(t),
            monitoring=summary.monitoring,
            is_eyes_on_road=summary.eyes_on_road,
            fatigue_level=_clamp(summary.fatigue_level, 0, 100),
            distraction_level=_clamp(distraction, 0, 100),
            attentive_probability=None if distraction is None else _clamp(100 - distraction, 0, 100),
            perclos=_clamp(summary.perclos, 0, 1),
            eye_openness=_clamp(summary.eye_openness, 0, 2),
            gaze_zone=sig.gaze_zone if sig is not None else None,
            head_yaw_deg=_clamp(sig.head_yaw, -180, 180) if sig is not None else None,
            head_pitch_deg=_clamp(sig.head_pitch, -180, 180) if sig is not None else None,
            head_roll_deg=_clamp(sig.head_roll, -180, 180) if sig is not None else None,
            active_events=sorted(summary.active),
            fps=fps,
            driver_session_id=self.sessions.session_id,
            camera_health=summary.camera_health,
        )

    def _submit(self, message) -> None:
        self._submit_batch([message])

    def _submit_batch(self, messages: list) -> None:
        if self.uplink is None:
            return
        try:
            result = self.uplink.submit_batch(messages)
        except OutboxDiskFull as exc:
            # Monitoring and in-cab alerts go on; what was not stored is said, once per event.
            self.report.events_not_stored += 1
            log.error("%s", exc)
            return
        self.report.samples_dropped += result.dropped

    # ------------------------------------------------------------------ whole runs

    def run(
        self,
        frames: Iterable[Any],
        *,
        stop: threading.Event | None = None,
        realtime: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        drain_timeout: float | None = None,
    ) -> RunReport:
        """Process every frame (camera `Frame`s or `FrameSignals`), then `finish`. `stop` ends it early."""
        watchdog = Watchdog.from_environ()  # systemd's WatchdogSec; a no-op elsewhere
        try:
            paced_from: tuple[float, float] | None = None
            for item in frames:
                if stop is not None and stop.is_set():
                    break
                if realtime:
                    if paced_from is None:
                        paced_from = (monotonic(), item.t)
                    wait = paced_from[0] + (item.t - paced_from[1]) - monotonic()
                    if wait > 0:
                        sleep(wait)
                if isinstance(item, FrameSignals):
                    self.process_signals(item)
                else:
                    self.process_frame(item)
                if self.report.frames == 1:
                    watchdog.ready("monitoring")  # camera delivers and the models answered
                watchdog.frame(item.t)  # pinged from the frame loop: a stuck camera stops the pings
        except KeyboardInterrupt:
            raise  # the caller may still `finish()` (bounded drain) before exiting
        except BaseException:
            self.close()
            raise
        watchdog.stopping()
        return self.finish(drain_timeout)

    def finish(self, drain_timeout: float | None = None) -> RunReport:
        """End of source: wait for the outbox to drain (bounded), then close everything (audio too)."""
        if self._finished:
            return self.report
        self._finished = True
        try:
            if self.uplink is not None:
                self._flush_samples()
                timeout = self.config.drain_timeout_s if drain_timeout is None else drain_timeout
                self.report.drained = self.uplink.wait_drained(timeout)
                self.report.pending = self.uplink.pending()
                self.uplink.raise_if_failed()
        finally:
            self.close()
        return self.report

    def close(self) -> None:
        """Release everything without draining (stored messages stay in the outbox)."""
        self._finished = True
        if self.uplink is not None and self._closers:  # samples waiting for their batch are stored
            try:
                self._flush_samples()
            except Exception:
                log.exception("while storing the samples waiting for their batch")
        self._close_parts()
        self._record_audio_latency()  # after the sink closed: live audio has written its last sample

    def _record_audio_latency(self) -> None:
        latency = self.audio.stats().get("decision_to_first_sample", {}) if self.audio is not None else {}
        if latency.get("n"):
            self.report.audio_latency_ms = (latency["median_ms"], latency["max_ms"])

    def _close_parts(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:
                log.exception("while closing %s", closer)

    def _close_uplink(self) -> None:
        self.uplink.close()
        self.uplink.outbox.close()

    def __enter__(self) -> EdgeRuntime:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
