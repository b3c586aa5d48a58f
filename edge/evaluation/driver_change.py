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
    box_jump,
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
    by_condition: dict[str, Counts] = field(default_factory=dict)

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
            "by_condition": {
                c: {k: round(v, 4) for k, v in n.scores().items() if k in ("closed_f1", "blink_f1")}
                for c, n in sorted(self.by_condition.items())
            },
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
    standstill_s: float = 0.0,
    step: int = 1,
) -> StreamResult:
    """The clips in order through the vehicle's stages. `continuous` False: each clip a fresh driver
    (pipeline, tracker and policy new), the reference the stream is compared with. `standstill_s`: the
    vehicle stands (0 km/h) for this long before and after each change of subject (a direct swap at a
    standstill); otherwise it drives at 60 km/h. `step` 2: every other picture (15 fps); a picture left
    out is scored with the decision of the one before it."""
    vision, policy = vision or VisionSettings(), policy or PolicySettings()
    sessions = sessions or DriverSessionSettings()
    result = StreamResult()
    path = t = None
    previous = None
    for n, clip in enumerate(clips):
        following = clips[n + 1] if n + 1 < len(clips) else None
        stop_before = continuous and previous is not None and clip.subject != previous.subject
        stop_after = continuous and following is not None and following.subject != clip.subject
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
        pictures = faces[clip.video]
        end = picture_time(times, pictures[-1].index)
        s = None
        for p in pictures:
            at = picture_time(times, p.index)
            if p.index % step:
                if s is not None:  # not taken: scored with the decision of the picture before
                    run.signals[p.index] = s
                continue
            stopped = (stop_before and at < standstill_s) or (stop_after and end - at < standstill_s)
            speed = 0.0 if stopped else SPEED_KMH
            s = _step(path, pipeline, p, t + at, p.index, speed, result, clip)
            run.signals[p.index] = s
            if s.blink_ended is not None:
                run.events.append(s.blink_ended)
        if (last := pipeline.finish()) is not None:
            run.events.append(last)
        counts = score_clip(clip, run.predictions())
        result.per_clip[clip.video] = counts
        result.counts.add(counts)
        result.by_condition.setdefault(clip.condition, Counts()).add(counts)
        _closure_delays(clip, run, result)
        t += end + FRAME_PERIOD_S
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
    s, events = path.step(s, speed)
    for e in events:
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


def sittings(clips: list[LabelledClip]) -> list[LabelledClip]:
    """Each clip one sitting, in an order where the next sitting is always another subject: every
    subject once per condition, the conditions in turn (FBN, FNN, FTN, UNN). In file order a subject's
    four clips follow each other, and the cut between two of them (glasses put on, the camera moved
    below the face) is the same driver, whom nothing resets."""
    return sorted(clips, key=lambda c: (c.condition, c.subject))


STANDSTILL_S = 1.0
"""In the direct-swap streams the vehicle stands this long before and after each change of subject."""


def _frame_signatures(
    pictures: list[CachedPicture], s: DriverSessionSettings
) -> list[tuple[np.ndarray | None, np.ndarray | None, tuple | None] | None]:
    """Per picture: (frontal signature, signature up to jump_pitch_deg, face box), None without a face."""
    out = []
    for p in pictures:
        if p.face is None:
            out.append(None)
            continue
        f = p.face
        pitched = face_signature(f.landmarks, f.head_yaw, f.head_pitch, s, s.jump_pitch_deg)
        frontal = pitched if pitched is not None and abs(f.head_pitch) <= s.frontal_pitch_deg else None
        out.append((frontal, pitched, f.box))
    return out


def _pair(a, b) -> dict:
    """What the jump rules see between two face frames in a row."""
    return {
        "frontal": None if a[0] is None or b[0] is None else signature_distance(a[0], b[0]),
        "pitched": None if a[1] is None or b[1] is None else signature_distance(a[1], b[1]),
        "box": box_jump(a[2], b[2]),
    }


