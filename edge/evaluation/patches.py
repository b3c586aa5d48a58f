"""`dms evaluate` on an eye-patch set: the eye-state model scored on crops from any source.

A patch set is a folder with `labels.csv` (at least `path,eye_state`; `path` under `images/`,
`eye_state` open|closed) and the crops, of any size (the CEW and MRL layouts in ../shared/datasets).
Each crop is taken as framed around one eye (eye about two thirds of the crop's width, as CEW and MRL
cut them), turned grey, resized to the model's input and standardised exactly as the vehicle does
with the eye patches it cuts from camera pictures. "closed" is a closed logit above 0 (probability
0.5). The report gives accuracy, closed-eye precision / recall / F1, the confusion table and the
ranking quality (AUC), overall and per value of every other column with few distinct values
(subject, sensor, glasses, ...), so a set that confounds, say, sensor and eye state can be read per
sensor.
"""

from __future__ import annotations

import csv
import html
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from dms.errors import UserError
from edge.evaluation.scoring import prf

STATES = ("open", "closed")
MAX_GROUP_VALUES = 12
"""A column with at most this many distinct values is reported per value."""


def is_patch_set(path: Path) -> bool:
    """A folder whose labels.csv has the columns of an eye-patch set."""
    labels = path / "labels.csv"
    if not (path.is_dir() and labels.is_file()):
        return False
    with labels.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), [])
    return {"path", "eye_state"} <= set(header)


