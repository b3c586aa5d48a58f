"""Driver changes on the dev clips: the subjects played as one stream through vision -> driver sessions
-> policy, against each clip run alone; and how far the face signature separates the subjects.

    python -m edge.evaluation.driver_change DATASET_DIR [--cache DIR] [--json FILE]

The face mesh and the eye-state model run once per clip (cached, `edge.evaluation.faces`); the stream
replays the pipeline's later stages (`VisionPipeline.process_face`, the same code the vehicle runs),
the session tracker and the policy at 60 km/h. Between subjects the seat is empty for `empty_seat_s`
(the vehicle stopped: 0 km/h), or the swap is direct (0 s). Reported: eye-closed and blink scores,
the fatigue episodes started (every dev subject is awake: each is a false alarm), the changes found,
and the detection delay of labelled closures (first labelled closed frame -> first frame read closed).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge.evaluation.dataset import FRAME_PERIOD_S, LabelledClip, load_dataset
from edge.evaluation.faces import CachedPicture, cached_faces
from edge.evaluation.runner import ClipRun, picture_time
from edge.evaluation.scoring import Counts, score_clip
from edge.policy import DriverMonitor, PolicySettings
from edge.session import (
    DriverSessions,
    DriverSessionSettings,
    DriverSessionTracker,
    face_signature,
    signature_distance,
)
from edge.vision.pipeline import VisionPipeline, VisionSettings

FATIGUE = {"microsleep", "sleep", "drowsiness", "unresponsive"}
SPEED_KMH = 60.0


def _no_face_mesh(_image):
    raise RuntimeError("replays take cached faces")


@dataclass
class StreamResult:
    counts: Counts = field(default_factory=Counts)
    fatigue_starts: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    onset_delays_s: list[float] = field(default_factory=list)
    """Per labelled closure that was found: first frame read closed minus first labelled closed frame."""
    closures_missed: int = 0
    policy_delays_s: list[float] = field(default_factory=list)
    """The same as the policy reads closure (in the warm-up: the eye-state model alone)."""
    policy_missed: int = 0
    in_warmup: int = 0
    """Labelled closures that begin in a warm-up."""
    warmup_delays_s: list[float] = field(default_factory=list)
    warmup_missed: int = 0
    per_clip: dict[str, Counts] = field(default_factory=dict)

    def summary(self) -> dict:
        def delay(values: list[float]) -> dict:
            d = np.array(values)
            return {
                "n": int(d.size),
                "mean_s": round(float(d.mean()), 4) if d.size else None,
                "max_s": round(float(d.max()), 4) if d.size else None,
            }

        return {
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in self.counts.scores().items()},
            "fatigue_starts": len(self.fatigue_starts),
            "fatigue_events": self.fatigue_starts,
            "driver_changes": len(self.changes),
            "changes": self.changes,
            "closed_flag_delay": delay(self.onset_delays_s),
            "closed_flag_missed": self.closures_missed,
            "policy_delay": delay(self.policy_delays_s),
            "policy_missed": self.policy_missed,
            "closures_in_warmup": self.in_warmup,
            "warmup_delay": delay(self.warmup_delays_s),
            "warmup_missed": self.warmup_missed,
        }


def _policy_closed(sig) -> bool:
    """What the policy reads as closed (in the warm-up: the eye-state model alone)."""
    return bool(sig.eyes_closed_by_model if sig.eyes_warming_up else sig.eyes_closed)


def _closure_delays(clip: LabelledClip, run: ClipRun, result: StreamResult) -> None:
    """Per labelled closure (a run of labelled closed frames): how late the first closed reading came,
    as the frame's closed flag and as the policy reads it (the model alone in the warm-up)."""
    frames = [f for f in clip.frames if f.annotated]
    times = clip.picture_times()
    flag = {i for i, s in run.signals.items() if s.eyes_closed}
    policy = {i for i, s in run.signals.items() if _policy_closed(s)}
    k = 0
    while k < len(frames):
        if not frames[k].eye_closed:
            k += 1
            continue
        j = k
        while j + 1 < len(frames) and frames[j + 1].eye_closed:
            j += 1
        start = frames[k].decoded_index
        # a reading counts from just before the closure until the lids are open again (+0.2 s)
        span = range(start - 2, frames[j].decoded_index + round(0.2 / FRAME_PERIOD_S) + 1)
        in_warmup = bool(run.signals.get(start) is not None and run.signals[start].eyes_warming_up)
        for closed, delays, key in (
            (flag, result.onset_delays_s, "closures_missed"),
            (policy, result.policy_delays_s, "policy_missed"),
        ):
            hit = next((i for i in span if i in closed), None)
            if hit is None:
                setattr(result, key, getattr(result, key) + 1)
            else:
                delays.append(max(0.0, picture_time(times, hit) - picture_time(times, start)))
        if in_warmup:
            result.in_warmup += 1
            hit = next((i for i in span if i in policy), None)
            if hit is None:
                result.warmup_missed += 1
            else:
                result.warmup_delays_s.append(max(0.0, picture_time(times, hit) - picture_time(times, start)))
        k = j + 1