def _fires(pair: dict, jump: float, box: float, box_signature: float) -> bool:
    """The tracker's jump rules (edge.session): the frontal signature alone, or the signature up to
    jump_pitch_deg with the face box."""
    if pair["frontal"] is not None and pair["frontal"] > jump:
        return True
    return (
        pair["box"] is not None
        and pair["pitched"] is not None
        and pair["box"] > box
        and pair["pitched"] > box_signature
    )


def jump_separation(
    clips: list[LabelledClip],
    faces: dict[str, list[CachedPicture]],
    settings: DriverSessionSettings | None = None,
) -> dict:
    """The frame-to-frame jumps the tracker compares (`jump_threshold` for the frontal signature,
    `box_jump` with the signature up to `jump_pitch_deg`) within each subject's clips, and across the
    cut from one sitting to the next (`sittings` order); the thresholds chosen without each subject (the
    largest within-clip frontal jump of the other nine, twice their largest within-clip box jump, as
    the defaults are chosen on all ten) and what they do on the subject left out: jumps within their
    clips (each a false change at a standstill) and the cuts into their clips that they find."""
    s = settings or DriverSessionSettings()
    sigs = {c.video: _frame_signatures(faces[c.video], s) for c in clips}
    pairs: dict[str, list[dict]] = {}
    for c in clips:
        pairs.setdefault(c.subject, []).extend(
            _pair(a, b) for a, b in itertools.pairwise(sigs[c.video]) if a is not None and b is not None
        )

    def largest(values) -> float:
        return max((v for v in values if v is not None), default=0.0)

    within = {k: largest(p["frontal"] for p in v) for k, v in pairs.items()}
    within_box = {k: largest(p["box"] for p in v) for k, v in pairs.items()}
    box_margin = s.box_jump / max(within_box.values())
    cuts = []
    for a, b in itertools.pairwise(sittings(clips)):
        last = next((x for x in reversed(sigs[a.video]) if x is not None), None)
        first = next((x for x in sigs[b.video] if x is not None), None)
        last_frontal = next((x for x in reversed(sigs[a.video]) if x is not None and x[0] is not None), None)
        first_frontal = next((x for x in sigs[b.video] if x is not None and x[0] is not None), None)
        pair = _pair(last, first) if last is not None and first is not None else None
        if pair is not None and last_frontal is not None and first_frontal is not None:
            pair["frontal"] = signature_distance(last_frontal[0], first_frontal[0])
        cuts.append(
            {"into": b.video, "subject": b.subject, "other_subject": a.subject != b.subject, **(pair or {})}
        )
    swaps = [c for c in cuts if c["other_subject"] and "box" in c]
    rules = (s.jump_threshold, s.box_jump, s.box_jump_signature)
    # a swap at any moment: random frame pairs of two subjects' clips of one condition
    rng = np.random.default_rng(0)
    anywhere: dict[str, list[bool]] = {}
    for a, b in itertools.permutations(clips, 2):
        if a.subject == b.subject or a.condition != b.condition:
            continue
        xs, ys = [x for x in sigs[a.video] if x is not None], [y for y in sigs[b.video] if y is not None]
        for _ in range(20):
            pair = _pair(xs[rng.integers(len(xs))], ys[rng.integers(len(ys))])
            anywhere.setdefault(a.condition, []).append(_fires(pair, *rules))
    frontal_cuts = [c["frontal"] for c in swaps if c["frontal"] is not None]
    held_out = {}
    for subject in within:
        jump = max(v for k, v in within.items() if k != subject)
        box = box_margin * max(v for k, v in within_box.items() if k != subject)
        into = [c for c in swaps if c["subject"] == subject]
        held_out[subject] = {
            "jump_threshold": round(jump, 3),
            "box_jump": round(box, 3),
            "false_jumps_within": int(
                sum(_fires(p, jump, box, s.box_jump_signature) for p in pairs[subject])
            ),
            "cuts_found": f"{sum(_fires(c, jump, box, s.box_jump_signature) for c in into)} of {len(into)}",
        }

    def span(values: list[float]) -> dict:
        return (
            {"n": len(values), "min": round(min(values), 3), "max": round(max(values), 3)}
            if values
            else {"n": 0}
        )

    return {
        "within_subject_max": {k: round(v, 3) for k, v in within.items()},
        "within_subject_box_max": {k: round(v, 3) for k, v in within_box.items()},
        "between_subjects": {
            **span(frontal_cuts),
            "without_a_frontal_frame": sum(c["frontal"] is None for c in swaps),
        },
        "between_subjects_box": span([c["box"] for c in swaps if c["box"] is not None]),
        "between_subjects_pitched": span([c["pitched"] for c in swaps if c["pitched"] is not None]),
        "threshold": s.jump_threshold,
        "box_threshold": s.box_jump,
        "box_signature_threshold": s.box_jump_signature,
        "in_sample_cuts_found": f"{sum(_fires(c, *rules) for c in swaps)} of {len(swaps)}",
        "in_sample_cuts_found_frontal": sum(d > s.jump_threshold for d in frontal_cuts),
        "in_sample_false_jumps_within": sum(_fires(p, *rules) for v in pairs.values() for p in v),
        "leave_one_subject_out": held_out,
        "random_cuts_found": {c: round(float(np.mean(v)), 3) for c, v in sorted(anywhere.items())},
    }


