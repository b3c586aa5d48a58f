"""Whole-command cost of `dms evaluate` against the reference's own script on the same clips.

Both run as separate processes, taking turns for a few rounds; each one's CPU (user + system, all its
threads and children) comes from the kernel's accounting of finished children, so imports, decoding,
the models and the report all count, exactly as a user pays for them. Both prediction files are
scored with the acceptance rule, so cost and accuracy sit side by side.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REFERENCE = Path(__file__).resolve().with_name("reference_ear.py")


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str]) -> float:
    before = _child_cpu()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} ... failed: {done.stderr.strip()[-400:]}")
    return _child_cpu() - before


def bench_evaluate(dataset: Path, mediapipe_python: Path, rounds: int) -> dict:
    from edge.evaluation.dataset import load_dataset
    from edge.evaluation.scoring import FramePrediction, score

    ours_cpu, ref_cpu = [], []
    with tempfile.TemporaryDirectory(prefix="dms_bench_eval_") as tmp:
        ours_out, ref_csv = Path(tmp) / "ours", Path(tmp) / "reference.csv"
        for _ in range(rounds):
            ours_cpu.append(
                _timed([sys.executable, "-m", "tools.cli", "evaluate", str(dataset), "--out", str(ours_out)])
            )
            ref_cpu.append(
                _timed([str(mediapipe_python), str(REFERENCE), str(dataset), "--out", str(ref_csv)])
            )
        clips = load_dataset(dataset)
        scores = {}
        for name, path in (("ours", ours_out / "predictions.csv"), ("reference", ref_csv)):
            preds: dict = {}
            for line in path.read_text().splitlines()[1:]:
                video, frame_id, closed, blink = line.split(",")
                preds.setdefault(video, {})[int(frame_id)] = FramePrediction(closed == "1", int(blink))
            o = score(clips, preds)["overall"]
            scores[name] = {k: round(o[k], 4) for k in ("closed_f1", "blink_f1")}
    ours, ref = statistics.median(ours_cpu), statistics.median(ref_cpu)
    return {
        "rounds": rounds,
        "ours_cpu_s": ours_cpu,
        "reference_cpu_s": ref_cpu,
        "ratio_median": round(ours / ref, 3),
        "ratios": [round(a / b, 3) for a, b in zip(ours_cpu, ref_cpu)],
        "scores": scores,
    }
