"""Run the frame pipeline over labelled clips and turn its output into per-annotation-frame predictions."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dms.errors import UserError
from edge.evaluation.dataset import FRAME_PERIOD_S, LabelledClip
from edge.evaluation.scoring import FramePrediction
from edge.signals import BlinkEvent, FrameSignals


@dataclass(slots=True)
class ClipRun:
    """What the pipeline said about one clip, per decoded picture, and the blinks it reported."""

    clip: LabelledClip
    signals: dict[int, FrameSignals] = field(default_factory=dict)
    """decoded_index -> signals of that picture."""
    events: list[BlinkEvent] = field(default_factory=list)
    cpu_s: float = 0.0
    """CPU seconds spent in the pipeline (decoding excluded)."""

    def predictions(self) -> dict[int, FramePrediction]:
        """frame_id -> prediction; repeated pictures share the prediction of the picture they repeat.

        A blink event claims every picture from its first to its last frame (the whole lid movement),
        not only the frames on which it was already confirmed.
        """
        blink_of: dict[int, int] = {}
        for e in self.events:
            for i in range(e.start_frame, e.end_frame + 1):
                blink_of[i] = e.blink_id
        out = {}
        for f in self.clip.frames:
            s = self.signals.get(f.decoded_index)
            out[f.frame_id] = FramePrediction(
                eyes_closed=bool(s is not None and s.eyes_closed), blink=blink_of.get(f.decoded_index, -1)
            )
        return out


def decoded_pictures(path: Path, mono: bool = False) -> Iterator[tuple[int, np.ndarray]]:
    """(decoded_index, BGR picture) in the order `cv2.VideoCapture.read()` returns them; `mono`: each
    picture as one grey channel (height, width), what a monochrome infrared camera delivers."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise UserError(f"cannot read video: {path}")
    try:
        index = 0
        while True:
            ok, image = cap.read()
            if not ok:
                break
            yield index, cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if mono else image
            index += 1
        if index == 0:
            raise UserError(f"no frames could be decoded from {path}")
    finally:
        cap.release()


def picture_count(clip: LabelledClip) -> int:
    return max(f.decoded_index for f in clip.frames) + 1


def picture_time(times: dict[int, float], index: int) -> float:
    # Pictures no label points at (trailing ones) continue the 30 Hz timeline.
    if index in times:
        return times[index]
    last = max(times)
    return times[last] + (index - last) * FRAME_PERIOD_S


def _collect(pipeline: Any, run: ClipRun, signals: Iterable[FrameSignals]) -> ClipRun:
    """Keep each picture's signals and the blinks they report, including one still open at the end."""
    for s in signals:
        run.signals[s.frame_index] = s
        if s.blink_ended is not None:
            run.events.append(s.blink_ended)
    last = pipeline.finish()
    if last is not None:
        run.events.append(last)
    return run


def run_clip(
    pipeline: Any,
    clip: LabelledClip,
    progress: Any = None,
    fresh_driver: bool = True,
    offset_s: float = 0.0,
    mono: bool = False,
    sessions: Any = None,
) -> ClipRun:
    """The whole pipeline (face mesh included) over one clip, as a fresh driver, or (`fresh_driver`
    False) carrying on from whatever the pipeline learnt before, its time going on at `offset_s`;
    `mono`: fed one grey channel per picture, as from an infrared camera. `sessions` (an
    `edge.session.DriverSessions` over this pipeline): the vehicle's driver-session step follows every
    frame, so a change of driver it notices resets what was learnt, as in a vehicle."""
    if fresh_driver:
        pipeline.reset()
    run = ClipRun(clip)
    times = clip.picture_times()

    def signals() -> Iterator[FrameSignals]:
        for index, image in decoded_pictures(clip.path, mono):
            t = offset_s + picture_time(times, index)
            start = time.process_time()
            s = pipeline.process(image, t, index)
            if sessions is not None:
                s, _ = sessions.step(s, None)
            run.cpu_s += time.process_time() - start
            if progress is not None:
                progress.update(1)
            yield s

    return _collect(pipeline, run, signals())


def clip_duration(clip: LabelledClip) -> float:
    """Seconds from the clip's first picture to just after its last."""
    return picture_time(clip.picture_times(), picture_count(clip) - 1) + FRAME_PERIOD_S


def empty_seat(
    pipeline: Any, like: np.ndarray, start_s: float, seconds: float, sessions: Any = None
) -> float:
    """Feed `seconds` of an empty, dark cab (no face) at the clip frame rate; returns the time after it."""
    black = np.zeros_like(like)
    n = round(seconds / FRAME_PERIOD_S)
    for i in range(n):
        s = pipeline.process(black, start_s + i * FRAME_PERIOD_S, -1)
        if sessions is not None:
            sessions.step(s, None)
    return start_s + n * FRAME_PERIOD_S