def measure(dataset: Path, cache: Path) -> dict:
    clips = load_dataset(dataset)
    faces = cached_faces(clips, cache)
    out = {"signature": signature_separation(clips, faces), "jump": jump_separation(clips, faces)}
    warmup_forever = VisionSettings(eyes=VisionSettings().eyes.model_copy(update={"warmup_s": 1e9}))
    order = sittings(clips)
    swap = {"empty_seat_s": 0.0, "standstill_s": STANDSTILL_S}
    runs = {
        "alone": {"continuous": False},
        "file_order_empty_seat_5s": {"empty_seat_s": 5.0},
        "file_order_direct_swap": swap,
        "file_order_no_sessions_direct_swap": {**swap, "sessions": DriverSessionSettings(enabled=False)},
        "sittings_empty_seat_5s": {"empty_seat_s": 5.0, "clips": order},
        "sittings_direct_swap": {**swap, "clips": order},
        "sittings_direct_swap_stopped_throughout": {**swap, "clips": order, "standstill_s": 1e9},
        "sittings_no_sessions_direct_swap": {
            **swap,
            "clips": order,
            "sessions": DriverSessionSettings(enabled=False),
        },
        "alone_15fps": {"continuous": False, "step": 2},
        "sittings_empty_seat_5s_15fps": {"empty_seat_s": 5.0, "clips": order, "step": 2},
        "sittings_direct_swap_15fps": {**swap, "clips": order, "step": 2},
        "sittings_direct_swap_stopped_throughout_15fps": {
            **swap,
            "clips": order,
            "standstill_s": 1e9,
            "step": 2,
        },
        "alone_no_warmup": {
            "continuous": False,
            "vision": VisionSettings(eyes=VisionSettings().eyes.model_copy(update={"warmup_s": 0.0})),
        },
        "alone_warmup_whole_clip": {"continuous": False, "vision": warmup_forever},
    }
    for name, kw in runs.items():
        out[name] = replay_stream(kw.pop("clips", clips), faces, **kw).summary()
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
        if name in ("signature", "jump"):
            print(name, json.dumps(r))
        else:
            print(
                f"{name}: closed F1 {r['closed_f1']:.3f}, blink F1 {r['blink_f1']:.3f} ({r['blink_tp']} found, "
                f"{r['blink_fp']} false, {r['blink_fn']} missed), fatigue starts {r['fatigue_starts']}, "
                f"changes {r['driver_changes']}; closed flag delay {r['closed_flag_delay']} missed "
                f"{r['closed_flag_missed']}; as the policy reads it {r['policy_delay']} missed {r['policy_missed']}; "
                f"closures in a warm-up {r['closures_in_warmup']}: {r['warmup_delay']} missed {r['warmup_missed']}; "
                f"by condition {json.dumps(r['by_condition'])}; "
                f"fatigue {[(e['type'], e['clip']) for e in r['fatigue_events']]}; "
                f"changes by {sorted({c.get('reason', '?') for c in r['changes']})}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
