"""`dms demo`: the whole chain on embedded defaults, as a newcomer runs it."""

import sqlite3
import subprocess
import sys

import pytest

from tools.demo.broker import free_port

pytestmark = pytest.mark.slow


def test_demo_alert_crosses_broker_and_database_into_the_portal(tmp_path):
    port = free_port()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.cli",
            "demo",
            "--exit-after",
            "75",
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
    assert f"Portal: http://127.0.0.1:{port}/" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr
    # The demo reports an alert only once the portal's API returns it.
    assert "alert in the portal: microsleep" in out.stdout, out.stdout[-2000:]
    with sqlite3.connect(tmp_path / "demo" / "demo.db") as db:
        stored = db.execute("SELECT count(*) FROM driver_events WHERE vehicle_id = 'DEMO-001'").fetchone()[0]
    assert stored >= 1


def test_demo_rejects_a_bad_broker_url_in_one_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "tools.cli", "demo", "--mqtt", "http://nowhere", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "expected mqtt://HOST:PORT" in out.stderr
