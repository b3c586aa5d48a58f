"""Int8 LiteRT versions of the landmark models: `python -m tools.models.quantize --help` (see models/README.md).

Static-range quantisation of the shipped .tflite files with Google's AI Edge Quantizer (PyPI
`ai-edge-quantizer`, in the `tools` extra; a dev tool, never a runtime dependency): int8 weights
(per channel) and int8 activations whose ranges are calibrated on real crops. The crops are the exact
input tensors the float models get from `edge.vision.facemesh.FaceMesh` on the dev clips (read in
place; only min/max statistics end up in the models). Model inputs and outputs stay float32 (quantise
and dequantise ops inside the graph), so the backends feed them like the float models; the first and
last stage and the output convolutions stay float (`float_ops`).

The clips are split by condition within each subject: two conditions of every subject calibrate, the
other two are held out for the comparison this tool prints (CPU time per call, one thread, XNNPACK;
landmark error against the float model in crop pixels). Only the iris model ships in int8 (SHIPPED):
written to models/ and registered in manifest.json. `--schemes` also tries int16 activations,
dynamic-range and weight-only int8, `--models face_landmark` the face model (written to `--out`,
default a temporary folder).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from models import MODELS_DIR

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "zju_eyeblink_dev"
QUANTIZED = ("face_landmark", "iris_landmark")
# Written to models/ by default. The face landmark model is not: in int8 it was no faster here (1.50-1.62
# vs 1.60 ms per call in the same run) and lost eye-closed F1 (0.928 with both int8, 0.936 with iris only).
SHIPPED = ("iris_landmark",)
SHIPPED_SCHEME = "int8"
# Height in pixels of each model's first stage (after the input convolution) and last stage, both kept in
# float (float_ops).
FLOAT_STAGES = {"face_landmark": (96, 3), "iris_landmark": (32, 2)}
SCHEMES = {
    # name: (recipe builder in ai_edge_quantizer.recipe, what it is)
    "int8": ("static_wi8_ai8", "static range: int8 weights per channel, int8 activations"),
    "a16w8": ("static_wi8_ai16", "static range: int8 weights per channel, int16 activations"),
    "dynamic": ("dynamic_wi8_afp32", "dynamic range: int8 weights, activations quantised at run time"),
    "weight_only": ("weight_only_wi8_afp32", "int8 weights dequantised to float, float compute"),
}
# Which conditions calibrate, per subject parity; the other two are held out for the comparison.
CALIBRATION_CONDITIONS = (("FNN", "UNN"), ("FBN", "FTN"))
SIGNATURE = "serving_default"
OUTPUT_POINTS = {"face_landmark": 468, "iris_landmark": 76}  # (x, y, z) triples before the score output
EYE_POINTS = {"iris_landmark": list(range(16)) + list(range(71, 76))}  # lids (eye closure) and iris


def quantized_name(name: str, scheme: str = SHIPPED_SCHEME) -> str:
    return f"{name}_{scheme}.tflite"


def _require_quantizer():
    try:
        import ai_edge_quantizer  # noqa: F401
    except ImportError:
        sys.exit(
            "tools.models.quantize needs the AI Edge Quantizer: pip install -e '.[tools]' "
            "(or pip install ai-edge-quantizer in a throw-away venv)"
        )
    from ai_edge_quantizer import quantizer, recipe

    return quantizer, recipe


# --- calibration crops --------------------------------------------------------------------------------


def split_clips(dataset: Path) -> tuple[list[Path], list[Path]]:
    """(calibration clips, held-out clips): two conditions of every subject each."""
    with open(dataset / "splits.csv", newline="", encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: (r["subject"], r["condition"]))
    calibration, held_out = [], []
    subjects = sorted({r["subject"] for r in rows})
    for row in rows:
        chosen = CALIBRATION_CONDITIONS[subjects.index(row["subject"]) % 2]
        (calibration if row["condition"] in chosen else held_out).append(dataset / row["video"])
    return calibration, held_out


class _Recorder:
    """A model that keeps a copy of every input batch item it is given."""

    def __init__(self, model):
        self._model = model
        self.name, self.max_batch = model.name, model.max_batch
        self.inputs: list[np.ndarray] = []

    def run(self, batch_nhwc: np.ndarray) -> list[np.ndarray]:
        self.inputs.extend(np.array(batch_nhwc, dtype=np.float32))
        return self._model.run(batch_nhwc)


@contextmanager
def _recording(recorders: dict[str, _Recorder]):
    """FaceMesh objects built inside get recording wrappers around the quantised models."""
    from edge.vision import facemesh

    original = facemesh.load_model

    def load(name, settings=None):
        model = original(name, settings)
        if name in QUANTIZED:
            recorders[name] = _Recorder(model)
            return recorders[name]
        return model

    facemesh.load_model = load
    try:
        yield
    finally:
        facemesh.load_model = original


def collect_crops(clips: list[Path], per_model: int, max_frames: int | None = None) -> dict[str, np.ndarray]:
    """{model: (n, H, W, 3) float32}: the inputs the float LiteRT models got on every frame of the clips
    (or their first `max_frames`; tracking as in production), `per_model` of them evenly spaced."""
    import cv2

    from edge.vision.backends import BackendSettings
    from edge.vision.facemesh import FaceMesh, FaceMeshSettings

    recorders: dict[str, _Recorder] = {}
    with _recording(recorders):
        mesh = FaceMesh(FaceMeshSettings(backend=BackendSettings(backend="litert", precision="fp32")))
    for clip in clips:
        mesh.reset()
        cap = cv2.VideoCapture(str(clip))
        frames = 0
        while max_frames is None or frames < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            mesh.process(frame)
            frames += 1
        cap.release()
    crops = {}
    for name, rec in recorders.items():
        if not rec.inputs:
            sys.exit(f"no {name} crops from {len(clips)} clip(s): no face found")
        pick = np.linspace(0, len(rec.inputs) - 1, min(per_model, len(rec.inputs))).round().astype(int)
        crops[name] = np.stack([rec.inputs[i] for i in np.unique(pick)])
    return crops


# --- quantisation -------------------------------------------------------------------------------------


def prepared(tflite: Path) -> bytes:
    """The model as the quantizer needs it. MediaPipe's files predate two schema additions: a signature
    (the quantizer addresses calibration data by signature: one over the graph's inputs and outputs is
    added) and the 32-bit operator code (only the old 8-bit `deprecated_builtin_code` is set, so the
    quantizer would read every operator as code 0, ADD, and quantise weights like activations)."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(tflite))
    for code in model.operatorCodes:
        code.builtinCode = max(code.builtinCode, code.deprecatedBuiltinCode)
    graph = model.subgraphs[0]

    def tensor_map(index: int):
        entry = schema.TensorMapT()
        name = graph.tensors[index].name
        entry.name, entry.tensorIndex = name.decode() if isinstance(name, bytes) else name, int(index)
        return entry

    signature = schema.SignatureDefT()
    signature.signatureKey, signature.subgraphIndex = SIGNATURE, 0
    signature.inputs = [tensor_map(i) for i in graph.inputs]
    signature.outputs = [tensor_map(i) for i in graph.outputs]
    model.signatureDefs = [signature]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def float_ops(tflite: Path, stages: tuple[int, int]) -> list[str]:
    """Output tensor names of the ops the static schemes keep in float:
    - the first and the last stage (outputs `stages[0]` pixels high or more, or `stages[1]` or less): the
      most sensitive to int8, and no faster in int8 here (the first: many pixels, few channels; the last:
      four pixels). Iris model on held-out dev crops, lid and iris points: mean error against fp32 0.23 px
      all int8, 0.19 px with the first stage float, 0.14 px with both; eye-closed F1 on the dev clips
      0.934, 0.936, 0.939 (fp32: 0.936);
    - the ops that make the graph outputs (the last non-RESHAPE op before each output, and the RESHAPEs
      after it): an int8 output has 256 levels over the crop, 0.25 px steps for the 64-pixel eye crop."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(tflite))
    graph = model.subgraphs[0]
    producer = {t: op for op in graph.operators for t in op.outputs}
    kept = [
        t
        for op in graph.operators
        for t in op.outputs
        if len(graph.tensors[t].shape) == 4 and not stages[1] < graph.tensors[t].shape[1] < stages[0]
    ]
    for tensor in graph.outputs:
        while True:
            kept.append(tensor)
            code = model.operatorCodes[producer[tensor].opcodeIndex]
            if max(code.builtinCode, code.deprecatedBuiltinCode) != schema.BuiltinOperator.RESHAPE:
                break
            tensor = producer[tensor].inputs[0]
    names = [graph.tensors[t].name for t in dict.fromkeys(kept)]
    return [n.decode() if isinstance(n, bytes) else n for n in names]


def quantize(name: str, scheme: str, crops: np.ndarray | None) -> bytes:
    """Quantised .tflite bytes of models/<name>.tflite; float32 graph inputs and outputs."""
    quantizer, recipe = _require_quantizer()
    from ai_edge_quantizer import qtyping
    from ai_edge_quantizer.algorithm_manager import AlgorithmName

    q = quantizer.Quantizer(prepared(MODELS_DIR / f"{name}.tflite"))
    q.load_quantization_recipe(getattr(recipe, SCHEMES[scheme][0])())
    # the graph's own inputs and outputs stay float: the quantizer then adds (de)quantise ops inside
    for io in (qtyping.TFLOperationName.INPUT, qtyping.TFLOperationName.OUTPUT):
        q.update_quantization_recipe(".*", io, algorithm_key=AlgorithmName.NO_QUANTIZE)
    calibration = None
    if q.need_calibration:
        kept = "|".join(re.escape(n) for n in float_ops(MODELS_DIR / f"{name}.tflite", FLOAT_STAGES[name]))
        # an op's scope is its output tensor names, each followed by ";"
        q.update_quantization_recipe(
            f"^({kept});$", qtyping.TFLOperationName.ALL_SUPPORTED, algorithm_key=AlgorithmName.NO_QUANTIZE
        )
        calibration = q.calibrate({SIGNATURE: [{"input_1": crop[None]} for crop in crops]}, num_threads=1)
    return bytes(q.quantize(calibration, enable_progress_report=False).quantized_model)


# --- comparison ---------------------------------------------------------------------------------------


def _interpreter(path: Path):
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=1)
    interp.allocate_tensors()
    return interp


def _run(interp, crops: np.ndarray, batch: int) -> list[np.ndarray]:
    """Flat outputs, one array per call of `batch` crops."""
    inp = interp.get_input_details()[0]
    if interp.get_input_details()[0]["shape"][0] != batch:
        interp.resize_tensor_input(inp["index"], [batch, *crops.shape[1:]])
        interp.allocate_tensors()
    outputs = [d["index"] for d in interp.get_output_details()]
    results = []
    for start in range(0, len(crops) // batch * batch, batch):
        interp.set_tensor(inp["index"], crops[start : start + batch])
        interp.invoke()
        results.append(np.concatenate([interp.get_tensor(i).reshape(batch, -1) for i in outputs], axis=1))
    return results


def _cpu_ms(interps: dict, crops: np.ndarray, batch: int, rounds: int = 15) -> dict[str, float]:
    """Median CPU ms per call of each model, timed in turns (round robin, blocks of calls on the same
    crops) so that a load change on a shared machine hits every variant alike."""
    block = crops[: 20 * batch]
    times: dict[str, list[float]] = {label: [] for label in interps}
    for interp in interps.values():
        _run(interp, block[:batch], batch)  # warm-up: XNNPACK packs the weights on the first call
    for _ in range(rounds):
        for label, interp in interps.items():
            start = time.process_time()
            calls = len(_run(interp, block, batch))
            times[label].append(1e3 * (time.process_time() - start) / calls)
    return {label: float(np.median(t)) for label, t in times.items()}


def compare(name: str, variants: dict[str, Path], crops: np.ndarray) -> list[dict]:
    """Per variant (the first is the reference): landmark error against the reference in pixels of the
    model's input crop, over all points and over the eye points (iris model: 16 lid points + 5 iris
    points), and CPU ms per call, one thread (batch 1; also 2 for the iris model: both eyes)."""
    points = OUTPUT_POINTS[name]
    rows, interps, reference = {}, {}, None
    for label, path in variants.items():
        row = rows[label] = {"model": name, "variant": label, "file": path.name, "bytes": path.stat().st_size}
        try:
            interps[label] = _interpreter(path)
        except (RuntimeError, ValueError) as exc:  # LiteRT refuses some schemes' graphs
            row["error"] = str(exc).splitlines()[0][-120:]
            continue
        flat = np.concatenate(_run(interps[label], crops, 1))
        xy = flat[:, : points * 3].reshape(len(flat), points, 3)[:, :, :2]
        reference = xy if reference is None else reference
        error = np.linalg.norm(xy - reference, axis=2)
        eye = error[:, EYE_POINTS[name]] if name in EYE_POINTS else error
        row.update(
            crops=len(crops),
            max_error_px=float(error.max()),
            mean_error_px=float(error.mean()),
            p99_error_px=float(np.percentile(error, 99)),
            eye_max_error_px=float(eye.max()),
            eye_mean_error_px=float(eye.mean()),
        )
    for batch in (1, 2) if name == "iris_landmark" else (1,):
        for label, ms in _cpu_ms(interps, crops, batch).items():
            rows[label][f"cpu_ms_batch{batch}"] = ms
    return list(rows.values())


def print_rows(rows: list[dict]) -> None:
    print(
        f"{'model':<14} {'variant':<12} {'KiB':>6} {'ms/call':>8} {'ms/2 eyes':>9} "
        f"{'max px':>7} {'p99 px':>7} {'mean px':>8} {'eye max':>8} {'eye mean':>8}"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['model']:<14} {r['variant']:<12} {r['bytes'] / 1024:6.0f} does not load: {r['error']}")
            continue
        both = f"{r['cpu_ms_batch2']:9.3f}" if "cpu_ms_batch2" in r else f"{'':9}"
        print(
            f"{r['model']:<14} {r['variant']:<12} {r['bytes'] / 1024:6.0f} {r['cpu_ms_batch1']:8.3f} "
            f"{both} {r['max_error_px']:7.3f} {r['p99_error_px']:7.3f} {r['mean_error_px']:8.4f} "
            f"{r['eye_max_error_px']:8.3f} {r['eye_mean_error_px']:8.4f}"
        )


# --- manifest -----------------------------------------------------------------------------------------


def register(name: str, scheme: str, calibration: dict) -> None:
    """Add (or refresh) the quantised file's entry in models/manifest.json."""
    path = MODELS_DIR / quantized_name(name, scheme)
    manifest_path = MODELS_DIR / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["models"][path.name] = {
        "description": f"{name}.tflite quantised ({SCHEMES[scheme][1]}; first and last stage, "
        f"{FLOAT_STAGES[name][0]} and {FLOAT_STAGES[name][1]} px high, and output heads in "
        "float); float32 inputs and outputs, run by the LiteRT backend with precision: int8",
        "source_file": f"{name}.tflite",
        "source_sha256": hashlib.sha256((MODELS_DIR / f"{name}.tflite").read_bytes()).hexdigest(),
        "quantizer": _quantizer_version(),
        "recipe": SCHEMES[scheme][0],
        "calibration": calibration,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "bytes": path.stat().st_size,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _quantizer_version() -> str:
    import importlib.metadata

    return f"ai-edge-quantizer {importlib.metadata.version('ai-edge-quantizer')}"


# --- start-up check ---------------------------------------------------------------------------------

CHECK_TOLERANCE_PX = 1.5  # tests/vision/test_int8_models.py's largest allowed error on the demo face
CHECK_CROPS = 6


def write_check(name: str, scheme: str = SHIPPED_SCHEME) -> Path:
    """`<int8 file>.check.npz` for edge.vision.int8_check: CHECK_CROPS crops of the generated demo face
    (open, closing and closed eyes: its first 200 frames hold two blinks) as uint8, and the float model's
    eye points on exactly those crops. Registered in manifest.json."""
    from edge.vision.int8_check import check_file
    from tools.demo.sample_clip import sample_clip

    crops = collect_crops([sample_clip(progress=False)], per_model=CHECK_CROPS, max_frames=200)[name]
    crops8 = np.clip(np.rint(crops * 255.0), 0, 255).astype(np.uint8)
    total, points = OUTPUT_POINTS[name], np.array(EYE_POINTS[name])
    flat = np.concatenate(
        _run(_interpreter(MODELS_DIR / f"{name}.tflite"), crops8.astype(np.float32) / 255, 1)
    )
    expected = flat[:, : total * 3].reshape(len(crops8), total, 3)[:, points, :2]
    path = MODELS_DIR / check_file(quantized_name(name, scheme))
    with path.open("wb") as fh:
        np.savez_compressed(
            fh,
            input=crops8,
            expected=expected.astype(np.float32),
            points=points,
            points_total=np.array(total),
            tolerance_px=np.array(CHECK_TOLERANCE_PX),
        )
    manifest_path = MODELS_DIR / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["models"][path.name] = {
        "description": f"start-up check of {quantized_name(name, scheme)} (edge.vision.int8_check): "
        f"{len(crops8)} crops of the generated demo face and {name}.tflite's eye points on them; "
        f"the float model is used when the int8 one is more than {CHECK_TOLERANCE_PX} px off",
        "source_file": f"{name}.tflite",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "bytes": path.stat().st_size,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


# --- command ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.models.quantize",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dataset",
        type=Path,
        default=DEFAULT_DATASET,
        help="labelled clip set (splits.csv, clips/), read in place",
    )
    parser.add_argument("--crops", type=int, default=300, help="calibration crops per model")
    parser.add_argument(
        "--schemes",
        nargs="+",
        choices=sorted(SCHEMES),
        default=[SHIPPED_SCHEME],
        help="quantisation schemes to make and compare",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=QUANTIZED,
        default=list(SHIPPED),
        help="models to quantise (the face landmark model is not shipped: see SHIPPED)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the quantised files (default: models/ for the shipped scheme, "
        "a temporary folder for the others)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the comparison rows here")
    parser.add_argument(
        "--write-check",
        action="store_true",
        help="only (re)write the shipped int8 files' start-up checks (<file>.check.npz, from the "
        "generated demo face; no dataset or quantizer needed) and exit",
    )
    args = parser.parse_args(argv)
    if args.write_check:
        for name in SHIPPED:
            print(write_check(name))
        return 0
    _require_quantizer()
    if args.crops < 1:
        parser.error("--crops must be at least 1")
    if not (args.dataset / "splits.csv").is_file():
        print(f"no labelled clip set at {args.dataset} (needs splits.csv and clips/)", file=sys.stderr)
        return 2
    calibration_clips, held_out_clips = split_clips(args.dataset)
    print(
        f"collecting crops: {len(calibration_clips)} calibration clips, {len(held_out_clips)} held out",
        file=sys.stderr,
    )
    calibration = collect_crops(calibration_clips, args.crops)
    held_out = collect_crops(held_out_clips, args.crops)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dms_quantize_") as tmp:
        for name in args.models:
            variants = {"fp32": MODELS_DIR / f"{name}.tflite"}
            for scheme in args.schemes:
                shipped = name in SHIPPED and scheme == SHIPPED_SCHEME and args.out is None
                target = (MODELS_DIR if shipped else args.out or Path(tmp)) / quantized_name(name, scheme)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(quantize(name, scheme, calibration[name]))
                if shipped:
                    register(
                        name,
                        scheme,
                        {
                            "crops": len(calibration[name]),
                            "clips": len(calibration_clips),
                            "conditions_per_subject": "two of four (tools/models/quantize.py)",
                        },
                    )
                variants[scheme] = target
            rows += compare(name, variants, held_out[name])
        print_rows(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
