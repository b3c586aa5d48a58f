"""Inference backends behind one interface: ONNX Runtime and LiteRT (TFLite with XNNPACK).

Both take NHWC float32 batches (what OpenCV crops give) and return the model's outputs flattened per
batch item, shape (N, k), in the TFLite output order. The ONNX models are NCHW (tflite2onnx), so the ORT
backend transposes; LiteRT runs the original .tflite files shipped beside them in `models/`, or their
int8 versions (`<model>_int8.tflite`, made by `python -m tools.models.quantize`; float32 inputs and outputs
like the originals) where the model set lists one and `precision` is 'int8'.
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
from pydantic import Field

from dms.errors import UserError
from dms.settings import Settings
from models import listed_in_manifest, model_path

BackendName = Literal["auto", "litert", "onnxruntime"]
Precision = Literal["fp32", "int8"]


class BackendSettings(Settings):
    """How the neural networks are run."""

    backend: BackendName = "auto"
    """Inference engine: 'litert' (TFLite + XNNPACK, fastest measured on one CPU core here),
    'onnxruntime', or 'auto' = LiteRT when the ai-edge-litert package is installed, else ONNX Runtime."""
    threads: int = Field(1, ge=1, le=64)
    """Intra-op threads per model; 1 keeps one core per camera pipeline."""
    precision: Precision = "int8"
    """LiteRT only: 'int8' runs the int8 version of each model the model set has one (manifest.json lists
    `<model>_int8.tflite`: the iris model; made by `python -m tools.models.quantize`), 'fp32' the original float
    models. On the dev clips int8 kept eye-closed and blink F1 (0.939 / 0.997 against 0.936 / 0.997) and
    ran the iris model ~20 % faster here (benchmarks/README.md section 3). ONNX Runtime always runs fp32
    (its int8 was slower and less accurate)."""


class Model(Protocol):
    """One loaded network."""

    name: str
    max_batch: int
    """Largest batch one call accepts (1 for graphs with a fixed batch)."""

    def run(self, batch_nhwc: np.ndarray) -> list[np.ndarray]:
        """Outputs for a (N, H, W, 3) float32 batch, each of shape (N, k)."""


class OnnxModel:
    """ONNX Runtime session with single-core friendly options."""

    def __init__(self, name: str, threads: int = 1):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-wait on shared cores
        self.name = name
        self._session = ort.InferenceSession(
            str(_existing(model_path(f"{name}.onnx"))), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        inp = self._session.get_inputs()[0]
        self._input = inp.name
        self.max_batch = 64 if isinstance(inp.shape[0], str) else int(inp.shape[0])

    def run(self, batch_nhwc: np.ndarray) -> list[np.ndarray]:
        n = batch_nhwc.shape[0]
        if n > self.max_batch:
            parts = [self.run(batch_nhwc[i : i + self.max_batch]) for i in range(0, n, self.max_batch)]
            return [np.concatenate(outs) for outs in zip(*parts)]
        x = np.ascontiguousarray(batch_nhwc.transpose(0, 3, 1, 2), dtype=np.float32)
        return [out.reshape(n, -1) for out in self._session.run(None, {self._input: x})]


class LiteRtModel:
    """LiteRT interpreter (XNNPACK delegate applied by default) on the original .tflite file."""

    def __init__(self, name: str, threads: int = 1, precision: Precision = "fp32"):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise UserError(
                "the 'litert' backend needs the ai-edge-litert package",
                hint="pip install 'dms-fleet[litert]' or set backend: onnxruntime",
            ) from None
        self.name = name
        self.max_batch = 64  # the interpreter is resized to the batch on demand
        self.file = tflite_file(name, precision)
        self._interp = Interpreter(model_path=str(_existing(model_path(self.file))), num_threads=threads)
        self._input = self._interp.get_input_details()[0]["index"]
        # TFLite lists outputs by tensor name; keep the order the model declares in its signature
        self._outputs = [d["index"] for d in self._interp.get_output_details()]
        self._batch = 0
        self._resize(1)

    def _resize(self, n: int) -> None:
        if n != self._batch:
            shape = list(self._interp.get_input_details()[0]["shape"])
            self._interp.resize_tensor_input(self._input, [n, *shape[1:]])
            self._interp.allocate_tensors()
            self._batch = n

    def run(self, batch_nhwc: np.ndarray) -> list[np.ndarray]:
        n = batch_nhwc.shape[0]
        self._resize(n)
        self._interp.set_tensor(self._input, np.ascontiguousarray(batch_nhwc, dtype=np.float32))
        self._interp.invoke()
        return [self._interp.get_tensor(i).reshape(n, -1) for i in self._outputs]


def tflite_file(name: str, precision: Precision) -> str:
    """The .tflite file LiteRT runs for `name`: its int8 version when asked for and the model set has one."""
    quantized = f"{name}_int8.tflite"
    return quantized if precision == "int8" and listed_in_manifest(quantized) else f"{name}.tflite"


def _existing(path):
    if not path.is_file():
        raise UserError(
            f"model file missing: {path}", hint="reinstall dms-fleet or run python -m tools.models.convert"
        )
    return path


def litert_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("ai_edge_litert") is not None


def load_model(name: str, settings: BackendSettings | None = None) -> Model:
    """Load `name` (e.g. 'face_landmark') with the configured backend."""
    settings = settings or BackendSettings()
    if settings.backend == "litert" or (settings.backend == "auto" and litert_available()):
        model = LiteRtModel(name, settings.threads, settings.precision)
        if model.file != f"{name}.tflite" and not _int8_agrees(model):
            return LiteRtModel(name, settings.threads, "fp32")
        return model
    return OnnxModel(name, settings.threads)


def _int8_agrees(model: LiteRtModel) -> bool:
    """The int8 file's start-up check (edge.vision.int8_check), where the model set ships one."""
    from edge.vision.int8_check import check_file, log, run_check

    name = check_file(model.file)
    if not listed_in_manifest(name):
        return True
    result = run_check(model, model_path(name))
    if not result.passed:
        log.warning(
            "%s disagrees with its float original on this CPU (eye points %.2f px off, tolerance %.2f px): "
            "running %s.tflite in float instead",
            model.file,
            result.max_error_px,
            result.tolerance_px,
            model.name,
        )
    return result.passed
