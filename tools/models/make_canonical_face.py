"""Derive the frontal reference face used for head pose: `python -m tools.models.make_canonical_face [DATASET]`.

The face landmark model is run on the frontal clips (condition FNN) of a labelled clip set in the
format of ../shared/datasets/zju_eyeblink_dev. The shapes are aligned (generalised Procrustes), averaged,
rotated so the face's left-right symmetry plane is the x = 0 plane (this fixes yaw and roll; pitch is
the subjects' average attitude when facing the camera) and made exactly symmetric. Only this averaged
468-point shape is written (`models/canonical_face.json`, listed in manifest.json); no frame or label of
the data set is kept.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from edge.vision.head_pose import CANONICAL_FILE, rigid_fit
from models import model_path

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "zju_eyeblink_dev"
NOSE_MIDLINE = (1, 4, 6, 168, 197, 195, 5)
EVERY_NTH_FRAME = 5


def collect_shapes(dataset: Path) -> list[np.ndarray]:
    from edge.vision.facemesh import FaceMesh, FaceMeshSettings

    with open(dataset / "labels.csv", newline="", encoding="utf-8") as fh:
        videos = sorted({row["video"] for row in csv.DictReader(fh) if "_FNN" in row["video"]})
    shapes = []
    for video in videos:
        mesh = FaceMesh(FaceMeshSettings(iris=False))
        cap = cv2.VideoCapture(str(dataset / video))
        index = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            result = mesh.process(frame)
            if result is not None and index % EVERY_NTH_FRAME == 0:
                shapes.append(result.landmarks.astype(np.float64))
            index += 1
        cap.release()
    return shapes


def procrustes_mean(shapes: list[np.ndarray], rounds: int = 5) -> np.ndarray:
    mean = shapes[0] - shapes[0].mean(0)
    for _ in range(rounds):
        aligned = []
        for shape in shapes:
            rot, scale, t = rigid_fit(shape, mean)
            aligned.append(scale * shape @ rot.T + t)
        mean = np.mean(aligned, axis=0)
        mean -= mean.mean(0)
        mean /= np.sqrt((mean**2).sum(1).mean()) / 100.0  # fixed size: rms radius 100 px
    return mean


def mirror_pairs(shape: np.ndarray) -> np.ndarray:
    """pairs[i] = index of the landmark mirroring i (itself on the midline), by optimal assignment."""
    from scipy.optimize import linear_sum_assignment

    mirrored = shape.copy()
    mirrored[:, 0] = 2 * shape[list(NOSE_MIDLINE), 0].mean() - shape[:, 0]
    cost = np.linalg.norm(shape[:, None, :] - mirrored[None, :, :], axis=2)
    _, pairs = linear_sum_assignment(cost)
    return pairs


def symmetrise(shape: np.ndarray) -> np.ndarray:
    pairs = mirror_pairs(shape)
    for _ in range(3):
        # the symmetry plane's normal is the common direction of the pair differences
        diffs = shape - shape[pairs]
        _, _, vt = np.linalg.svd(diffs, full_matrices=False)
        normal = vt[0] * np.sign(vt[0][0])
        # smallest rotation taking the normal onto +x
        x = np.array([1.0, 0.0, 0.0])
        v, c = np.cross(normal, x), float(normal @ x)
        vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
        rot = np.eye(3) + vx + vx @ vx / (1 + c)
        shape = shape @ rot.T
        shape -= shape.mean(0)
        pairs = mirror_pairs(shape)
    partner = shape[pairs]
    sym = (shape + partner * np.array([-1.0, 1.0, 1.0])) / 2
    return sym - sym.mean(0)


def main(argv: list[str]) -> int:
    dataset = Path(argv[0]) if argv else DEFAULT_DATASET
    if not (dataset / "labels.csv").is_file():
        print(f"no labelled clip set at {dataset}", file=sys.stderr)
        return 2
    shapes = collect_shapes(dataset)
    canonical = symmetrise(procrustes_mean(shapes))
    out = model_path(CANONICAL_FILE)
    out.write_text(
        json.dumps(
            {
                "about": "frontal reference face for head pose: the face landmark model's mean output on frontal "
                "faces, symmetrised; axes x right, y down, z away from the camera; rms radius 100",
                "made_by": "python -m tools.models.make_canonical_face",
                "shapes_averaged": len(shapes),
                "points": np.round(canonical, 3).tolist(),
            }
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{out}: {len(shapes)} shapes averaged")
    from tools.models.convert import convert

    convert()  # refresh manifest.json (the conversions themselves come out byte-identical)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
