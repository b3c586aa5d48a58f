"""A narrower-eyed driver after a wider-eyed one, on the dev clips: driver A (the widest eyes of the dev
subjects) drives, stops, and driver B sits down with eyes 0.7, 0.8 or 0.9 of A's opening (B's real eye
contours, the lid gap scaled about the corner line), drives awake for a minute, then closes the eyes.

    python -m edge.evaluation.narrower_eyes DATASET_DIR [--cache DIR] [--json FILE]

Played through the vehicle's stages after the face mesh (cached faces, `VisionPipeline.process_face`,
the driver sessions, the policy at 60 km/h; 1 s stopped either side of the swap) with the change
noticed (sessions on) and not noticed (sessions off: B's open level must relearn by itself), against B
alone from a cold start. Awake: B's real open stretches of 2.5-4 s alternating with B's real labelled
blinks (about 16 a minute). The closure: B's most closed labelled picture held 1.5 s. The eye-state
model's logits are those of B's real pictures (the model sees B's eyes, not the scaled contours).
Reported per B and factor: closed readings on labelled-open pictures, fatigue episodes started while B
is awake (each a false alarm), and the delay from the closure's start to the microsleep.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from edge.evaluation.dataset import FRAME_PERIOD_S, LabelledClip, load_dataset
from edge.evaluation.driver_change import FATIGUE, SPEED_KMH, _no_face_mesh
from edge.evaluation.faces import CachedPicture, cached_faces
from edge.policy import DriverMonitor, PolicySettings
from edge.session import DriverSessions, DriverSessionSettings, DriverSessionTracker
from edge.vision.eyestate import lid_openness
from edge.vision.pipeline import VisionPipeline, VisionSettings

FACTORS = (0.7, 0.8, 0.9)
CONDITION = "FNN"
"""No glasses, the camera in front: the lid gap is seen best."""


def narrowed(face, factor: float):
    """The face with both eyes' lid gaps scaled by `factor` about the line through the eye corners."""

    def eye(e):
        c = np.array(e.contour, dtype=np.float64)
        a, b = c[0], c[8]
        u = (b - a) / np.linalg.norm(b - a)
        normal = np.array([-u[1], u[0]])
        c[:16] -= np.outer(((c[:16] - a) @ normal) * (1 - factor), normal)
        return dataclasses.replace(e, contour=c)

    return dataclasses.replace(face, left_eye=eye(face.left_eye), right_eye=eye(face.right_eye))


def _labels(clip: LabelledClip) -> dict[int, bool]:
    return {f.decoded_index: f.eye_closed for f in clip.frames if f.annotated}


def _openness(p: CachedPicture) -> float:
    return float(np.mean([v for e in (p.face.left_eye, p.face.right_eye) if (v := lid_openness(e.contour))]))


def open_level(clip: LabelledClip, pictures: list[CachedPicture]) -> float:
    """The median lid openness of the labelled-open pictures."""
    labels = _labels(clip)
    return float(
        np.median([_openness(p) for p in pictures if p.face is not None and labels.get(p.index) is False])
    )


def awake(
    clip: LabelledClip, pictures: list[CachedPicture], seconds: float, seed: int = 0
) -> list[CachedPicture]:
    """Real open stretches of 2.5-4 s (back and forth over runs of labelled-open pictures) alternating
    with the clip's real labelled blinks (3 pictures either side): about 16 blinks a minute."""
    rng = np.random.default_rng(seed)
    labels = _labels(clip)
    faces = [p for p in pictures if p.face is not None]
    closed = [i for i, p in enumerate(faces) if labels.get(p.index)]
    blinks, k = [], 0
    while k < len(closed):
        j = k
        while j + 1 < len(closed) and closed[j + 1] == closed[j] + 1:
            j += 1
        blinks.append(faces[max(0, closed[k] - 3) : closed[j] + 4])
        k = j + 1
    runs, run = [], []
    for p in faces + [None]:
        if p is not None and labels.get(p.index) is False:
            run.append(p)
            continue
        if len(run) >= 15:
            runs.append(run)
        run = []
    out, n, b = [], round(seconds / FRAME_PERIOD_S), 0
    while len(out) < n:
        stretch = runs[b % len(runs)]
        there_and_back = stretch + stretch[-2:0:-1]
        out += [
            there_and_back[i % len(there_and_back)]
            for i in range(round(rng.uniform(2.5, 4.0) / FRAME_PERIOD_S))
        ]
        out += blinks[b % len(blinks)] if blinks else []
        b += 1
    return out[:n]


