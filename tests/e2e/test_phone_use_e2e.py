"""Phone use end to end: a real `dms edge run` (through `dms demo`: embedded MQTT broker, gateway,
SQLite, portal) on a clip of the demo's public-domain face with a DRAWN hand held at the ear; the
phone_use event crosses MQTT, the gateway stores it and opens the alert the fleet board lists."""

import sqlite3
import subprocess
import sys

import cv2
import pytest

from tools.demo.broker import free_port

pytestmark = pytest.mark.slow

FPS = 30
HAND_FROM_S, HAND_TO_S, CLIP_S = 1.0, 8.0, 9.5  # before the demo face's scripted microsleep at 10 s


def _phone_clip(path):
    from edge.scenarios.compose import draw_hand, write_clip
    from edge.vision.pipeline import VisionPipeline, VisionSettings
    from tools.demo.sample_clip import sample_clip

    capture = cv2.VideoCapture(str(sample_clip()))
    frames = []
    while len(frames) < CLIP_S * FPS:
        ok, image = capture.read()
        assert ok, "the demo clip is shorter than expected"
        frames.append(image)
    capture.release()
    face = VisionPipeline(VisionSettings(hands={"enabled": False})).process(frames[0], 0.0, 0)
    assert face.face_found
    x0, y0, x1, y1 = face.face_box
    w, h = x1 - x0, y1 - y0
    for i in range(int(HAND_FROM_S * FPS), int(HAND_TO_S * FPS)):
        frames[i] = draw_hand(frames[i], (x0 - 0.05 * w, y0 + 0.5 * h), 0.4 * w, -15)
    return write_clip(path, frames, FPS)


def test_phone_use_from_a_real_edge_run_is_stored_and_opens_an_alert(tmp_path):
    clip = _phone_clip(tmp_path / "phone_use")
    port = free_port()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.cli",
            "demo",
            "--source",
            str(clip),
            "--exit-after",
            "60",
            "--http",
            f"127.0.0.1:{port}",
            "--workdir",
            str(tmp_path / "demo"),
        ],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stdout + out.stderr
    assert "alert in the portal: phone_use" in out.stdout, out.stdout[-2000:]
    with sqlite3.connect(tmp_path / "demo" / "demo.db") as db:
        (stored,) = db.execute(
            "SELECT count(*) FROM driver_events WHERE vehicle_id = 'DEMO-001' AND type = 'phone_use'"
        ).fetchone()
        alerts = db.execute(
            "SELECT type, level FROM alerts WHERE vehicle_id = 'DEMO-001' AND type = 'phone_use'"
        ).fetchall()
    assert stored >= 2  # start and end (the hand goes down at 8 s)
    assert alerts and alerts[0][1] >= 1
