"""A start-up check that an int8 model still agrees with its float original on this CPU.

Int8 kernels are picked per CPU at run time (XNNPACK chooses among NEON, dot-product, i8mm and SME code
paths), so a model that was checked on one CPU can compute something else on another. Under an emulated
CPU that advertises SME, the int8 iris model's eye points were 5.8 px off (the float model and a Pi's
Cortex-A76 matched to 4e-5; README, "arm64"). Each int8 file may ship `<file>.check.npz` (made by
`python -m tools.models.quantize --write-check`): a few real crops and the float model's eye points on
them. The loader runs the int8 model on those crops once; if any eye point moves further than the
stated tolerance, the float model is used instead and the reason is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    max_error_px: float
    tolerance_px: float


def check_file(model_file: str) -> str:
    """Name of the check file shipped beside the int8 file `model_file`."""
    return f"{model_file}.check.npz"


def run_check(model, path: Path) -> CheckResult:
    """Run `model` (anything with `run(batch_nhwc)`) on the check's crops and compare its eye points."""
    with np.load(path) as data:
        crops = data["input"].astype(np.float32) / 255.0
        expected = data["expected"]  # (n, k, 2): the float model's eye points, crop pixels
        points, total = data["points"], int(data["points_total"])
        tolerance = float(data["tolerance_px"])
    flat = np.concatenate(model.run(crops), axis=1)
    got = flat[:, : total * 3].reshape(len(crops), total, 3)[:, points, :2]
    error = float(np.linalg.norm(got - expected, axis=2).max())
    return CheckResult(error <= tolerance, error, tolerance)
