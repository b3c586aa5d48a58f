"""Reading a blink-labelled clip set (the `zju_eyeblink_dev` format) without falling into its traps.

The AVIs contain 2-byte "repeat the previous picture" packets that OpenCV/FFmpeg do not return as
frames, while the annotation counts them. So an annotation frame is mapped to a picture only through
`decoded_index` (the position in the sequence `cv2.VideoCapture.read()` returns), several annotation
frames may share one picture, and frames with `annotated == 0` do not count.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from dms.errors import UserError

FRAME_PERIOD_S = 1.0 / 30.0
"""Time between annotation frames (the dataset's stated rate)."""

LABEL_COLUMNS = ("video", "frame_id", "decoded_index", "annotated", "blink_id", "eye_closed_any")
BLINK_COLUMNS = ("video", "blink_id", "start_frame", "end_frame")


@dataclass(frozen=True, slots=True)
class LabelledFrame:
    """One row of labels.csv, reduced to what the evaluation needs."""

    frame_id: int
    decoded_index: int
    annotated: bool
    eye_closed: bool
    blink_id: int

    @property
    def t(self) -> float:
        return self.frame_id * FRAME_PERIOD_S


@dataclass(slots=True)
class LabelledClip:
    """One video with its per-frame labels (in annotation order) and its labelled blinks."""

    video: str
    """Path relative to the dataset folder, exactly as in labels.csv (the key of predictions.csv)."""
    path: Path
    frames: list[LabelledFrame]
    blinks: list[tuple[int, int]] = field(default_factory=list)
    """(start_frame, end_frame) annotation frame ids, inclusive."""
    subject: str = ""
    condition: str = ""

    @property
    def name(self) -> str:
        return Path(self.video).stem

    def picture_times(self) -> dict[int, float]:
        """decoded_index -> capture time: the time of the first annotation frame showing that picture."""
        times: dict[int, float] = {}
        for f in self.frames:
            times.setdefault(f.decoded_index, f.t)
        return times


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(f"{path}: not a labelled clip set (missing columns: {', '.join(missing)})")
        return list(reader)


def is_labelled_dataset(path: Path) -> bool:
    return path.is_dir() and (path / "labels.csv").is_file()


def _int(value: str, default: int = -1) -> int:
    value = (value or "").strip()
    return int(value) if value else default


def load_dataset(root: Path) -> list[LabelledClip]:
    """All clips of a labelled set, in labels.csv order; one UserError line for anything malformed."""
    root = Path(root)
    if not root.exists():
        raise UserError(f"dataset folder not found: {root}")
    if not is_labelled_dataset(root):
        raise UserError(
            f"{root}: not a labelled clip set (no labels.csv); give a folder in the "
            "zju_eyeblink_dev format, an eye-patch set (labels.csv with path,eye_state) or a video file"
        )
    rows = _read_csv(root / "labels.csv", LABEL_COLUMNS)
    clips: dict[str, LabelledClip] = {}
    try:
        for r in rows:
            clip = clips.get(r["video"])
            if clip is None:
                clip = clips[r["video"]] = LabelledClip(r["video"], root / r["video"], [])
            clip.frames.append(
                LabelledFrame(
                    frame_id=int(r["frame_id"]),
                    decoded_index=int(r["decoded_index"]),
                    annotated=r["annotated"].strip() == "1",
                    eye_closed=r["eye_closed_any"].strip() == "1",
                    blink_id=_int(r["blink_id"]),
                )
            )
    except ValueError as exc:
        raise UserError(f"{root / 'labels.csv'}: bad number ({exc})") from None
    if not clips:
        raise UserError(f"{root / 'labels.csv'}: no labelled frames")
    blinks_csv = root / "blinks.csv"
    if blinks_csv.is_file():
        for r in _read_csv(blinks_csv, BLINK_COLUMNS):
            if r["video"] in clips:
                clips[r["video"]].blinks.append((int(r["start_frame"]), int(r["end_frame"])))
    splits_csv = root / "splits.csv"
    if splits_csv.is_file():
        for r in _read_csv(splits_csv, ("video",)):
            if r["video"] in clips:
                clips[r["video"]].subject = r.get("subject", "")
                clips[r["video"]].condition = r.get("condition", "")
    for clip in clips.values():
        clip.frames.sort(key=lambda f: f.frame_id)
        if not clip.path.is_file():
            raise UserError(f"{root}: video listed in labels.csv is missing: {clip.video}")
    return list(clips.values())


def subjects(clips: list[LabelledClip]) -> dict[str, list[LabelledClip]]:
    """Clips grouped by subject (for leave-subjects-out checks)."""
    groups: dict[str, list[LabelledClip]] = defaultdict(list)
    for c in clips:
        groups[c.subject or c.name].append(c)
    return dict(groups)
