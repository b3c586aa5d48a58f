"""Train the person-independent eye-state model (open / closed from one eye patch) and export it.

    python -m tools.models.train_eye_state [--train DIR ...] [--test DIR ...] [--epochs N] [--seed S]

Reads the research data sets in place (never copies them): by default the CEW eye patches (3,668 grey
24x24 patches of many different faces, `../shared/datasets/cew_eye_patches_dev`). The shipped model
never saw the eyeblink clips nor the infrared MRL crops: both stay cross-dataset tests of it
(`python -m edge.evaluation.nested`, `dms evaluate ../shared/datasets/mrl_eyes_ir_dev`). `--train` and
`--test` take any eye-patch set, e.g. one cut from the eyeblink clips by `python -m
edge.evaluation.patches`, for the reverse check (train on those, score on CEW) with `--no-register`. Every patch is framed like `edge.vision.eye_patch` cuts
them from a camera picture and standardised the same way; training sees each patch again every epoch
with random zoom, turn, shift, mirror, blur, gamma, contrast and noise, since a car's camera differs
from the photographs the patches come from.

The network is small on purpose (three 3x3 convolutions, ~23 k weights, ~1.4 M multiply-adds per
patch): it runs on both eyes of every frame. Chosen on CEW faces held out of training (accuracy 0.971,
against 0.962 for a variant with a second full-resolution convolution at twice the cost), not on the
eyeblink clips. The script writes
`eye_state.tflite` (LiteRT), `eye_state.onnx` (built from the same weights; ONNX Runtime) and their
entry in `manifest.json`: data, seed, epochs and the held-out accuracy. Needs TensorFlow
(`pip install tensorflow`), which nothing at run time does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np

from edge.vision.eye_patch import PATCH_SIZE, standardise
from models import MODELS_DIR

NAME = "eye_state"
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def read_set(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """patches (N, 24, 24) uint8, closed (N,) 0/1 and group (N,) of an eye-patch set (`dms evaluate`'s
    layout: CEW, MRL, or one cut from a clip set by `python -m edge.evaluation.patches`). Crops are
    resized whole: CEW and MRL frame the eye as `edge.vision.eye_patch` does (eye about two thirds of
    the width). The group (face, else subject) keeps one person's patches on one side of a split."""
    from edge.evaluation.patches import load_patch, read_patch_set

    rows = read_patch_set(root)
    patches = [load_patch(root, r) for r in rows]
    closed = np.array([r["eye_state"].strip().lower() == "closed" for r in rows], np.float32)
    key = next((k for k in ("source_face_id", "subject") if k in rows[0]), "path")
    return np.stack(patches), closed, np.array([f"{root.name}:{r[key]}" for r in rows])


def augment(patches: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random variant of each patch (uint8 in, float 0..1 out)."""
    out = np.empty(patches.shape, np.float32)
    centre = (PATCH_SIZE - 1) / 2
    for i, patch in enumerate(patches.astype(np.float32) / 255.0):
        m = cv2.getRotationMatrix2D((centre, centre), rng.uniform(-15, 15), rng.uniform(0.8, 1.25))
        m[:, 2] += rng.uniform(-2, 2, 2)
        x = cv2.warpAffine(patch, m, (PATCH_SIZE, PATCH_SIZE), borderMode=cv2.BORDER_REPLICATE)
        if rng.random() < 0.5:
            x = x[:, ::-1]
        if rng.random() < 0.3:
            x = cv2.GaussianBlur(x, (3, 3), rng.uniform(0.3, 1.2))
        x = np.clip(x, 0, 1) ** rng.uniform(0.6, 1.6)
        x = x * rng.uniform(0.6, 1.3) + rng.uniform(-0.2, 0.2)
        out[i] = x + rng.normal(0, rng.uniform(0, 0.04), x.shape)
    return out


def build(keras):
    from keras import layers

    inp = keras.Input((PATCH_SIZE, PATCH_SIZE, 1), name="patch")
    h = layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(32, 3, padding="same", activation="relu")(h)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = layers.GlobalAveragePooling2D()(h)
    h = layers.Dropout(0.3)(h)
    return keras.Model(inp, layers.Dense(1, name="closed_logit")(h))


def train(patches: np.ndarray, closed: np.ndarray, epochs: int, seed: int):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    rng = np.random.default_rng(seed)
    model = build(keras)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True)
    )
    from tqdm import trange

    for _ in trange(epochs, desc="epochs", unit="epoch"):
        model.fit(
            standardise(augment(patches, rng)), closed, batch_size=64, epochs=1, verbose=0, shuffle=True
        )
    return model


def weights(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel HWIO, bias) of each convolution and the dense layer, in order."""
    return [(layer.get_weights()[0], layer.get_weights()[1]) for layer in model.layers if layer.get_weights()]


def to_tflite(model) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [
            tf.function(lambda x: model(x, training=False)).get_concrete_function(
                tf.TensorSpec([1, PATCH_SIZE, PATCH_SIZE, 1], tf.float32)
            )
        ]
    )
    return converter.convert()


