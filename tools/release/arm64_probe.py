"""Every shipped network on fixed inputs, for comparing one machine's answers with another's.

    python -m tools.release.arm64_probe INPUTS.npz OUT.npz

INPUTS holds one batch per model (`<model>`: (N, H, W, 3) float32, made on the host by
tools.release.arm64). OUT gets `<model>/<engine>` -> the outputs concatenated per item, for LiteRT fp32,
LiteRT int8 (where the model set has an int8 file; loaded as is, without its start-up check) and ONNX
Runtime, plus `<file>.check` -> the int8 start-up check's largest error in pixels. Runs on the edge extra
alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def probe(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from edge.vision.backends import LiteRtModel, OnnxModel, tflite_file
    from edge.vision.int8_check import check_file, run_check
    from models import listed_in_manifest, model_path

    out: dict[str, np.ndarray] = {}
    for name, batch in inputs.items():
        engines = {"litert-fp32": LiteRtModel(name, 1, "fp32"), "onnxruntime": OnnxModel(name, 1)}
        if tflite_file(name, "int8") != f"{name}.tflite":
            engines["litert-int8"] = LiteRtModel(name, 1, "int8")
        for engine, model in engines.items():
            rows = [np.concatenate(model.run(item[None]), axis=1)[0] for item in batch]
            out[f"{name}/{engine}"] = np.stack(rows)
        int8 = engines.get("litert-int8")
        if int8 is not None and listed_in_manifest(check_file(int8.file)):
            out[f"{int8.file}.check"] = np.array(
                run_check(int8, model_path(check_file(int8.file))).max_error_px
            )
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with np.load(args[0]) as data:
        inputs = {key: data[key] for key in data.files}
    results = probe(inputs)
    with Path(args[1]).open("wb") as fh:
        np.savez(fh, **results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
