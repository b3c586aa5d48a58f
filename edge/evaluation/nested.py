"""Nested leave-subjects-out estimate: the design is chosen inside each fold, not only its constants.

    python -m edge.evaluation.nested DATASET_DIR [--cache DIR] [--json FILE] [--stress VARIANT ...]

Outer loop: each subject in turn is held out. Inner loop, on the other subjects only: every design
alternative is scored leave-one-subject-out (its constants fitted on the inner training subjects, then
scored on the inner held-out one), the best design is picked, refitted on all outer training subjects
and scored once on the outer held-out subject. The held-out counts are pooled over subjects, and the
spread over subjects and the figures per condition are reported. The alternatives:

- `lid_gap`: the per-driver lid-gap closure alone (closed-level prior = the median blink depth of the
  training subjects; closed threshold and blink confirmation from a grid);
- `eye_model`: the person-independent eye-state model alone (threshold grid);
- `fused`: both, weighted by a logistic regression fitted on the training subjects' frames, then the
  threshold grid.

The eye-state model itself never saw these clips (`python -m tools.models.train_eye_state` trains on other
data sets): for it, every subject here is unseen. The face mesh and the eye-state model run once per
clip (cached in --cache); the folds replay the decision stages (`EyeStateEstimator`, `BlinkDetector`),
the same code the vehicle runs.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dms.errors import UserError
from edge.evaluation.dataset import FRAME_PERIOD_S, LabelledClip, load_dataset, subjects
from edge.evaluation.faces import CACHE_VERSION, GateFeedback
from edge.evaluation.runner import decoded_pictures, picture_time
from edge.evaluation.scoring import Counts, FramePrediction, score_clip
from edge.vision.blinks import BlinkDetector, BlinkSettings
from edge.vision.eyestate import EyeStateEstimator, EyeStateSettings, combine_eyes, eye_width, lid_openness
from edge.vision.pipeline import VisionSettings

DESIGNS = ("lid_gap", "eye_model", "fused")
THRESHOLDS = (0.4, 0.5, 0.55, 0.6, 0.7)
CONFIRMS = (0.4, 0.5, 0.6, 0.7)


@dataclass(frozen=True, slots=True)
class Frame:
    """What the decision stages need of one picture, from the models' single run."""

    index: int
    t: float
    openness: float | None
    closed_logit: float | None


def _darker_noisier(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    dark = 255.0 * (image / 255.0) ** 1.8
    return np.clip(dark + rng.normal(0, 6, image.shape), 0, 255).astype(np.uint8)


STRESS: dict[str, tuple[int, Callable | None]] = {
    # name: (keep every n-th picture, picture transform): conditions the dev clips do not show
    "none": (1, None),
    "15fps": (2, None),
    "small_face": (1, lambda im, rng: cv2.resize(im, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)),
    "dark_noisy": (1, _darker_noisier),
    "blur": (1, lambda im, rng: cv2.GaussianBlur(im, (5, 5), 1.2)),
    "mono": (1, lambda im, rng: cv2.cvtColor(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)),
}
"""Stress variants of a clip set: a design that holds on unseen drivers should degrade gracefully on them.
"mono" is a monochrome camera's picture (an infrared driver camera gives one channel), kept out of the
default choice: it checks that colour is not needed."""
DEFAULT_STRESS = ("none", "15fps", "small_face", "dark_noisy", "blur")


def measure_clip(
    face_mesh, eye_model, clip: LabelledClip, settings: EyeStateSettings, stress: str = "none"
) -> list[Frame]:
    """Run the models over one clip as a fresh driver: combined lid openness and eye-model logit per picture."""
    if hasattr(face_mesh, "reset"):
        face_mesh.reset()
    times = clip.picture_times()
    gate = GateFeedback(face_mesh)
    every, transform = STRESS[stress]
    rng = np.random.default_rng(0)
    frames = []
    for index, image in decoded_pictures(clip.path):
        if index % every:
            continue
        if transform is not None:
            image = transform(image, rng)
        t = picture_time(times, index)
        face = face_mesh.process(image)
        if face is None:
            frames.append(Frame(index, t, None, None))
            continue
        w_l, w_r = eye_width(face.left_eye.contour), eye_width(face.right_eye.contour)
        openness = combine_eyes(
            lid_openness(face.left_eye.contour), lid_openness(face.right_eye.contour), w_l, w_r, settings
        )
        logits = face.closed_logits  # the face mesh ran the eye-state model itself (iris_gate)
        if logits is None:
            logits = eye_model.closed_logits(image, face)
        gate.after(face, t, logits)
        logit = combine_eyes(*logits, w_l, w_r, settings)
        frames.append(Frame(index, t, openness, logit))
    return frames


def cached_measurements(
    clips: list[LabelledClip], cache: Path, stress: str = "none"
) -> dict[str, list[Frame]]:
    """video -> frames, the models run once per clip and kept in `cache`."""
    from tqdm import tqdm

    from edge.vision.eye_classifier import EyeClassifier
    from edge.vision.facemesh import FaceMesh

    cache.mkdir(parents=True, exist_ok=True)
    settings = EyeStateSettings()
    mesh = eye_model = None
    out = {}
    for clip in tqdm(clips, desc="models", unit="clip", disable=None, leave=False):
        path = cache / f"v{CACHE_VERSION}" / stress / (clip.video.replace("/", "__") + ".frames.pkl")
        if path.is_file():
            out[clip.video] = pickle.loads(path.read_bytes())
            continue
        if mesh is None:
            eye_model = EyeClassifier()
            mesh = FaceMesh(eye_model=eye_model)  # as the vehicle's pipeline builds it (iris_gate)
        out[clip.video] = measure_clip(mesh, eye_model, clip, settings, stress)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(out[clip.video]))
    return out


