"""`dms bench --quick` and the kernel benchmark suite run end to end: correctness only, never timing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.services import REPO, require_service

pytestmark = pytest.mark.slow


def test_kernel_benchmarks_run_once_each():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--benchmark-disable",
            str(REPO / "benchmarks" / "test_kernels_speed.py"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:]


def test_dms_bench_quick_runs_every_part(tmp_path):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Mosquitto", "127.0.0.1", 1883)
    result_file = tmp_path / "bench.json"
    # the demo clip stands in for the research set, so the test runs where the data is absent
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.cli",
            "bench",
            "--quick",
            "--pipeline",
            "--gateway",
            "--latency",
            "--backend",
            "onnxruntime",
            "--dataset",
            str(tmp_path / "no-dataset"),
            "--mediapipe-python",
            str(tmp_path / "no-mediapipe" / "python"),
            "--out",
            str(result_file),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=280,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "MediaPipe: skipped" in out.stdout
    result = json.loads(result_file.read_text())
    ours = result["pipeline"]["engines"][0]
    assert ours["frames"] > 0 and ours["faces"] == ours["frames"]  # the demo face is found in every frame
    assert [row["size"] for row in result["pipeline"]["by_frame_size"]] == ["320x240", "640x480", "1280x800"]
    assert result["edge_run"]["samples"] > 0 and result["edge_run"]["rss_mb_max"] > 0
    gateway = result["gateway"][0]["live"]
    assert result["latency"]["events_seen"] >= 5 and result["latency"]["p99_ms"] > 0
    assert gateway["gateway_postgresql"]["stored"] == result["gateway"][0]["messages"]
    assert gateway["bare_subscriber"]["received"] == result["gateway"][0]["messages"]
    assert [row["bus"] for row in result["gateway"]] == ["mqtt", "nats"]  # one run, both buses
    nats = result["gateway"][1]["live"]  # the NATS cluster path and a bare JetStream consumer
    assert (
        nats["gateway_postgresql"]["stored"]
        == nats["bare_subscriber"]["received"]
        == result["gateway"][1]["messages"]
    )
    assert "bare JetStream consumer on NATS" in out.stdout