def to_onnx(layers: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
    """The same network as an ONNX graph (NCHW input, like the other converted models)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, x = [], [], "patch"
    for i, (kernel, bias) in enumerate(layers[:-1]):
        inits += [
            numpy_helper.from_array(kernel.transpose(3, 2, 0, 1).astype(np.float32), f"w{i}"),
            numpy_helper.from_array(bias.astype(np.float32), f"b{i}"),
        ]
        nodes += [
            helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", [f"c{i}"], [f"r{i}"]),
        ]
        x = f"r{i}"
        if i in (0, 1):
            nodes.append(helper.make_node("MaxPool", [x], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2]))
            x = f"p{i}"
    kernel, bias = layers[-1]
    inits += [
        numpy_helper.from_array(kernel.astype(np.float32), "wd"),
        numpy_helper.from_array(bias.astype(np.float32), "bd"),
    ]
    nodes += [
        helper.make_node("GlobalAveragePool", [x], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "wd", "bd"], ["closed_logit"]),
    ]
    graph = helper.make_graph(
        nodes,
        NAME,
        [helper.make_tensor_value_info("patch", TensorProto.FLOAT, ["N", 1, PATCH_SIZE, PATCH_SIZE])],
        [helper.make_tensor_value_info("closed_logit", TensorProto.FLOAT, ["N", 1])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="dms")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def split_by_group(groups: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Mask of a held-out share of the groups (faces or subjects), for the accuracy in the manifest."""
    unique = np.unique(groups)
    held = set(np.random.default_rng(seed).choice(unique, max(1, int(len(unique) * share)), replace=False))
    return np.array([g in held for g in groups])


def register(files: dict[str, bytes], provenance: dict) -> None:
    path = MODELS_DIR / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for name, data in files.items():
        (MODELS_DIR / name).write_bytes(data)
        manifest["models"][name] = {
            **provenance,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def score(model, sets: list[Path]) -> dict[str, dict]:
    """Accuracy and AUC of `model` on each patch set (cross-dataset checks)."""
    from edge.evaluation.patches import auc

    out = {}
    for root in sets:
        patches, closed, _ = read_set(root)
        logits = model.predict(standardise(patches), verbose=0)[:, 0]
        out[root.name] = {
            "patches": len(closed),
            "accuracy": round(float(((logits > 0) == (closed > 0.5)).mean()), 4),
            "auc": round(auc(logits, closed > 0.5) or float("nan"), 4),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--train",
        type=Path,
        action="append",
        default=None,
        metavar="DIR",
        help="Eye-patch set to train on (repeat for several; default: the CEW patches).",
    )
    ap.add_argument(
        "--test",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="Eye-patch set to score the held-out model on (repeat; a cross-dataset check).",
    )
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--holdout",
        type=float,
        default=0.2,
        help="Share of faces/subjects held out for the accuracy figure (the shipped model then "
        "retrains on everything).",
    )
    ap.add_argument("--no-register", action="store_true", help="Only print the held-out figures.")
    args = ap.parse_args(argv)
    train_sets = args.train or [DATASETS / "cew_eye_patches_dev"]
    sets = [read_set(root) for root in train_sets]
    patches = np.concatenate([s[0] for s in sets])
    closed = np.concatenate([s[1] for s in sets])
    groups = np.concatenate([s[2] for s in sets])
    held = split_by_group(groups, args.holdout, args.seed)
    model = train(patches[~held], closed[~held], args.epochs, args.seed)
    logits = model.predict(standardise(patches[held]), verbose=0)[:, 0]
    accuracy = float(((logits > 0) == (closed[held] > 0.5)).mean())
    print(
        f"held-out accuracy {accuracy:.3f} on {int(held.sum())} patches of {len(np.unique(groups[held]))} "
        f"faces/subjects never trained on"
    )
    for name, figures in score(model, args.test).items():
        print(f"{name}: {json.dumps(figures)}")
    if args.no_register:
        return 0
    model = train(patches, closed, args.epochs, args.seed)
    provenance = {
        "description": "eye state from one standardised 24x24 grey eye patch (edge.vision.eye_patch) -> "
        "closed logit; person-independent, never trained on the eyeblink clips",
        "trained_by": "python -m tools.models.train_eye_state",
        "data": {root.name: {"patches": len(s[1])} for root, s in zip(train_sets, sets)},
        "licence_of_data": "research use only (CEW); weights trained here",
        "seed": args.seed,
        "epochs": args.epochs,
        "held_out_accuracy": {"share_of_groups": args.holdout, "accuracy": round(accuracy, 4)},
    }
    register({f"{NAME}.tflite": to_tflite(model), f"{NAME}.onnx": to_onnx(weights(model))}, provenance)
    print(f"wrote {NAME}.tflite and {NAME}.onnx into {MODELS_DIR}")
    return 0


if __name__ == "__main__":
    from dms.errors import UserError

    try:
        sys.exit(main())
    except UserError as exc:
        sys.exit(f"train_eye_state: error: {exc}")
