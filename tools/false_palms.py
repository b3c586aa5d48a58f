"""False palms on hand-free clips: how often the palm detector (edge.vision.hands) finds a palm where there
is no hand, before and after the hand landmark model's check.

    python -m tools.false_palms --dataset ../shared/datasets/zju_eyeblink_dev [--no-confirm] [--clips N]

Every clip goes through the whole vision pipeline (face mesh and hands, as `dms edge run`) as a fresh
driver; the hand detector runs on its own on-demand schedule. Counted over its runs: runs with a palm found
by the detector, runs with a palm left after the landmark check, and runs where such a palm sits in a
phone posture. The clips must have no hand in them (zju_eyeblink_dev has none).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dms.errors import UserError
from edge.evaluation.dataset import load_dataset
from edge.evaluation.runner import decoded_pictures, picture_time
from edge.vision.hands import phone_posture
from edge.vision.pipeline import VisionPipeline, VisionSettings


def count(dataset: Path, confirm: bool, clips: int | None = None) -> dict:
    settings = VisionSettings()
    settings = settings.model_copy(update={"hands": settings.hands.model_copy(update={"confirm": confirm})})
    pipeline = VisionPipeline(settings)
    hands = pipeline.hands
    if hands is None:
        raise UserError("vision.hands is off: nothing to count")
    totals = {"clips": 0, "runs": 0, "found": 0, "found_posture": 0, "kept": 0, "kept_posture": 0}
    ms: list[float] = []
    for clip in load_dataset(dataset)[:clips]:
        pipeline.reset()
        times = clip.picture_times()
        totals["clips"] += 1
        for index, image in decoded_pictures(clip.path):
            sig = pipeline.process(image, picture_time(times, index), index)
            if "hands" not in sig.timings_ms:
                continue
            ms.append(sig.timings_ms["hands"])
            pitch = sig.gaze_pitch if sig.gaze_pitch is not None else sig.head_pitch
            totals["runs"] += 1
            totals["found"] += bool(hands.found)
            totals["found_posture"] += phone_posture(hands.found, sig.face_box, pitch, hands.s) is not None
            totals["kept"] += bool(hands.palms)
            totals["kept_posture"] += sig.phone_posture is not None
    ms.sort()
    totals["hands_ms_median"] = round(ms[len(ms) // 2], 2) if ms else None
    totals["confirm"] = confirm
    return totals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.false_palms", description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, required=True, help="a hand-free zju_eyeblink_dev-format set")
    ap.add_argument("--no-confirm", action="store_true", help="the palm detector alone (hands.confirm off)")
    ap.add_argument("--clips", type=int, default=None, help="only the first N clips")
    args = ap.parse_args(argv)
    try:
        print(json.dumps(count(args.dataset, not args.no_confirm, args.clips)))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
