"""What a monochrome (infrared) camera's one channel costs the frame pipeline, against colour.

    python benchmarks/bench_grey.py [--dataset DIR] [--clips N] [--rounds R] [--size 640x480]

The same decoded dev pictures go through the whole frame pipeline (`VisionPipeline.process`, face mesh
to gaze) as BGR and as one grey channel, colour and grey taking turns each round so load changes hit
both alike; CPU time (`time.process_time`, one thread) per frame, decoding not timed. Also timed: the
grey -> 3-channel copy the face models get (`as_bgr`) and the picture-health check the runtime runs on
every camera picture before the models (edge.night.health).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import sys
import time
from pathlib import Path

import cv2

cv2.setNumThreads(1)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_pipeline import DEFAULT_DATASET, clip_paths, decode


def _ms_per_frame(fn, pictures: list) -> float:
    start = time.process_time()
    for p in pictures:
        fn(p)
    return (time.process_time() - start) * 1000 / len(pictures)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    ap.add_argument("--clips", type=int, default=None, help="Only the first N clips.")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", default=None, help="Resize the pictures, WIDTHxHEIGHT (e.g. a 640x480 camera).")
    args = ap.parse_args(argv)
    from edge.night.health import PictureHealth
    from edge.vision.facemesh import as_bgr
    from edge.vision.pipeline import VisionPipeline

    size = tuple(int(v) for v in args.size.split("x")) if args.size else None
    clips = [decode(p, size=size) for p in clip_paths(args.dataset, args.clips)]
    grey = [[cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in clip] for clip in clips]
    n = sum(len(c) for c in clips)
    pipeline = VisionPipeline()
    health = PictureHealth()

    def run(sets: list[list]) -> float:
        start = time.process_time()
        for clip in sets:
            pipeline.reset()
            for i, picture in enumerate(clip):
                pipeline.process(picture, i / 30, i)
        return (time.process_time() - start) * 1000 / n

    rounds = []
    run(clips[:1])  # warm the models up
    for _ in range(args.rounds):
        colour_ms, grey_ms = run(clips), run(grey)
        rounds.append(
            {
                "colour_ms": round(colour_ms, 3),
                "grey_ms": round(grey_ms, 3),
                "grey_over_colour": round(grey_ms / colour_ms, 3),
            }
        )
    flat_grey = [f for c in grey for f in c]
    flat_colour = [f for c in clips for f in c]
    result = {
        "frames": n,
        "picture": f"{flat_colour[0].shape[1]}x{flat_colour[0].shape[0]}",
        "load_avg_end": os.getloadavg(),
        "rounds": rounds,
        "as_bgr_grey_ms": round(_ms_per_frame(as_bgr, flat_grey), 4),
        "health_check_grey_ms": round(_ms_per_frame(health.check, flat_grey), 4),
        "health_check_colour_ms": round(_ms_per_frame(health.check, flat_colour), 4),
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
