"""Replay scenario clips through vision -> policy -> alert audio and score them E-NCAP style.

    run_scenarios(scenarios_dir, out_dir, settings=None) -> dict

Per scenario: was each expected state raised, how long after the condition's onset, within the
protocol's deadline? Were forbidden states raised? Was every warning audible in the rendered WAV
within 0.1 s of its decision? Over the quiet clips (nothing should happen): false events per hour.
Per clip it also keeps how far the real frames come from a yawn or a nod (widest mouth opening, head
pitch spread). Writes OUT/report.json, OUT/report.html (timelines) and OUT/audio/<scenario>.wav.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from dms.errors import UserError
from dms.settings import Settings
from edge.audio import AlertAudio, AudioSettings, WavTimelineSink
from edge.audio.analysis import onset_after, rms_envelope
from edge.audio.prompts import read_wav
from edge.night import CameraHealthSettings, NightControl
from edge.policy import DriverMonitor, PolicyEvent, PolicySettings
from edge.scenarios.spec import Scenario, load_scenarios
from edge.session import DriverSessions, DriverSessionSettings, DriverSessionTracker
from edge.signals import FrameSignals

AUDIBLE_WITHIN_S = 0.1
"""Acceptance: each warning is audible in the WAV within this time of its `t`."""


def _vision_settings_type():
    try:
        from edge.vision.pipeline import VisionSettings
    except ImportError:  # vision stack not installed: scenarios need a pipeline_factory then
        return dict
    return VisionSettings


class ScenarioSettings(Settings):
    """Everything a scenario replay uses: the vision pipeline, the policy and the alert audio."""

    vision: Any = Field(
        default_factory=lambda: _vision_settings_type()(),
        description="Vision pipeline settings (edge.vision.pipeline.VisionSettings).",
    )
    policy: PolicySettings = Field(
        default_factory=PolicySettings, description="Driver-state policy thresholds."
    )
    audio: AudioSettings = Field(default_factory=AudioSettings, description="Alert sounds.")
    sessions: DriverSessionSettings = Field(
        default_factory=DriverSessionSettings,
        description="When the person in the seat counts as a new driver.",
    )
    camera_health: CameraHealthSettings = Field(
        default_factory=CameraHealthSettings,
        description="The picture-health check run before the face models, as in `dms edge run`.",
    )


def _as_scenario_settings(settings: Any) -> ScenarioSettings:
    if settings is None:
        return ScenarioSettings()
    if isinstance(settings, ScenarioSettings):
        return settings
    if isinstance(settings, PolicySettings):
        return ScenarioSettings(policy=settings)
    if isinstance(settings, AudioSettings):
        return ScenarioSettings(audio=settings)
    return ScenarioSettings(vision=settings)  # `dms evaluate --config` passes vision settings


@dataclass
class Trace:
    """Per-frame record of one replay (for the timelines)."""

    t: list[float] = field(default_factory=list)
    face: list[bool] = field(default_factory=list)
    closed: list[bool | None] = field(default_factory=list)
    closure: list[float | None] = field(default_factory=list)
    mouth_open: list[float | None] = field(default_factory=list)
    head_pitch: list[float | None] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)


def _default_pipeline(vision_settings):
    try:
        from edge.vision.pipeline import VisionPipeline
    except ImportError as exc:
        raise UserError(
            f"scenario replay needs the vision pipeline, not available here ({exc})",
            hint="pip install 'dms-fleet[edge]'",
        ) from None
    return VisionPipeline(vision_settings)


def replay(
    path: Path, scenario: Scenario, pipeline, settings: ScenarioSettings, wav: Path
) -> tuple[list[PolicyEvent], Trace, dict]:
    """One clip through pipeline -> policy -> audio; returns events, trace and audio stats."""
    from edge.sources import open_source

    if hasattr(pipeline, "reset"):
        pipeline.reset()  # a new clip is a new driver
    monitor = DriverMonitor(settings.policy, session_id=scenario.name[:40])
    # the vehicle's own driver-session step between vision and policy, as in `dms edge run`
    sessions = DriverSessions(
        DriverSessionTracker(settings.sessions, session_id=monitor.session_id),
        vision=pipeline,
        monitor=monitor,
    )
    audio = AlertAudio(settings.audio, WavTimelineSink(wav, settings.audio.sample_rate))
    events: list[PolicyEvent] = []
    trace = Trace()
    night = NightControl(settings.camera_health)  # no illuminator: a dark picture is camera_dark
    with open_source(str(path.parent / scenario.clip)) as source:
        for frame in source:
            start = time.perf_counter()
            problem = night.check(frame.image, frame.t)
            if problem is not None:  # as the runtime: the models do not see an unusable picture
                sig = FrameSignals(
                    t=frame.t, frame_index=frame.index, face_found=False, camera_problem=problem
                )
            else:
                sig = pipeline.process(frame.image, frame.t, frame.index)
            trace.cpu_ms.append((time.perf_counter() - start) * 1000)
            sig, step_events = sessions.step(night.mark(sig, frame.image), scenario.speed_at(frame.t))
            for ev in step_events:
                events.append(ev)
                audio.on_event(ev)
            audio.advance(frame.t)
            trace.t.append(frame.t)
            trace.face.append(sig.face_found)
            trace.closed.append(sig.eyes_closed)
            trace.closure.append(sig.closure)
            trace.mouth_open.append(sig.mouth_open)
            trace.head_pitch.append(sig.head_pitch)
    audio.close()
    return events, trace, audio.stats()


def score(
    scenario: Scenario, events: list[PolicyEvent], duration_s: float, envelope, window_s: float
) -> dict:
    """Expectations met in time, forbidden and false events, audibility of every warning."""
    starts = [e for e in events if e.phase == "start"]
    matched: set[int] = set()
    checks = []
    for exp in scenario.expect:
        hit = next(
            (
                i
                for i, e in enumerate(starts)
                if e.type == exp.state
                and e.t >= exp.onset_s - 1e-6
                and i not in matched
                and (exp.reason is None or e.details.get("reason") in exp.reason)
            ),
            None,
        )
        latency = None if hit is None else round(starts[hit].t - exp.onset_s, 4)
        if hit is not None:
            matched.add(hit)
        checks.append(
            {
                "state": exp.state,
                "onset_s": exp.onset_s,
                "deadline_s": exp.deadline_s,
                **({"reason": exp.reason} if exp.reason else {}),
                "detected": hit is not None,
                "detected_reason": None if hit is None else starts[hit].details.get("reason"),
                "latency_s": latency,
                "pass": latency is not None and latency <= exp.deadline_s + 1e-6,
            }
        )
    forbidden = [e for e in starts if e.type in scenario.forbid]
    false = [e for i, e in enumerate(starts) if i not in matched and e.type not in scenario.allow]
    heard = []
    for e in events:
        if e.phase != "end" and e.level >= 1:
            onset = onset_after(envelope, e.t, window_s)
            delay = None if onset is None else round(max(0.0, onset - e.t), 4)
            heard.append(
                {
                    "type": e.type,
                    "phase": e.phase,
                    "level": e.level,
                    "t": round(e.t, 4),
                    "audio_delay_s": delay,
                    "audible": delay is not None and delay <= AUDIBLE_WITHIN_S,
                }
            )
    passed = (
        all(c["pass"] for c in checks)
        and not forbidden
        and not ((scenario.quiet or scenario.strict) and false)
    )
    return {
        "name": scenario.name,
        "quiet": scenario.quiet,
        "duration_s": round(duration_s, 3),
        "speed_kmh": scenario.speed_kmh,
        "expectations": checks,
        "forbidden_events": [_brief(e) for e in forbidden],
        "false_events": [_brief(e) for e in false],
        "alerts": heard,
        "pass": passed,
        "events": [_brief(e) | {"phase": e.phase, "level": e.level} for e in events],
    }


def _fatigue_signals(trace: Trace) -> dict:
    """How far this clip's real frames come from a yawn or a nod: the widest mouth opening and the
    spread of head pitch (1st-99th percentile), over the frames with a face."""
    mouth = sorted(v for v in trace.mouth_open if v is not None)
    pitch = sorted(v for v in trace.head_pitch if v is not None)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))]

    return {
        "mouth_open_max": round(mouth[-1], 3) if mouth else None,
        "head_pitch_spread_deg": round(pct(pitch, 0.99) - pct(pitch, 0.01), 2) if pitch else None,
    }


def _brief(e: PolicyEvent) -> dict:
    return {"type": e.type, "t": round(e.t, 4), "onset_t": round(e.onset_t, 4)}


def summarize(results: list[dict]) -> dict:
    quiet = [r for r in results if r["quiet"]]
    quiet_h = sum(r["duration_s"] for r in quiet) / 3600
    false_quiet = sum(len(r["false_events"]) for r in quiet)
    alerts = [a for r in results for a in r["alerts"]]
    delays = [a["audio_delay_s"] for a in alerts if a["audio_delay_s"] is not None]
    wall = [
        r["audio"]["decision_to_first_sample"]["max_ms"]
        for r in results
        if r.get("audio", {}).get("decision_to_first_sample", {}).get("max_ms") is not None
    ]
    by_state: dict[str, dict] = {}
    for r in results:
        for c in r["expectations"]:
            s = by_state.setdefault(c["state"], {"n": 0, "passed": 0, "latencies_s": []})
            s["n"] += 1
            s["passed"] += c["pass"]
            if c["latency_s"] is not None:
                s["latencies_s"].append(c["latency_s"])
    for s in by_state.values():
        lat = s.pop("latencies_s")
        s["max_latency_s"] = max(lat) if lat else None
        s["mean_latency_s"] = round(sum(lat) / len(lat), 4) if lat else None
    signals = [r.get("fatigue_signals") or {} for r in results]
    mouths = [f["mouth_open_max"] for f in signals if f.get("mouth_open_max") is not None]
    spreads = [f["head_pitch_spread_deg"] for f in signals if f.get("head_pitch_spread_deg") is not None]
    return {
        "scenarios": len(results),
        "passed": sum(r["pass"] for r in results),
        "by_state": by_state,
        "quiet_clips": len(quiet),
        "quiet_hours": round(quiet_h, 4),
        "false_events_on_quiet": false_quiet,
        "false_events_per_hour": round(false_quiet / quiet_h, 2) if quiet_h else None,
        "false_events_total": sum(len(r["false_events"]) for r in results),
        "alerts": len(alerts),
        "alerts_audible_within_0_1s": sum(a["audible"] for a in alerts),
        "max_audio_delay_s": max(delays) if delays else None,
        "decision_to_first_sample_max_ms": max(wall) if wall else None,
        "mouth_open_max": max(mouths) if mouths else None,
        "head_pitch_spread_max_deg": max(spreads) if spreads else None,
    }


def run_scenarios(
    scenarios_dir: Path,
    out_dir: Path,
    settings: Any = None,
    *,
    pipeline_factory: Callable[[Any], Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Replay every scenario of `scenarios_dir`; write report.json / report.html / audio WAVs to `out_dir`.

    `settings`: a ScenarioSettings, or just PolicySettings / AudioSettings / vision settings.
    `pipeline_factory(vision_settings)` builds the frame pipeline (default: VisionPipeline)."""
    cfg = _as_scenario_settings(settings)
    scenarios = load_scenarios(Path(scenarios_dir))
    out = Path(out_dir)
    (out / "audio").mkdir(parents=True, exist_ok=True)
    phone = any(
        "phone_use" in [e.state for e in sc.expect] or "phone_use" in sc.forbid for _, sc in scenarios
    )
    if phone and not cfg.vision.hands.enabled:
        # a set that tests phone use is run with the detector on, as a vehicle tested for it has it
        cfg = cfg.model_copy(
            update={
                "vision": cfg.vision.model_copy(
                    update={"hands": cfg.vision.hands.model_copy(update={"enabled": True})}
                )
            }
        )
    pipeline = (pipeline_factory or _default_pipeline)(cfg.vision)
    results, traces = [], {}
    for path, scenario in scenarios:
        if progress:
            progress(scenario.name)
        wav = out / "audio" / f"{scenario.name}.wav"
        events, trace, audio_stats = replay(path, scenario, pipeline, cfg, wav)
        samples, sr = read_wav(wav)
        envelope = rms_envelope(samples, sr)
        duration = (trace.t[-1] + (trace.t[-1] - trace.t[-2] if len(trace.t) > 1 else 0)) if trace.t else 0.0
        result = score(scenario, events, duration, envelope, 0.01)
        result["frames"] = len(trace.t)
        result["pipeline_ms_per_frame"] = round(sum(trace.cpu_ms) / max(1, len(trace.cpu_ms)), 3)
        result["fatigue_signals"] = _fatigue_signals(trace)
        result["audio"] = {"wav": str(wav.relative_to(out)), **audio_stats}
        result["source"] = scenario.source.get("video")
        results.append(result)
        traces[scenario.name] = (scenario, trace, envelope)
    report = {
        "scenarios_dir": str(scenarios_dir),
        "summary": summarize(results),
        "results": results,
        "settings": {
            "policy": cfg.policy.model_dump(mode="json"),
            "audio_sample_rate": cfg.audio.sample_rate,
            "phone_detection": cfg.vision.hands.enabled,
        },
    }
    (out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    from edge.scenarios.report import write_html

    write_html(report, traces, out / "report.html")
    return report