def replay_stream(
    clips: list[LabelledClip],
    faces: dict[str, list[CachedPicture]],
    vision: VisionSettings | None = None,
    policy: PolicySettings | None = None,
    sessions: DriverSessionSettings | None = None,
    continuous: bool = True,
    empty_seat_s: float = 5.0,
) -> StreamResult:
    """The clips in order through the vehicle's stages. `continuous` False: each clip a fresh driver
    (pipeline, tracker and policy new), the reference the stream is compared with."""
    vision, policy = vision or VisionSettings(), policy or PolicySettings()
    sessions = sessions or DriverSessionSettings()
    result = StreamResult()
    path = t = None
    previous = None
    for clip in clips:
        if path is None or not continuous:
            pipeline = VisionPipeline(vision, face_mesh=_no_face_mesh, eye_model=None)
            path = DriverSessions(
                DriverSessionTracker(sessions),
                vision=pipeline,
                monitor=DriverMonitor(policy, session_id="s0"),
            )
            t = 0.0
        if continuous and previous is not None and clip.subject != previous.subject and empty_seat_s > 0:
            for i in range(round(empty_seat_s / FRAME_PERIOD_S)):  # the vehicle stopped, the seat empty
                _step(path, pipeline, None, t, -1, 0.0, result)
                t += FRAME_PERIOD_S
        times = clip.picture_times()
        run = ClipRun(clip)
        for p in faces[clip.video]:
            s = _step(path, pipeline, p, t + picture_time(times, p.index), p.index, SPEED_KMH, result, clip)
            run.signals[p.index] = s
            if s.blink_ended is not None:
                run.events.append(s.blink_ended)
        if (last := pipeline.finish()) is not None:
            run.events.append(last)
        counts = score_clip(clip, run.predictions())
        result.per_clip[clip.video] = counts
        result.counts.add(counts)
        _closure_delays(clip, run, result)
        t += picture_time(times, faces[clip.video][-1].index) + FRAME_PERIOD_S
        previous = clip
    return result


def _step(
    path: DriverSessions,
    pipeline: VisionPipeline,
    p: CachedPicture | None,
    t: float,
    index: int,
    speed: float,
    result: StreamResult,
    clip: LabelledClip | None = None,
):
    face = None if p is None else p.face
    s = pipeline.process_face(face, t, index, closed_logits=None if p is None else p.closed_logits)
    for e in path.step(s, speed):
        if e.type == "driver_change":
            result.changes.append({"t": round(e.t, 3), "clip": clip.video if clip else None, **e.details})
        elif e.phase == "start" and e.type in FATIGUE:
            result.fatigue_starts.append(
                {
                    "type": e.type,
                    "t": round(e.t, 3),
                    **e.details,
                    "clip": clip.video if clip else "empty seat",
                }
            )
    return s