def replay(
    clip: LabelledClip,
    frames: list[Frame],
    settings: VisionSettings,
    lid_features: list | None = None,
    stages: tuple | None = None,
    offset_s: float = 0.0,
) -> Counts:
    """The vehicle's decision stages over one clip's measurements; counts of the acceptance rule.

    `lid_features`, when given, receives (lid closure, model logit, closed label) of every labelled
    picture the eyes were measured on (the fused design's training data). `stages`: an (eye state, blink)
    pair to carry on from instead of fresh ones (one continuous stream; its time goes on at `offset_s`)."""
    eyes, blinks = stages or (EyeStateEstimator(settings.eyes), BlinkDetector(settings.blinks))
    closed, blink_of, events = {}, {}, []
    for f in frames:
        if f.openness is None:
            update = blinks.update(offset_s + f.t, f.index, None)
        else:
            state = eyes.update_openness(f.openness, offset_s + f.t, closed_logit=f.closed_logit)
            closed[f.index] = state.closed
            update = blinks.update(offset_s + f.t, f.index, state.blink_closure)
            if lid_features is not None:
                lid_features.append((f.index, state.lid_closure, f.closed_logit))
        if update.ended is not None:
            events.append(update.ended)
    if (last := blinks.finish()) is not None:
        events.append(last)
    for e in events:
        for i in range(e.start_frame, e.end_frame + 1):
            blink_of[i] = e.blink_id
    # A picture that was not processed (a lower frame rate) shows what the last processed one said.
    processed = [f.index for f in frames]
    predictions = {}
    for f in clip.frames:
        pos = bisect.bisect_right(processed, f.decoded_index) - 1
        shown = processed[pos] if pos >= 0 else -1
        predictions[f.frame_id] = FramePrediction(bool(closed.get(shown)), blink_of.get(shown, -1))
    return score_clip(clip, predictions)


def stream_counts(
    clips: list[LabelledClip], frames: dict[str, list[Frame]], settings: VisionSettings, continuous: bool
) -> dict[str, Counts]:
    """video -> counts, each clip a fresh driver or (`continuous`) all clips played as one stream in
    their order, nothing reset between them: drivers and conditions change as in a vehicle that never
    restarts (the clips follow one another with no empty seat between)."""
    stages = (EyeStateEstimator(settings.eyes), BlinkDetector(settings.blinks)) if continuous else None
    out, offset = {}, 0.0
    for clip in clips:
        out[clip.video] = replay(clip, frames[clip.video], settings, stages=stages, offset_s=offset)
        offset += frames[clip.video][-1].t + FRAME_PERIOD_S
    return out


