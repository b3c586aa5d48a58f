"""Outputs of `dms evaluate`: predictions.csv, report.json and report.html (plots per clip)."""
from __future__ import annotations

import csv
import html
import io
import json
from collections import defaultdict
from pathlib import Path

from edge.evaluation.runner import ClipRun
from edge.evaluation.scoring import Counts, score_clip

SCORE_KEYS = ("closed_f1", "closed_precision", "closed_recall", "blink_f1", "blink_precision", "blink_recall",
              "blink_tp", "blink_fp", "blink_fn")


def write_predictions(runs: list[ClipRun], path: Path) -> None:
    """One row per labels.csv row: video, frame_id, eyes_closed (0/1), blink (event id or -1)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["video", "frame_id", "eyes_closed", "blink"])
        for run in runs:
            preds = run.predictions()
            for f in run.clip.frames:
                p = preds[f.frame_id]
                w.writerow([run.clip.video, f.frame_id, int(p.eyes_closed), p.blink])


def build_report(runs: list[ClipRun], dataset: Path, settings: dict | None = None) -> dict:
    """Scores of the acceptance rule, overall, per clip and per condition, plus the cost per frame."""
    total = Counts()
    by_condition: dict[str, Counts] = defaultdict(Counts)
    clips = {}
    for run in runs:
        c = score_clip(run.clip, run.predictions())
        total.add(c)
        by_condition[run.clip.condition or "all"].add(c)
        clips[run.clip.video] = {"subject": run.clip.subject, "condition": run.clip.condition,
                                 "pictures": len(run.signals), **c.scores()}
    pictures = sum(len(r.signals) for r in runs)
    cpu_s = sum(r.cpu_s for r in runs)
    return {
        "dataset": str(dataset),
        "clips_evaluated": len(runs),
        "frames_processed": pictures,
        "cpu_ms_per_frame": round(1000.0 * cpu_s / pictures, 3) if pictures else None,
        "overall": total.scores(),
        "by_condition": {k: v.scores() for k, v in sorted(by_condition.items())},
        "clips": clips,
        "settings": settings or {},
    }


def write_json(report: dict, path: Path) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def clip_figure(run: ClipRun):
    """Closure and raw openness over time against the labelled closed frames and blinks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clip = run.clip
    frames = [f for f in clip.frames if f.annotated]
    ts = [f.t for f in frames]
    sig = [run.signals.get(f.decoded_index) for f in frames]
    closure = [s.closure if s is not None and s.closure is not None else float("nan") for s in sig]
    preds = run.predictions()
    fig, ax = plt.subplots(figsize=(9, 2.4), dpi=80)
    t_of = {f.frame_id: f.t for f in clip.frames}
    for s, e in clip.blinks:
        ax.axvspan(t_of.get(s, s / 30), t_of.get(e, e / 30), color="tab:orange", alpha=0.15, lw=0)
    ax.fill_between(ts, 0, [1.05 if f.eye_closed else 0 for f in frames], step="mid", color="tab:red",
                    alpha=0.25, lw=0, label="labelled closed")
    ax.plot(ts, closure, color="tab:blue", lw=1.2, label="closure")
    for side, colour in (("openness_left", "tab:green"), ("openness_right", "tab:olive")):
        vals = [getattr(s, side) if s is not None and getattr(s, side) is not None else float("nan") for s in sig]
        ax.plot(ts, vals, color=colour, lw=0.8, alpha=0.8, label=side.replace("_", " "))
    ax.plot(ts, [1.1 if preds[f.frame_id].eyes_closed else float("nan") for f in frames], "|", color="tab:red",
            label="predicted closed")
    ax.plot(ts, [1.18 if preds[f.frame_id].blink >= 0 else float("nan") for f in frames], "|",
            color="tab:purple", label="predicted blink")
    ax.set_ylim(-0.02, 1.25)
    ax.set_xlabel("s")
    ax.legend(loc="upper left", fontsize=6, ncol=6, frameon=False, bbox_to_anchor=(0, -0.25))
    fig.tight_layout()
    return fig


def clip_plot_svg(run: ClipRun) -> str:
    import matplotlib.pyplot as plt

    fig = clip_figure(run)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def _table(rows: list[tuple[str, dict]]) -> str:
    head = "".join(f"<th>{k}</th>" for k in ("", *SCORE_KEYS))
    body = "".join(
        "<tr><td>" + html.escape(name) + "</td>"
        + "".join(f"<td>{v[k]:.3f}</td>" if isinstance(v[k], float) else f"<td>{v[k]}</td>" for k in SCORE_KEYS)
        + "</tr>" for name, v in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_html(report: dict, runs: list[ClipRun], path: Path) -> None:
    parts = [
        "<!doctype html><meta charset='utf-8'><title>dms evaluate</title>",
        "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}svg{max-width:100%;height:auto}</style>",
        f"<h1>Eye closure and blinks: {html.escape(report['dataset'])}</h1>",
        f"<p>{report['clips_evaluated']} clips, {report['frames_processed']} pictures, "
        f"{report['cpu_ms_per_frame']} CPU ms per picture (pipeline, one process).</p>",
        "<h2>Overall</h2>", _table([("overall", report["overall"])]),
        "<h2>By condition</h2>", _table(list(report["by_condition"].items())),
        "<h2>Per clip</h2>", _table(list(report["clips"].items())),
        "<h2>Closure over time</h2><p>Blue: closure (0 = this driver's open level, 1 = closed); green/olive: "
        "raw per-eye openness; red band: labelled closed frames; orange: labelled blinks; ticks on top: "
        "predicted closed (red) and predicted blink (purple).</p>",
    ]
    for run in runs:
        s = report["clips"][run.clip.video]
        parts.append(f"<h3>{html.escape(run.clip.video)} — closed F1 {s['closed_f1']:.3f}, "
                     f"blinks {s['blink_tp']} found / {s['blink_fp']} false / {s['blink_fn']} missed</h3>")
        parts.append(clip_plot_svg(run))
    path.write_text("\n".join(parts), encoding="utf-8")
