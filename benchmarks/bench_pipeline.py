"""CPU time per frame of our FaceMesh against MediaPipe FaceMesh (refine_landmarks) on the same clips.

    python benchmarks/bench_pipeline.py [--dataset DIR] [--clips N] [--backend litert|litert-int8|onnxruntime]
                                        [--mediapipe-python /tmp/mpvenv/bin/python]

Both sides get the same decoded frames (decoding is not timed), one thread each (OMP/ORT/XNNPACK
threads = 1), and are timed with `time.process_time()` (CPU time of the whole process, all threads)
around the face-mesh call only. MediaPipe 0.10.14 needs NumPy 1.x, so it usually lives in its own
virtualenv: the script then runs itself there with `--engine mediapipe` and reads back JSON. The
MediaPipe side imports only OpenCV and MediaPipe.

MediaPipe 0.10.14 is built for NumPy 1.x and pulls opencv-contrib-python and protobuf<5, which clash
with this project's environment, so give it a venv of its own:

    python3.11 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mediapipe==0.10.14 "numpy<2"
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import cv2

cv2.setNumThreads(1)  # crops and colour conversions on the one measured core, for both engines

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "zju_eyeblink_dev"


def clip_paths(dataset: Path, limit: int | None) -> list[Path]:
    with open(dataset / "labels.csv", newline="", encoding="utf-8") as fh:
        videos = sorted({row["video"] for row in csv.DictReader(fh)})
    return [dataset / v for v in videos[:limit]]


def decode(path: Path, max_frames: int | None = None, size: tuple[int, int] | None = None) -> list:
    """The clip's frames (the first `max_frames`), resized to `size` (width, height) when given."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while max_frames is None or len(frames) < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        if size is not None and (frame.shape[1], frame.shape[0]) != tuple(size):
            frame = cv2.resize(frame, tuple(size), interpolation=cv2.INTER_LINEAR)
        frames.append(frame)
    cap.release()
    return frames


# Our engines: backend, and "-int8" for the int8 models (edge.vision.backends precision); plain = fp32.
ENGINES = ("litert", "litert-int8", "onnxruntime")


def backend_settings(engine: str):
    """BackendSettings of one of ENGINES, one thread."""
    from edge.vision.backends import BackendSettings

    backend, _, precision = engine.partition("-")
    return BackendSettings(backend=backend, threads=1, precision=precision or "fp32")


def run_ours(
    clips: list[Path],
    backend: str,
    iris: bool = True,
    max_frames: int | None = None,
    size: tuple[int, int] | None = None,
    progress=None,
    overrides: dict | None = None,
    label: str | None = None,
) -> dict:
    """CPU ms per frame of our whole frame pipeline (face mesh, eye-state model, eye closure, blinks, gaze:
    everything the vehicle runs per frame) on the clips; `progress(n)` is called after each clip.
    `backend` is one of ENGINES; `overrides`: FaceMeshSettings fields other than the defaults (a variant),
    named by `label`, and `hands: True` / `False` for the pipeline with / without the phone-use hand
    detector (default: as VisionSettings says, off)."""
    from edge.vision.facemesh import FaceMeshSettings
    from edge.vision.pipeline import VisionPipeline, VisionSettings

    overrides = dict(overrides or {})
    hands = overrides.pop("hands", None)  # the phone-use hand detector (edge.vision.hands): None = default
    mesh = FaceMeshSettings(backend=backend_settings(backend), iris=iris, **overrides)
    extra = {} if hands is None else {"hands": {"enabled": hands}}
    pipeline = VisionPipeline(VisionSettings(face_mesh=mesh, **extra))
    cpu = 0.0
    frames = faces = detections = 0
    stages: dict[str, float] = {}
    for clip in clips:
        images = decode(clip, max_frames, size)
        pipeline.reset()
        pipeline.process(images[0], 0.0, 0)  # warm-up outside the timing (first-call allocations)
        pipeline.reset()
        start = time.process_time()
        results = [pipeline.process(image, i / 30.0, i) for i, image in enumerate(images)]
        cpu += time.process_time() - start
        frames += len(images)
        for r in results:
            if not r.face_found:
                continue
            faces += 1
            detections += "detect" in r.timings_ms
            for k, v in r.timings_ms.items():
                stages[k] = stages.get(k, 0.0) + v
        if progress is not None:
            progress(len(images))
    name = label or f"{backend}{'' if iris else ', no iris'}"
    return {
        "engine": f"ours ({name})",
        "frames": frames,
        "faces": faces,
        "detections": detections,
        "cpu_ms_per_frame": 1e3 * cpu / frames,
        "wall_ms_per_frame_by_stage": {k: v / frames for k, v in stages.items()},
    }


