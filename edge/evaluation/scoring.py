"""The acceptance rule for eye-closure and blink predictions (dataset README, "Scoring rule").

- Eye-closed frames: precision/recall/F1 of predicted closed vs `eye_closed_any`, annotated frames only.
- Blink events: a predicted event is a maximal run of consecutive annotated frames carrying the same
  predicted blink id; it is a true positive when it overlaps a labelled blink no earlier event claimed.
Kept independent of the shared scoring script on purpose; a test checks that both agree exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from edge.evaluation.dataset import LabelledClip


@dataclass(frozen=True, slots=True)
class FramePrediction:
    eyes_closed: bool
    blink: int
    """Predicted blink event id, -1 for none."""


@dataclass(slots=True)
class Counts:
    frames: int = 0
    closed_tp: int = 0
    closed_fp: int = 0
    closed_fn: int = 0
    blink_tp: int = 0
    blink_fp: int = 0
    blink_fn: int = 0

    def add(self, other: Counts) -> None:
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)

    def scores(self) -> dict[str, float | int]:
        cp, cr, cf = prf(self.closed_tp, self.closed_fp, self.closed_fn)
        bp, br, bf = prf(self.blink_tp, self.blink_fp, self.blink_fn)
        return dict(
            frames=self.frames,
            closed_precision=cp,
            closed_recall=cr,
            closed_f1=cf,
            blink_precision=bp,
            blink_recall=br,
            blink_f1=bf,
            blink_tp=self.blink_tp,
            blink_fp=self.blink_fp,
            blink_fn=self.blink_fn,
            closed_tp=self.closed_tp,
            closed_fp=self.closed_fp,
            closed_fn=self.closed_fn,
        )


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def predicted_events(seq: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(frame_id, blink id) pairs sorted by frame -> (first, last) frame of each predicted event."""
    events: list[tuple[int, int]] = []
    cur, start, prev = -1, None, None
    for fid, b in seq:
        if b != cur or (prev is not None and fid != prev + 1):
            if cur != -1:
                events.append((start, prev))
            cur, start = b, fid
        prev = fid
    if cur != -1:
        events.append((start, prev))
    return events


def score_clip(clip: LabelledClip, predictions: dict[int, FramePrediction]) -> Counts:
    """Counts for one clip; frames missing from `predictions` count as open, no blink."""
    none = FramePrediction(False, -1)
    c = Counts()
    seq = []
    for f in clip.frames:
        if not f.annotated:
            continue
        p = predictions.get(f.frame_id, none)
        c.frames += 1
        c.closed_tp += p.eyes_closed and f.eye_closed
        c.closed_fp += p.eyes_closed and not f.eye_closed
        c.closed_fn += f.eye_closed and not p.eyes_closed
        seq.append((f.frame_id, p.blink))
    claimed: set[int] = set()
    for s, e in predicted_events(seq):
        hit = next(
            (i for i, (gs, ge) in enumerate(clip.blinks) if i not in claimed and s <= ge and e >= gs), None
        )
        if hit is None:
            c.blink_fp += 1
        else:
            claimed.add(hit)
            c.blink_tp += 1
    c.blink_fn += len(clip.blinks) - len(claimed)
    return c


def score(clips: list[LabelledClip], predictions: dict[str, dict[int, FramePrediction]]) -> dict:
    """{"overall": scores, "clips": {video: scores}} for `predictions[video][frame_id]`."""
    total = Counts()
    per_clip = {}
    for clip in clips:
        c = score_clip(clip, predictions.get(clip.video, {}))
        total.add(c)
        per_clip[clip.video] = c.scores()
    return {"overall": total.scores(), "clips": per_clip}
