"""Leave-subjects-out check of the few tuned constants: tune on one half of the subjects, score the other.

    python -m edge.evaluation.crosscheck DATASET_DIR [--cache DIR] [--first-half ID ...]

Face-mesh results are cached per clip (the models run once); each setting of the grid then replays
only the eye-state, blink and gaze stages, so the whole grid takes about a minute. Prints, for each
direction, the constants the tuning half prefers and what they score on the held-out half, and the
defaults on both halves: the honest estimate for unseen subjects lies between.
"""
from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from edge.evaluation.dataset import LabelledClip, load_dataset, subjects
from edge.evaluation.runner import cached_faces, replay_clip
from edge.evaluation.scoring import Counts, score_clip
from edge.vision.pipeline import VisionPipeline, VisionSettings

GRID: dict[str, tuple[float, ...]] = {
    "eyes.closed_on": (0.5, 0.55, 0.6, 0.65, 0.7),
    "eyes.prior_closed_share": (0.35, 0.45, 0.5, 0.55, 0.65),
    "blinks.confirm_closure": (0.4, 0.5, 0.6, 0.7),
}


def settings_with(values: dict[str, float], base: VisionSettings | None = None) -> VisionSettings:
    """`base` with dotted-key overrides; moving `eyes.closed_on` keeps the hysteresis width."""
    data = (base or VisionSettings()).model_dump()
    for key, value in values.items():
        group, name = key.split(".")
        if key == "eyes.closed_on":
            data[group]["closed_off"] = value - (data[group]["closed_on"] - data[group]["closed_off"])
        data[group][name] = value
    return VisionSettings.model_validate(data)


def per_subject(clips: list[LabelledClip], faces: dict[str, dict], settings: VisionSettings) -> dict[str, Counts]:
    pipeline = VisionPipeline(settings, face_mesh=_NoModels())
    out: dict[str, Counts] = {}
    for clip in clips:
        run = replay_clip(pipeline, clip, faces[clip.video])
        out.setdefault(clip.subject, Counts()).add(score_clip(clip, run.predictions()))
    return out


def _total(counts: dict[str, Counts], group: set[str]) -> dict:
    total = Counts()
    for subject in group:
        total.add(counts[subject])
    return total.scores()


class _NoModels:
    """Stands in for the face mesh during replays: cached results are fed to `process_face` directly."""

    def process(self, image_bgr):  # pragma: no cover - never called in a replay
        raise RuntimeError("replays use cached face-mesh results")


def cross_check(clips: list[LabelledClip], faces: dict[str, dict], first_half: set[str],
                grid: dict[str, tuple[float, ...]] = GRID) -> dict:
    halves = {"first": first_half, "second": set(subjects(clips)) - first_half}
    results = []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        counts = per_subject(clips, faces, settings_with(values))
        results.append((values, {h: _total(counts, group) for h, group in halves.items()}))
    defaults = per_subject(clips, faces, VisionSettings())
    report = {"halves": {h: sorted(g) for h, g in halves.items()},
              "defaults": {h: _total(defaults, g) for h, g in halves.items()}, "directions": []}
    for tune, held in (("first", "second"), ("second", "first")):
        values, scores = max(results, key=lambda r: r[1][tune]["closed_f1"] + r[1][tune]["blink_f1"])
        report["directions"].append({"tuned_on": tune, "values": values, "tuned": scores[tune],
                                     "held_out": scores[held]})
    return report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/dms_facecache"),
                    help="Folder for the cached face-mesh results (one file per clip).")
    ap.add_argument("--first-half", nargs="*", default=None,
                    help="Subjects of the first half (default: the first half of the sorted subject ids).")
    args = ap.parse_args(argv)
    clips = load_dataset(args.dataset)
    from edge.vision.facemesh import FaceMesh

    mesh = FaceMesh()
    faces = {c.video: cached_faces(mesh, c, args.cache) for c in clips}
    ids = sorted(subjects(clips))
    first = set(args.first_half) if args.first_half else set(ids[: len(ids) // 2])
    report = cross_check(clips, faces, first)
    keys = ("closed_f1", "blink_f1", "blink_fp", "blink_fn")
    for d in report["directions"]:
        print(f"tuned on {d['tuned_on']} half {json.dumps(d['values'])}: "
              f"tuned {json.dumps({k: round(d['tuned'][k], 3) for k in keys})}, "
              f"held out {json.dumps({k: round(d['held_out'][k], 3) for k in keys})}")
    for half, s in report["defaults"].items():
        print(f"defaults on {half} half: {json.dumps({k: round(s[k], 3) for k in keys})}")


if __name__ == "__main__":
    main()
