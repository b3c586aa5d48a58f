"""Leave-subjects-out check of the few tuned constants: tune on some subjects, score the others.

    python -m edge.evaluation.crosscheck DATASET_DIR [--cache DIR] [--no-loso] [--json FILE]

Face-mesh results are cached per clip (the models run once); each setting of the grid then replays
only the eye-state, blink and gaze stages. Splits: the two halves of the sorted subject ids (each way),
odd / even positions (each way) and leave-one-subject-out (each subject scored with the constants the
nine others prefer; the held-out counts are pooled). The closed-level prior is not tuned: it is the
median blink depth of the tuning subjects (a population statistic, as the default is of all subjects);
the grid tunes the closed threshold and the blink confirmation. Prints, per split, the prior and the
constants the tuning side gives and what they score on the held-out side, then the defaults over all
clips and per condition.
"""
from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from edge.evaluation.dataset import LabelledClip, load_dataset, subjects
from edge.evaluation.runner import cached_faces, replay_clip
from edge.evaluation.scoring import Counts, score_clip
from edge.vision.pipeline import VisionPipeline, VisionSettings

GRID: dict[str, tuple[float, ...]] = {
    "eyes.closed_on": (0.5, 0.55, 0.6, 0.65, 0.7),
    "blinks.confirm_closure": (0.4, 0.5, 0.6, 0.7),
}
PRIOR = "eyes.prior_closed_share"
KEYS = ("closed_f1", "blink_f1", "blink_fp", "blink_fn")


def settings_with(values: dict[str, float], base: VisionSettings | None = None) -> VisionSettings:
    """`base` with dotted-key overrides; moving `eyes.closed_on` keeps the hysteresis width."""
    data = (base or VisionSettings()).model_dump()
    for key, value in values.items():
        group, name = key.split(".")
        if key == "eyes.closed_on":
            data[group]["closed_off"] = value - (data[group]["closed_on"] - data[group]["closed_off"])
        data[group][name] = value
    return VisionSettings.model_validate(data)


def per_clip(clips: list[LabelledClip], faces: dict[str, dict],
             settings: VisionSettings) -> dict[str, Counts]:
    """video -> counts of the acceptance rule, replaying cached face-mesh results."""
    pipeline = VisionPipeline(settings, face_mesh=_NoModels())
    return {clip.video: score_clip(clip, replay_clip(pipeline, clip, faces[clip.video]).predictions())
            for clip in clips}


def blink_depths(clips: list[LabelledClip], faces: dict[str, dict]) -> dict[str, list[float]]:
    """video -> bottoms of the clip's ordinary blinks (shares of the open level), default settings."""
    pipeline = VisionPipeline(VisionSettings(), face_mesh=_NoModels())
    out = {}
    for clip in clips:
        replay_clip(pipeline, clip, faces[clip.video])
        out[clip.video] = pipeline.eyes.blink_depths()
    return out


def population_prior(depths: dict[str, list[float]], videos) -> float:
    """The closed-level prior a set of clips gives: their median blink depth, to 0.01."""
    return round(float(np.median([d for v in videos for d in depths[v]])), 2)


def total(counts: dict[str, Counts], videos) -> Counts:
    out = Counts()
    for video in videos:
        out.add(counts[video])
    return out


class _NoModels:
    """Stands in for the face mesh during replays: cached results are fed to `process_face` directly."""

    def process(self, image_bgr):  # pragma: no cover - never called in a replay
        raise RuntimeError("replays use cached face-mesh results")


def standard_splits(ids: list[str], loso: bool = True) -> dict[str, tuple[set[str], set[str]]]:
    """name -> (tuning subjects, held-out subjects)."""
    half = len(ids) // 2
    first, second = set(ids[:half]), set(ids[half:])
    odd, even = set(ids[::2]), set(ids[1::2])  # 1st, 3rd, ... / 2nd, 4th, ...
    splits = {"first->second": (first, second), "second->first": (second, first),
              "odd->even": (odd, even), "even->odd": (even, odd)}
    if loso:
        splits.update({f"others->{i}": (set(ids) - {i}, {i}) for i in ids})
    return splits