def run_mediapipe(
    clips: list[Path], max_frames: int | None = None, size: tuple[int, int] | None = None
) -> dict:
    import mediapipe as mp

    cpu = 0.0
    frames = faces = 0
    for clip in clips:
        images = decode(clip, max_frames, size)
        # a fresh tracker per clip, as ours is reset per clip
        with mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        ) as mesh:
            mesh.process(cv2.cvtColor(images[0], cv2.COLOR_BGR2RGB))  # warm-up, then restart the graph
        with mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        ) as mesh:
            start = time.process_time()
            for image in images:
                # the colour conversion is part of the call, as in ours
                result = mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
                faces += bool(result.multi_face_landmarks)
            cpu += time.process_time() - start
        frames += len(images)
    return {
        "engine": f"mediapipe {mp.__version__} FaceMesh(refine_landmarks=True)",
        "frames": frames,
        "faces": faces,
        "cpu_ms_per_frame": 1e3 * cpu / frames,
    }


def mediapipe_in(
    python: str, clips: list[Path], max_frames: int | None = None, size: tuple[int, int] | None = None
) -> dict:
    """run_mediapipe in another interpreter (a venv with mediapipe==0.10.14), on the same clip files."""
    cmd = [python, str(Path(__file__).resolve()), "--engine", "mediapipe", "--json"]
    cmd += [arg for clip in clips for arg in ("--clip", str(clip))]
    if max_frames:
        cmd += ["--max-frames", str(max_frames)]
    if size:
        cmd += ["--size", f"{size[0]}x{size[1]}"]
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--clips", type=int, default=None, help="only the first N clips")
    parser.add_argument(
        "--clip",
        type=Path,
        action="append",
        default=None,
        help="these video files instead of a labelled set (repeatable)",
    )
    parser.add_argument("--max-frames", type=int, default=None, help="only the first N frames of each clip")
    parser.add_argument("--size", default=None, help="resize frames to WIDTHxHEIGHT")
    parser.add_argument("--engine", choices=["both", "ours", "mediapipe"], default="both")
    parser.add_argument("--backend", choices=[*ENGINES, "all"], default="all")
    parser.add_argument(
        "--mediapipe-python",
        default=None,
        help="Python of a venv with mediapipe==0.10.14 (default: this one if it has it)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line per engine")
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x")) if args.size else None
    if args.clip:
        clips = args.clip
    elif (args.dataset / "labels.csv").is_file():
        clips = clip_paths(args.dataset, args.clips)
    else:
        print(f"no clip set at {args.dataset}", file=sys.stderr)
        return 2
    results = []
    if args.engine in ("both", "mediapipe"):
        if args.engine == "mediapipe" or args.mediapipe_python is None:
            results.append(run_mediapipe(clips, args.max_frames, size))
        else:
            results.append(mediapipe_in(args.mediapipe_python, clips, args.max_frames, size))
    if args.engine in ("both", "ours"):
        for backend in ENGINES if args.backend == "all" else [args.backend]:
            results.append(run_ours(clips, backend, max_frames=args.max_frames, size=size))
    for r in results:
        print(
            json.dumps(r)
            if args.json
            else f"{r['engine']:<48} {r['cpu_ms_per_frame']:6.2f} ms CPU/frame  "
            f"({r['frames']} frames, face in {r['faces']}"
            + (f", detector ran {r['detections']}x" if "detections" in r else "")
            + ")"
        )
    if args.engine == "both" and not args.json:
        reference = results[0]["cpu_ms_per_frame"]
        for r in results[1:]:
            print(f"ratio {r['engine']} / mediapipe: {r['cpu_ms_per_frame'] / reference:.2f}x")
            stages = ", ".join(f"{k} {v:.2f}" for k, v in r["wall_ms_per_frame_by_stage"].items())
            print(f"  wall ms per frame by stage: {stages}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