def settings_for(
    design: str,
    threshold: float,
    confirm: float,
    prior: float,
    weights: tuple[float, float, float] = (1.0, 0.0, 0.0),
) -> VisionSettings:
    eyes = {
        "closed_on": threshold,
        "closed_off": threshold - 0.1,
        "lid_closed_on": threshold,
        "lid_closed_off": threshold - 0.1,
        "prior_closed_share": prior,
        "use_model": design != "lid_gap",
        "blinks_from_lid_gap": design == "fused",
    }
    if design != "lid_gap":
        eyes.update(model_weight=weights[0], closure_weight=weights[1], fusion_bias=weights[2])
    return VisionSettings(
        eyes=EyeStateSettings(**eyes),
        blinks=BlinkSettings(confirm_closure=confirm, onset_closure=min(0.3, confirm)),
    )


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Weights (w..., bias) of a logistic regression by Newton's method (a handful of features)."""
    xb = np.c_[x, np.ones(len(x))]
    w = np.zeros(xb.shape[1])
    for _ in range(30):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -50, 50)))
        grad = xb.T @ (p - y) + l2 * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


class Folds:
    """Per-clip counts of every candidate, computed once and summed over any set of subjects.

    `variants`: the models' measurements of the clips under each stress variant (STRESS; "none" first).
    A candidate is scored on all of them together: the vehicle does not know which condition it is in,
    so one set of constants must serve them all."""

    def __init__(self, clips: list[LabelledClip], variants: dict[str, dict[str, list[Frame]]]):
        self.clips = clips
        self.variants = variants
        self.by_subject = {s: [c.video for c in group] for s, group in subjects(clips).items()}
        self._clip = {c.video: c for c in clips}
        self._counts: dict[tuple, dict[str, dict[str, Counts]]] = {}
        self._features = [self._lid_features(frames) for frames in variants.values()]

    def videos(self, group) -> list[str]:
        return [v for s in sorted(group) for v in self.by_subject[s]]

    def _lid_features(self, frames: dict[str, list[Frame]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """video -> ((lid closure, logit) per measured labelled frame, closed label), default settings."""
        out = {}
        for clip in self.clips:
            rows: list = []
            replay(clip, frames[clip.video], VisionSettings(), rows)
            label = {f.decoded_index: f.eye_closed for f in clip.frames if f.annotated}
            rows = [(c, g, label[i]) for i, c, g in rows if i in label and g is not None]
            out[clip.video] = (
                np.array([r[:2] for r in rows]).reshape(-1, 2),
                np.array([r[2] for r in rows], float),
            )
        return out

    def blink_depth_prior(self, group) -> float:
        """Median blink depth of the subjects in `group` (unstressed clips)."""
        frames = next(iter(self.variants.values()))
        depths = []
        for video in self.videos(group):
            eyes = EyeStateEstimator(EyeStateSettings(use_model=False))
            for f in frames[video]:
                if f.openness is not None:
                    eyes.update_openness(f.openness, f.t)
            depths += eyes.blink_depths()
        return round(float(np.median(depths)), 2) if depths else EyeStateSettings().prior_closed_share

    def variant_counts(self, key: tuple) -> dict[str, dict[str, Counts]]:
        """variant -> video -> counts of the candidate `key`."""
        if key not in self._counts:
            settings = settings_for(*key)
            self._counts[key] = {
                name: {v: replay(self._clip[v], frames[v], settings) for v in self._clip}
                for name, frames in self.variants.items()
            }
        return self._counts[key]

    def counts(self, key: tuple) -> dict[str, Counts]:
        """video -> counts of `key`, summed over the variants."""
        out: dict[str, Counts] = {v: Counts() for v in self._clip}
        for per_video in self.variant_counts(key).values():
            for v, c in per_video.items():
                out[v].add(c)
        return out

    def candidates(self, design: str, group) -> list[tuple]:
        """Settings keys a design may take when fitted on the subjects in `group`."""
        prior = (
            self.blink_depth_prior(group) if design == "lid_gap" else EyeStateSettings().prior_closed_share
        )
        weights = (1.0, 0.0, 0.0)
        if design == "fused":
            videos = self.videos(group)
            x = np.concatenate([f[v][0] for f in self._features for v in videos])
            y = np.concatenate([f[v][1] for f in self._features for v in videos])
            w = fit_logistic(x[:, ::-1], y)  # columns (logit, lid closure) as the settings weigh them
            limits = ((0.0, 10.0), (0.0, 50.0), (-50.0, 50.0))  # EyeStateSettings' bounds
            weights = tuple(round(min(hi, max(lo, float(v))), 1) for v, (lo, hi) in zip(w, limits))
        thresholds = THRESHOLDS if design != "eye_model" else (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
        return [(design, t, c, prior, weights) for t, c in itertools.product(thresholds, CONFIRMS)]

    def fit(self, design: str, group) -> tuple:
        """The candidate the subjects in `group` score best on (eye-closed F1 + blink F1, all variants)."""
        videos = self.videos(group)
        return max(self.candidates(design, group), key=lambda k: objective(self.total(k, videos)))

    def total(self, key: tuple, videos, variant: str | None = None) -> Counts:
        per_video = self.counts(key) if variant is None else self.variant_counts(key)[variant]
        out = Counts()
        for v in videos:
            out.add(per_video[v])
        return out


def objective(c: Counts) -> float:
    s = c.scores()
    return s["closed_f1"] + s["blink_f1"]


def nested_estimate(folds: Folds, designs=DESIGNS, progress=None) -> dict:
    ids = sorted(folds.by_subject)
    pooled, fixed = Counts(), {d: Counts() for d in designs}
    per_subject, by_condition, by_variant = {}, {}, {}
    # each version of the clips alone (the README's "as recorded" row): per condition and per subject
    variant_condition: dict[str, dict[str, Counts]] = {}
    variant_subject: dict[str, dict[str, dict]] = {}
    condition = {c.video: c.condition for c in folds.clips}
    for held in ids:
        train = set(ids) - {held}
        inner = {}
        for design in designs:
            total = Counts()
            for inner_held in sorted(train):
                key = folds.fit(design, train - {inner_held})
                total.add(folds.total(key, folds.videos({inner_held})))
            inner[design] = objective(total)
        chosen = max(designs, key=inner.get)
        held_videos = folds.videos({held})
        for design in designs:
            key = folds.fit(design, train)
            fixed[design].add(folds.total(key, held_videos))
            if design == chosen:
                counts = folds.total(key, held_videos)
                pooled.add(counts)
                for name in folds.variants:
                    by_variant.setdefault(name, Counts()).add(folds.total(key, held_videos, name))
                    variant_subject.setdefault(name, {})[held] = _short(
                        folds.total(key, held_videos, name).scores()
                    )
                    per_video = folds.variant_counts(key)[name]
                    for v in held_videos:
                        variant_condition.setdefault(name, {}).setdefault(condition[v], Counts()).add(
                            per_video[v]
                        )
                per_subject[held] = {
                    "design": design,
                    "settings": list(key[1:]),
                    "inner_scores": {d: round(v, 4) for d, v in inner.items()},
                    **_short(counts.scores()),
                }
                for v in held_videos:
                    by_condition.setdefault(condition[v], Counts()).add(folds.counts(key)[v])
        if progress is not None:
            progress.update(1)
    spread = {k: [per_subject[s][k] for s in ids] for k in ("closed_f1", "blink_f1")}
    return {
        "variants": list(folds.variants),
        "nested": _short(pooled.scores()),
        "by_variant": {name: _short(c.scores()) for name, c in by_variant.items()},
        "by_condition": {c: _short(v.scores()) for c, v in sorted(by_condition.items())},
        "by_variant_condition": {
            name: {c: _short(v.scores()) for c, v in sorted(per.items())}
            for name, per in variant_condition.items()
        },
        "by_variant_subject": variant_subject,
        "per_subject": per_subject,
        "spread": {
            k: {"min": min(v), "median": float(np.median(v)), "max": max(v)} for k, v in spread.items()
        },
        "each_design_loso": {d: _short(c.scores()) for d, c in fixed.items()},
    }


def _short(scores: dict) -> dict:
    return {
        k: (round(v, 4) if isinstance(v, float) else v)
        for k, v in scores.items()
        if k.startswith(("closed_", "blink_"))
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m edge.evaluation.nested", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument(
        "dataset", type=Path, help="Labelled clip set (zju_eyeblink_dev layout, with splits.csv)."
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/dms_nested_cache"),
        help="Folder for the models' per-clip measurements (computed once per variant).",
    )
    ap.add_argument("--json", type=Path, default=None, help="Also write the whole report here.")
    ap.add_argument(
        "--stress",
        nargs="+",
        choices=list(STRESS),
        default=list(DEFAULT_STRESS),
        metavar="VARIANT",
        help=f"Choose and score on these versions of the clips together ({', '.join(STRESS)}; "
        f"default: {' '.join(DEFAULT_STRESS)}): one design and one set of constants must "
        "serve them all.",
    )
    args = ap.parse_args(argv)
    try:
        report = _run(args)
    except UserError as exc:
        print(f"nested: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


def _run(args) -> dict:
    from tqdm import tqdm

    clips = load_dataset(args.dataset)
    folds = Folds(clips, {v: cached_measurements(clips, args.cache, v) for v in args.stress})
    with tqdm(total=len(folds.by_subject), desc="outer folds", disable=None, leave=False) as bar:
        report = nested_estimate(folds, progress=bar)
    n = report["nested"]
    print(
        f"nested leave-one-subject-out, pooled: eye-closed F1 {n['closed_f1']:.3f} "
        f"(P {n['closed_precision']:.3f}, R {n['closed_recall']:.3f}), blink F1 {n['blink_f1']:.3f} "
        f"({n['blink_fp']} false, {n['blink_fn']} missed)"
    )
    for k, v in report["spread"].items():
        print(f"  per held-out subject {k}: {v['min']:.3f} .. {v['max']:.3f} (median {v['median']:.3f})")
    if len(report["variants"]) > 1:
        for name, s in report["by_variant"].items():
            print(f"  variant {name}: eye-closed F1 {s['closed_f1']:.3f}, blink F1 {s['blink_f1']:.3f}")
    for name, per in report["by_variant_condition"].items():
        shown = ", ".join(f"{c} {s['closed_f1']:.3f}/{s['blink_f1']:.3f}" for c, s in per.items())
        closed = [s["closed_f1"] for s in report["by_variant_subject"][name].values()]
        print(
            f"  {name} by condition (eye-closed/blink): {shown}; per subject eye-closed "
            f"{min(closed):.3f} .. {max(closed):.3f} (median {float(np.median(closed)):.3f})"
        )
    for cond, s in report["by_condition"].items():
        print(f"  {cond}: eye-closed F1 {s['closed_f1']:.3f}, blink F1 {s['blink_f1']:.3f}")
    print("designs chosen: " + ", ".join(f"{s}: {v['design']}" for s, v in report["per_subject"].items()))
    for d, s in report["each_design_loso"].items():
        print(
            f"  {d} alone, leave-one-subject-out: eye-closed F1 {s['closed_f1']:.3f}, blink F1 {s['blink_f1']:.3f}"
        )
    frames = next(iter(folds.variants.values()))
    for name, settings in (
        ("lid gap alone", VisionSettings(eyes=EyeStateSettings(use_model=False))),
        ("defaults (fused)", VisionSettings()),
    ):
        for continuous in (False, True):
            total = Counts()
            for c in stream_counts(clips, frames, settings, continuous).values():
                total.add(c)
            s = _short(total.scores())
            report.setdefault("stream", {})[f"{name}, {'continuous' if continuous else 'clip by clip'}"] = s
            print(
                f"  {name}, {'one continuous stream' if continuous else 'each clip a new driver'}: "
                f"eye-closed F1 {s['closed_f1']:.3f}, blink F1 {s['blink_f1']:.3f}"
            )
    return report


if __name__ == "__main__":
    sys.exit(main())
