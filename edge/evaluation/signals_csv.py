"""Per-frame signals of an unlabelled clip as CSV (one row per frame, timings as `ms_<stage>` columns)."""

from __future__ import annotations

import csv
from dataclasses import fields
from pathlib import Path

from edge.signals import FrameSignals

_PLAIN = [
    f.name
    for f in fields(FrameSignals)
    if f.name not in ("blink_ended", "timings_ms", "face_box", "face_landmarks")
]
_BLINK = ["blink_ended_id", "blink_ended_start_t", "blink_ended_end_t", "blink_ended_duration_s"]


def _cell(v: object) -> object:
    if v is None:
        return ""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        return round(v, 5)
    return v


def write_signals_csv(signals: list[FrameSignals], path: Path) -> None:
    stages = sorted({k for s in signals for k in s.timings_ms})
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_PLAIN + _BLINK + [f"ms_{k}" for k in stages])
        for s in signals:
            b = s.blink_ended
            blink = [b.blink_id, b.start_t, b.end_t, b.duration_s] if b is not None else [None] * 4
            w.writerow(
                [_cell(getattr(s, n)) for n in _PLAIN]
                + [_cell(v) for v in blink]
                + [_cell(s.timings_ms.get(k)) for k in stages]
            )
