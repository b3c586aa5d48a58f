"""Synthetic per-frame driver behaviour at a fixed frame rate, for policy tests, demos and benches.

A behaviour is a list of (seconds, what) segments, e.g. [(5, "ahead"), (1.5, "closed"), (5, "ahead")];
`frames()` turns it into `FrameSignals` with fake time, as openpilot's monitoring tests do.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from dms.contract.messages import GazeZone
from edge.signals import FrameSignals

_OPEN = {"face_found": True, "eyes_measurable": True, "eyes_closed": False, "closure": 0.05}


def _look(
    zone: GazeZone, on_road: bool, head: tuple[float, float], gaze: tuple[float, float], **extra
) -> dict:
    """An open-eyed look at `zone`, head and gaze as (yaw, pitch) degrees."""
    return {
        **_OPEN,
        "gaze_zone": zone.value,
        "eyes_on_road": on_road,
        "head_yaw": head[0],
        "head_pitch": head[1],
        "gaze_yaw": gaze[0],
        "gaze_pitch": gaze[1],
        **extra,
    }


# what -> the fields a frame of that behaviour carries
LOOKS: dict[str, dict] = {
    "ahead": _look(GazeZone.ROAD, True, (0.0, 0.0), (0.0, 0.0)),
    "closed": {**_OPEN, "eyes_closed": True, "closure": 1.0, "head_yaw": 0.0, "head_pitch": 0.0},
    "away": _look(GazeZone.INFOTAINMENT, False, (-25.0, -20.0), (-30.0, -25.0)),
    "mirror": _look(GazeZone.LEFT_MIRROR, True, (40.0, 0.0), (45.0, 0.0)),
    "lap": _look(GazeZone.LAP, False, (0.0, -40.0), (0.0, -45.0)),
    "yawning": _look(GazeZone.ROAD, True, (0.0, 5.0), (0.0, 0.0), mouth_open=0.8),
    "turned_back": {"face_found": True, "eyes_measurable": False, "head_yaw": 60.0, "head_pitch": 0.0},
    "no_face": {"face_found": False},
    "no_eyes": {"face_found": True, "eyes_measurable": False, "head_yaw": 0.0, "head_pitch": 0.0},
    "phone_at_ear": _look(GazeZone.ROAD, True, (0.0, 0.0), (0.0, 0.0), phone_posture="at_ear"),
    "phone_in_lap": _look(GazeZone.LAP, False, (0.0, -35.0), (0.0, -40.0), phone_posture="below_face"),
    "sunglasses": {"face_found": True, "eyes_measurable": False, "head_yaw": 0.0, "eyes_hidden": True},
    "face_cut": {"face_found": True, "eyes_measurable": False, "head_yaw": 0.0, "face_cut": True},
    "off_centre": _look(GazeZone.ROAD, True, (0.0, 0.0), (0.0, 0.0), face_off_centre=True),
    "lens_dirty": _look(GazeZone.ROAD, True, (0.0, 0.0), (0.0, 0.0), lens_dirty=True),
}


def frames(
    behaviour: Sequence[tuple[float, str]], fps: float = 30.0, t0: float = 0.0, start_index: int = 0
) -> Iterator[FrameSignals]:
    """Frames of `behaviour` at `fps`, timestamps from `t0` (segment boundaries rounded to frames)."""
    index, t_end = start_index, t0
    for seconds, what in behaviour:
        fields = LOOKS[what]
        t_end += seconds
        while round((index - start_index) / fps + t0, 9) < round(t_end, 9):
            yield FrameSignals(t=(index - start_index) / fps + t0, frame_index=index, **fields)
            index += 1


def blinking(seconds: float, period_s: float = 3.5, blink_s: float = 0.2) -> list[tuple[float, str]]:
    """Eyes ahead with a normal blink (`blink_s` closed) every `period_s`."""
    out: list[tuple[float, str]] = []
    left = seconds
    while left > 0:
        open_s = min(period_s - blink_s, left)
        out.append((open_s, "ahead"))
        left -= open_s
        if left > 0:
            out.append((min(blink_s, left), "closed"))
            left -= blink_s
    return out
