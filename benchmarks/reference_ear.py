"""The reference: MediaPipe FaceMesh + mean eye aspect ratio of both eyes, closed when EAR < 0.20.

    .venv-mediapipe/bin/python benchmarks/reference_ear.py DATASET_DIR --out PREDICTIONS_CSV

The method of the popular open-source drowsiness detectors, written as their users would write it, over
a labelled clip set in the zju_eyeblink_dev layout: one FaceMesh(refine_landmarks=True) tracker per
clip, EAR of the six classic points per eye (Soukupova & Cech 2016), a blink = a run of closed frames.
Writes predictions.csv in the format of ../shared/tools/score_blinks.py. Standalone on purpose (numpy,
OpenCV and mediapipe only): it runs in the MediaPipe venv, which has none of this project's packages,
and `dms bench --evaluate` compares the whole command's CPU with `dms evaluate` on the same clips.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

THRESHOLD = 0.20
# (p1, p2, p3, p4, p5, p6) of each eye in MediaPipe's 468-point mesh: corners p1/p4, lids p2/p6, p3/p5
EYES = ((33, 160, 158, 133, 153, 144), (362, 385, 387, 263, 373, 380))


def ear(points: np.ndarray) -> float:
    p1, p2, p3, p4, p5, p6 = points
    return float((np.linalg.norm(p2 - p6) + np.linalg.norm(p3 - p5)) / (2.0 * np.linalg.norm(p1 - p4)))


def closed_per_picture(video: Path, mesh_factory) -> list[bool]:
    cap = cv2.VideoCapture(str(video))
    out = []
    with mesh_factory() as mesh:
        while True:
            ok, image = cap.read()
            if not ok:
                break
            result = mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            if not result.multi_face_landmarks:
                out.append(False)
                continue
            lm = result.multi_face_landmarks[0].landmark
            h, w = image.shape[:2]
            value = np.mean([ear(np.array([(lm[i].x * w, lm[i].y * h) for i in eye])) for eye in EYES])
            out.append(value < THRESHOLD)
    cap.release()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    import mediapipe as mp

    def factory():
        return mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )

    rows = defaultdict(list)
    with (args.dataset / "labels.csv").open(newline="") as fh:
        for r in csv.DictReader(fh):
            rows[r["video"]].append((int(r["frame_id"]), int(r["decoded_index"])))
    with args.out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["video", "frame_id", "eyes_closed", "blink"])
        for video, frames in rows.items():
            closed = closed_per_picture(args.dataset / video, factory)
            blink, previous = 0, False
            for frame_id, index in sorted(frames):
                now = closed[index] if index < len(closed) else False
                if now and not previous:
                    blink += 1
                previous = now
                w.writerow([video, frame_id, int(now), blink if now else -1])


if __name__ == "__main__":
    main()