def _rounded(scores: dict) -> dict:
    return {k: round(scores[k], 3) for k in KEYS}


def cross_check(clips: list[LabelledClip], faces: dict[str, dict],
                splits: dict[str, tuple[set[str], set[str]]] | None = None,
                grid: dict[str, tuple[float, ...]] = GRID) -> dict:
    """Per split: the grid values the tuning subjects prefer (closed F1 + blink F1) and their held-out
    scores; leave-one-subject-out splits are also pooled into one figure ("loso")."""
    by_subject = {s: [c.video for c in group] for s, group in subjects(clips).items()}
    splits = splits if splits is not None else standard_splits(sorted(by_subject))
    videos = lambda group: [v for s in sorted(group) for v in by_subject[s]]  # noqa: E731
    depths = blink_depths(clips, faces)
    runs: dict[float, list] = {}  # prior -> [(values, per-clip counts)] over the grid

    def grid_runs(prior: float) -> list:
        if prior not in runs:
            combos = [{PRIOR: prior, **dict(zip(grid, combo))} for combo in itertools.product(*grid.values())]
            runs[prior] = [(values, per_clip(clips, faces, settings_with(values))) for values in combos]
        return runs[prior]

    objective = lambda s: s["closed_f1"] + s["blink_f1"]  # noqa: E731
    report: dict = {"splits": {}}
    pooled, pooled_any = Counts(), False
    for name, (tune, held) in splits.items():
        candidates = grid_runs(population_prior(depths, videos(tune)))
        values, counts = max(candidates, key=lambda r: objective(total(r[1], videos(tune)).scores()))
        held_counts = total(counts, videos(held))
        report["splits"][name] = {"tuned_on": sorted(tune), "held_out": sorted(held), "values": values,
                                  "tuned": total(counts, videos(tune)).scores(),
                                  "scores": held_counts.scores()}
        if name.startswith("others->"):
            pooled.add(held_counts)
            pooled_any = True
    if pooled_any:
        report["loso"] = pooled.scores()
    defaults = per_clip(clips, faces, VisionSettings())
    conditions = sorted({c.condition for c in clips})
    report["defaults"] = {
        "all": total(defaults, defaults).scores(), "prior_all": population_prior(depths, depths),
        "by_condition": {cond: total(defaults, [c.video for c in clips if c.condition == cond]).scores()
                         for cond in conditions},
        "by_subject": {s: total(defaults, v).scores() for s, v in sorted(by_subject.items())}}
    return report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/dms_facecache"),
                    help="Folder for the cached face-mesh results (one file per clip).")
    ap.add_argument("--no-loso", action="store_true", help="Skip the leave-one-subject-out splits.")
    ap.add_argument("--json", type=Path, default=None, help="Also write the whole report here.")
    args = ap.parse_args(argv)
    clips = load_dataset(args.dataset)
    from edge.vision.facemesh import FaceMesh

    mesh = FaceMesh()
    faces = {c.video: cached_faces(mesh, c, args.cache) for c in clips}
    report = cross_check(clips, faces, standard_splits(sorted(subjects(clips)), loso=not args.no_loso))
    for name, split in report["splits"].items():
        print(f"{name}: {json.dumps(split['values'])} held out {json.dumps(_rounded(split['scores']))}")
    if "loso" in report:
        print(f"leave-one-subject-out, pooled: {json.dumps(_rounded(report['loso']))}")
    print(f"defaults, all clips: {json.dumps(_rounded(report['defaults']['all']))}")
    for cond, scores in report["defaults"]["by_condition"].items():
        print(f"defaults, {cond}: {json.dumps(_rounded(scores))}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