def play(
    a: tuple[LabelledClip, list[CachedPicture]] | None,
    b: tuple[LabelledClip, list[CachedPicture]],
    scale: float,
    sessions: DriverSessionSettings,
    a_s: float = 20.0,
    awake_s: float = 60.0,
    close_s: float = 1.5,
) -> dict:
    """A (None: B alone, from a cold start) then B with lid gaps times `scale`, awake, then closed."""
    vision = VisionPipeline(VisionSettings(), face_mesh=_no_face_mesh, eye_model=None)
    path = DriverSessions(
        DriverSessionTracker(sessions), vision, DriverMonitor(PolicySettings(), session_id="s0")
    )
    t, out = (
        0.0,
        {"changes": 0, "false_alarms": [], "closed_on_open": 0, "open": 0, "microsleep_delay_s": None},
    )
    stopped = round(1.0 / FRAME_PERIOD_S)

    def feed(p: CachedPicture, face, speed: float, phase: str):
        nonlocal t
        s = vision.process_face(face, t, p.index, closed_logits=p.closed_logits)
        s, events = path.step(s, speed)
        for e in events:
            if e.type == "driver_change":
                out["changes"] += 1
            elif e.phase == "start" and e.type in FATIGUE:
                if phase == "closed" and e.type == "microsleep" and out["microsleep_delay_s"] is None:
                    out["microsleep_delay_s"] = round(t - closure_t, 3)
                elif phase != "closed":
                    out["false_alarms"].append(
                        {"type": e.type, "t": round(t, 2), "rule": e.details.get("rule")}
                    )
        t += FRAME_PERIOD_S
        return s

    closure_t = float("inf")
    if a is not None:
        seq = awake(*a, a_s)
        for k, p in enumerate(seq):
            feed(p, p.face, 0.0 if k >= len(seq) - stopped else SPEED_KMH, "A")
    clip, pictures = b
    labels = _labels(clip)
    for k, p in enumerate(awake(clip, pictures, awake_s)):
        s = feed(p, narrowed(p.face, scale), 0.0 if k < stopped else SPEED_KMH, "B")
        if labels.get(p.index) is False:
            out["open"] += 1
            out["closed_on_open"] += bool(s.eyes_closed)
    shut = min((p for p in pictures if p.face is not None and labels.get(p.index)), key=_openness)
    closure_t = t
    for _ in range(round(close_s / FRAME_PERIOD_S)):
        feed(shut, narrowed(shut.face, scale), SPEED_KMH, "closed")
    return out


def measure(dataset: Path, cache: Path) -> dict:
    clips = [c for c in load_dataset(dataset) if c.condition == CONDITION]
    faces = cached_faces(clips, cache)
    level = {c.subject: open_level(c, faces[c.video]) for c in clips}
    widest = max(level, key=level.get)
    clip = {c.subject: c for c in clips}
    a = (clip[widest], faces[clip[widest].video])
    out = {"driver_a": widest, "open_levels": {k: round(v, 4) for k, v in level.items()}, "b": {}}
    for subject in sorted(level):
        if subject == widest:
            continue
        b = (clip[subject], faces[clip[subject].video])
        for factor in FACTORS:
            scale = factor * level[widest] / level[subject]
            out["b"][f"{subject} x{factor}"] = {
                "scale": round(scale, 3),
                "alone": play(None, b, scale, DriverSessionSettings()),
                "change_noticed": play(a, b, scale, DriverSessionSettings()),
                "change_not_noticed": play(a, b, scale, DriverSessionSettings(enabled=False)),
            }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m edge.evaluation.narrower_eyes", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/dms_faces_cache"))
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args(argv)
    out = measure(args.dataset, args.cache)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"driver A {out['driver_a']}; open levels {out['open_levels']}")
    for name, r in out["b"].items():
        cells = [
            f"{k}: closed on open {v['closed_on_open']}/{v['open']}, false alarms "
            f"{[e['type'] + '/' + str(e['rule']) for e in v['false_alarms']]}, changes {v['changes']}, "
            f"microsleep after {v['microsleep_delay_s']} s"
            for k, v in r.items()
            if k != "scale"
        ]
        print(f"B {name} (lid gap x{r['scale']}): " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
