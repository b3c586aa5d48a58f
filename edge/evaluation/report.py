"""Outputs of `dms evaluate`: predictions.csv, report.json and report.html (plots per clip)."""

from __future__ import annotations

import csv
import html
import json
import math
from collections import defaultdict
from pathlib import Path

from edge.evaluation.runner import ClipRun
from edge.evaluation.scoring import Counts, score_clip

SCORE_KEYS = (
    "closed_f1",
    "closed_precision",
    "closed_recall",
    "blink_f1",
    "blink_precision",
    "blink_recall",
    "blink_tp",
    "blink_fp",
    "blink_fn",
)


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
        clips[run.clip.video] = {
            "subject": run.clip.subject,
            "condition": run.clip.condition,
            "pictures": len(run.signals),
            **c.scores(),
        }
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


SVG_W, SVG_H, SVG_PAD = 720, 150, 24
"""Plot size in px; the plots are drawn as plain SVG (no plotting library: a report of 40 clips in
milliseconds, and `dms evaluate` needs nothing beyond the edge install)."""


def _polyline(ts, values, x, y, colour: str, width: float) -> str:
    """One SVG polyline per run of defined values (NaN/None break the line)."""
    parts, run = [], []
    for t, v in zip(ts, values, strict=True):
        if v is None or math.isnan(v):
            if len(run) > 1:
                parts.append(run)
            run = []
        else:
            run.append(f"{x(t):.1f},{y(v):.1f}")
    if len(run) > 1:
        parts.append(run)
    return "".join(
        f'<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{" ".join(p)}"/>'
        for p in parts
    )


def clip_plot_svg(run: ClipRun) -> str:
    """Closure and raw openness over time against the labelled closed frames and blinks."""
    clip = run.clip
    frames = [f for f in clip.frames if f.annotated]
    if not frames:
        return "<p>no annotated frames</p>"
    ts = [f.t for f in frames]
    t0, t1 = ts[0], max(ts[-1], ts[0] + 1e-3)
    x = lambda t: SVG_PAD + (t - t0) / (t1 - t0) * (SVG_W - 2 * SVG_PAD)
    y = lambda v: SVG_H - SVG_PAD - v / 1.25 * (SVG_H - 2 * SVG_PAD)
    step = (x(t1) - x(t0)) / max(1, len(frames) - 1)
    sig = [run.signals.get(f.decoded_index) for f in frames]
    preds = run.predictions()
    t_of = {f.frame_id: f.t for f in clip.frames}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_W}" height="{SVG_H}" '
        f'viewBox="0 0 {SVG_W} {SVG_H}" font-size="10">'
    ]
    for s, e in clip.blinks:
        a, b = x(t_of.get(s, s / 30)), x(t_of.get(e, e / 30))
        out.append(
            f'<rect x="{a:.1f}" y="{y(1.25):.1f}" width="{max(b - a, 1):.1f}" '
            f'height="{y(0) - y(1.25):.1f}" fill="orange" opacity="0.15"/>'
        )
    for f, t in zip(frames, ts, strict=True):
        if f.eye_closed:
            out.append(
                f'<rect x="{x(t) - step / 2:.1f}" y="{y(1.05):.1f}" width="{step:.1f}" '
                f'height="{y(0) - y(1.05):.1f}" fill="red" opacity="0.25"/>'
            )
        p = preds[f.frame_id]
        if p.eyes_closed:
            out.append(
                f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{y(1.08):.1f}" y2="{y(1.13):.1f}" stroke="red"/>'
            )
        if p.blink >= 0:
            out.append(
                f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{y(1.16):.1f}" y2="{y(1.21):.1f}" '
                'stroke="purple"/>'
            )
    for name, colour in (("openness_left", "green"), ("openness_right", "olive")):
        out.append(
            _polyline(ts, [getattr(s, name) if s is not None else None for s in sig], x, y, colour, 0.8)
        )
    out.append(_polyline(ts, [s.closure if s is not None else None for s in sig], x, y, "steelblue", 1.4))
    out.append(f'<line x1="{SVG_PAD}" x2="{SVG_W - SVG_PAD}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#999"/>')
    out.append(
        f'<text x="{SVG_PAD}" y="{SVG_H - 6}">{t0:.1f} s</text>'
        f'<text x="{SVG_W - SVG_PAD}" y="{SVG_H - 6}" text-anchor="end">{t1:.1f} s</text></svg>'
    )
    return "".join(out)


def _table(rows: list[tuple[str, dict]]) -> str:
    head = "".join(f"<th>{k}</th>" for k in ("", *SCORE_KEYS))
    body = "".join(
        "<tr><td>"
        + html.escape(name)
        + "</td>"
        + "".join(
            f"<td>{v[k]:.3f}</td>" if isinstance(v[k], float) else f"<td>{v[k]}</td>" for k in SCORE_KEYS
        )
        + "</tr>"
        for name, v in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_html(report: dict, runs: list[ClipRun], path: Path) -> None:
    parts = [
        "<!doctype html><meta charset='utf-8'><title>dms evaluate</title>",
        "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}svg{max-width:100%;height:auto}</style>",
        f"<h1>Eye closure and blinks: {html.escape(report['dataset'])}</h1>",
        f"<p>{report['clips_evaluated']} clips, {report['frames_processed']} pictures, "
        f"{report['cpu_ms_per_frame']} CPU ms per picture (pipeline, one process).</p>",
        "<h2>Overall</h2>",
        _table([("overall", report["overall"])]),
        "<h2>By condition</h2>",
        _table(list(report["by_condition"].items())),
        "<h2>Per clip</h2>",
        _table(list(report["clips"].items())),
        "<h2>Closure over time</h2><p>Blue: closure (0 = this driver's open level, 1 = closed); green/olive: "
        "raw per-eye openness; red band: labelled closed frames; orange: labelled blinks; ticks on top: "
        "predicted closed (red) and predicted blink (purple).</p>",
    ]
    for run in runs:
        s = report["clips"][run.clip.video]
        parts.append(
            f"<h3>{html.escape(run.clip.video)} — closed F1 {s['closed_f1']:.3f}, "
            f"blinks {s['blink_tp']} found / {s['blink_fp']} false / {s['blink_fn']} missed</h3>"
        )
        parts.append(clip_plot_svg(run))
    path.write_text("\n".join(parts), encoding="utf-8")