def signature_separation(
    clips: list[LabelledClip],
    faces: dict[str, list[CachedPicture]],
    settings: DriverSessionSettings | None = None,
) -> dict:
    """Distances between 1 s signatures (signature_frames frontal frames averaged): within a clip, between
    clips of one subject (other glasses, another camera mount), and between subjects."""
    s = settings or DriverSessionSettings()
    windows: dict[str, list[np.ndarray]] = {}
    for clip in clips:
        sigs = [
            sig
            for p in faces[clip.video]
            if p.face is not None
            and (sig := face_signature(p.face.landmarks, p.face.head_yaw, p.face.head_pitch, s)) is not None
        ]
        n = s.signature_frames
        windows[clip.video] = [np.mean(sigs[k : k + n], axis=0) for k in range(0, len(sigs) - n + 1, n // 2)]
    subject = {c.video: c.subject for c in clips}
    within, same, other = [], [], []
    for ws in windows.values():
        within += [signature_distance(a, b) for a, b in itertools.combinations(ws, 2)]
    for a, b in itertools.combinations(windows, 2):
        d = [signature_distance(x, y) for x in windows[a] for y in windows[b]]
        (same if subject[a] == subject[b] else other).extend(d)
    other_arr = np.array(other)

    def stats(values: list[float]) -> dict:
        v = np.array(values)
        return (
            {
                "n": int(v.size),
                "min": round(float(v.min()), 3),
                "median": round(float(np.median(v)), 3),
                "p95": round(float(np.percentile(v, 95)), 3),
                "max": round(float(v.max()), 3),
            }
            if v.size
            else {"n": 0}
        )

    return {
        "windows": sum(len(w) for w in windows.values()),
        "clips_without_a_window": sorted(v for v, w in windows.items() if not w),
        "within_clip": stats(within),
        "same_subject_other_clip": stats(same),
        "other_subject": stats(other),
        "threshold": s.signature_threshold,
        "other_subject_above_threshold": round(float((other_arr > s.signature_threshold).mean()), 3)
        if other_arr.size
        else None,
    }


def measure(dataset: Path, cache: Path) -> dict:
    clips = load_dataset(dataset)
    faces = cached_faces(clips, cache)
    out = {"signature": signature_separation(clips, faces)}
    warmup_forever = VisionSettings(eyes=VisionSettings().eyes.model_copy(update={"warmup_s": 1e9}))
    runs = {
        "alone": {"continuous": False},
        "continuous_empty_seat_5s": {"empty_seat_s": 5.0},
        "continuous_direct_swap": {"empty_seat_s": 0.0},
        "continuous_no_sessions_direct_swap": {
            "empty_seat_s": 0.0,
            "sessions": DriverSessionSettings(enabled=False),
        },
        "alone_no_warmup": {
            "continuous": False,
            "vision": VisionSettings(eyes=VisionSettings().eyes.model_copy(update={"warmup_s": 0.0})),
        },
        "alone_warmup_whole_clip": {"continuous": False, "vision": warmup_forever},
    }
    for name, kw in runs.items():
        out[name] = replay_stream(clips, faces, **kw).summary()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m edge.evaluation.driver_change", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/dms_faces_cache"))
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args(argv)
    out = measure(args.dataset, args.cache)
    text = json.dumps(out, indent=1)
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    for name, r in out.items():
        if name == "signature":
            print(name, json.dumps(r))
        else:
            print(
                f"{name}: closed F1 {r['closed_f1']:.3f}, blink F1 {r['blink_f1']:.3f} ({r['blink_tp']} found, "
                f"{r['blink_fp']} false, {r['blink_fn']} missed), fatigue starts {r['fatigue_starts']}, "
                f"changes {r['driver_changes']}; closed flag delay {r['closed_flag_delay']} missed "
                f"{r['closed_flag_missed']}; as the policy reads it {r['policy_delay']} missed {r['policy_missed']}; "
                f"closures in a warm-up {r['closures_in_warmup']}: {r['warmup_delay']} missed {r['warmup_missed']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