def read_patch_set(root: Path) -> list[dict[str, str]]:
    if not is_patch_set(root):
        raise UserError(f"{root}: not an eye-patch set (a folder with labels.csv holding path,eye_state)")
    with (root / "labels.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise UserError(f"{root / 'labels.csv'}: no rows")
    bad = next((r for r in rows if r["eye_state"].strip().lower() not in STATES), None)
    if bad is not None:
        raise UserError(
            f"{root / 'labels.csv'}: eye_state must be open or closed, not {bad['eye_state']!r} "
            f"(path {bad['path']})"
        )
    return rows


def load_patch(root: Path, row: dict[str, str]) -> np.ndarray:
    """One listed crop as the model's grey PATCH_SIZE square (the crop is resized whole)."""
    import cv2

    from edge.vision.eye_patch import PATCH_SIZE

    image = cv2.imread(str(root / "images" / row["path"]), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise UserError(f"cannot read image {root / 'images' / row['path']}")
    return cv2.resize(image, (PATCH_SIZE, PATCH_SIZE), interpolation=cv2.INTER_AREA)


def patch_logits(root: Path, rows: list[dict[str, str]], model, progress=None, batch: int = 64) -> np.ndarray:
    """The eye-state model's closed logit of every listed crop."""
    from edge.vision.eye_patch import standardise

    logits = np.empty(len(rows), np.float32)
    for start in range(0, len(rows), batch):
        patches = [load_patch(root, r) for r in rows[start : start + batch]]
        (out,) = model.run(standardise(np.stack(patches)))
        logits[start : start + len(patches)] = out[:, 0]
        if progress is not None:
            progress.update(len(patches))
    return logits


def auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Probability that a closed patch scores above an open one (ties count half); None without both."""
    pos, neg = scores[positive], np.sort(scores[~positive])
    if not len(pos) or not len(neg):
        return None
    below = np.searchsorted(neg, pos, side="left")
    ties = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * ties).sum() / (len(pos) * len(neg)))


def summarise(closed: np.ndarray, predicted: np.ndarray, logits: np.ndarray) -> dict:
    tp = int((closed & predicted).sum())
    fp = int((~closed & predicted).sum())
    fn = int((closed & ~predicted).sum())
    tn = int((~closed & ~predicted).sum())
    p, r, f = (round(v, 4) for v in prf(tp, fp, fn))
    if tp + fn == 0:  # no closed eye in this group: recall and F1 say nothing
        r = f = None
    a = auc(logits, closed)
    return {
        "patches": len(closed),
        "accuracy": round((tp + tn) / len(closed), 4),
        "closed_precision": p,
        "closed_recall": r,
        "closed_f1": f,
        "auc": None if a is None else round(a, 4),
        "confusion": {"closed_as_closed": tp, "closed_as_open": fn, "open_as_closed": fp, "open_as_open": tn},
    }


def build_patch_report(root: Path, rows: list[dict[str, str]], logits: np.ndarray) -> dict:
    closed = np.array([r["eye_state"].strip().lower() == "closed" for r in rows])
    predicted = logits > 0
    report = {
        "dataset": str(root),
        "kind": "eye patches",
        "decision": "closed logit > 0",
        "overall": summarise(closed, predicted, logits),
        "by": {},
    }
    for column in rows[0]:
        if column in ("path", "eye_state"):
            continue
        groups: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            groups[r[column]].append(i)
        if 1 < len(groups) <= MAX_GROUP_VALUES:
            report["by"][column] = {
                value: summarise(closed[idx], predicted[idx], logits[idx])
                for value, idx in sorted(groups.items())
                for idx in [np.array(idx)]
            }
    return report


def write_patch_outputs(out: Path, rows: list[dict[str, str]], logits: np.ndarray, report: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "predictions.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "eye_state", "closed_logit", "predicted"])
        for r, logit in zip(rows, logits, strict=True):
            w.writerow([r["path"], r["eye_state"], f"{logit:.4f}", "closed" if logit > 0 else "open"])
    (out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    (out / "report.html").write_text(_html(report), encoding="utf-8")


def _row(name: str, s: dict) -> str:
    c = s["confusion"]
    cells = [
        name,
        s["patches"],
        s["accuracy"],
        s["closed_precision"],
        s["closed_recall"],
        s["closed_f1"],
        s["auc"],
        c["closed_as_closed"],
        c["closed_as_open"],
        c["open_as_closed"],
        c["open_as_open"],
    ]
    cells = ["-" if x is None else x for x in cells]
    return "<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in cells) + "</tr>"


def _html(report: dict) -> str:
    head = (
        "<tr><th></th><th>patches</th><th>accuracy</th><th>closed P</th><th>closed R</th><th>closed F1</th>"
        "<th>AUC</th><th>closed&rarr;closed</th><th>closed&rarr;open</th><th>open&rarr;closed</th>"
        "<th>open&rarr;open</th></tr>"
    )
    rows = [_row("all", report["overall"])]
    for column, values in report["by"].items():
        rows += [_row(f"{column} = {value}", s) for value, s in values.items()]
    return (
        "<!doctype html><meta charset=utf-8><title>eye-state model on eye patches</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:right}</style>"
        f"<h1>Eye-state model on {html.escape(report['dataset'])}</h1>"
        f"<p>Decision: {html.escape(report['decision'])}.</p><table>{head}{''.join(rows)}</table>"
    )


def evaluate_patches(root: Path, out: Path, backend=None, progress_factory=None) -> dict:
    """Score the eye-state model on a patch set; writes predictions.csv, report.json, report.html."""
    from edge.vision.backends import load_model
    from edge.vision.eye_classifier import MODEL_NAME

    rows = read_patch_set(root)
    model = load_model(MODEL_NAME, backend)
    if progress_factory is None:
        logits = patch_logits(root, rows, model)
    else:
        with progress_factory(len(rows), "eye patches") as bar:
            logits = patch_logits(root, rows, model, bar)
    report = build_patch_report(root, rows, logits)
    write_patch_outputs(out, rows, logits, report)
    return report


def cut_patch_set(dataset: Path, out: Path, progress_factory=None) -> int:
    """Cut a labelled clip set into an eye-patch set (`out`/labels.csv + images/), framed as the vehicle
    frames them: both eyes of every picture whose two eyes share one label (both open or both shut), with
    subject and condition columns. Written outside the repository (research data stays out of it);
    returns the number of patches."""
    import cv2

    from edge.evaluation.dataset import load_dataset
    from edge.evaluation.runner import decoded_pictures
    from edge.vision.eye_patch import eye_patch
    from edge.vision.eyestate import CORNERS
    from edge.vision.facemesh import FaceMesh

    clips = load_dataset(dataset)  # checks the folder first: one clear line when it is not a clip set
    both = {}
    with (dataset / "labels.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["annotated"].strip() == "1" and r["eye_closed_any"] == r["eye_closed_both"]:
                both.setdefault((r["video"], int(r["decoded_index"])), r["eye_closed_any"].strip() == "1")
    mesh = FaceMesh()
    rows = []
    (out / "images").mkdir(parents=True, exist_ok=True)
    bar = progress_factory(len(clips), "clips") if progress_factory else None
    for clip in clips:
        mesh.reset()
        for index, image in decoded_pictures(clip.path):
            face = mesh.process(image)
            closed = both.get((clip.video, index))
            if face is None or closed is None:
                continue
            for side, eye in (("left", face.left_eye), ("right", face.right_eye)):
                patch = eye_patch(image, eye.contour[CORNERS[0]], eye.contour[CORNERS[1]])
                if patch is None:
                    continue
                name = f"{clip.name}_{index:04d}_{side}.png"
                cv2.imwrite(str(out / "images" / name), patch)
                rows.append((name, "closed" if closed else "open", clip.subject, clip.condition, side))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    with (out / "labels.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "eye_state", "subject", "condition", "eye"])
        w.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    """python -m edge.evaluation.patches DATASET --out DIR: cut a labelled clip set into an eye-patch set."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m edge.evaluation.patches", description=main.__doc__)
    ap.add_argument("dataset", type=Path, help="Labelled clip set (zju_eyeblink_dev layout).")
    ap.add_argument("--out", type=Path, required=True, help="Folder to write (outside the repository).")
    args = ap.parse_args(argv)
    from tqdm import tqdm

    def progress(total: int, desc: str):
        return tqdm(total=total, desc=desc, unit="clip", disable=None, leave=False)

    try:
        n = cut_patch_set(args.dataset, args.out, progress)
    except UserError as exc:
        print(f"patches: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"{n} eye patches -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
