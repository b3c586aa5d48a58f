"""`dms edge run` on a real clip (the demo's driver clip: vision -> policy -> uplink), killed with
SIGKILL mid-run and restarted with the same outbox: every event line arrives over MQTT by msg_id."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.mqtt import delivered_after_restart, event_ids, wait_for

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_clip() -> Path:
    sample_clip = pytest.importorskip("tools.demo.sample_clip")
    return sample_clip.sample_clip(progress=False)  # generated once (~40 s), then cached


def edge_run(tmp_path: Path, clip: Path, url: str, events: Path) -> subprocess.Popen:
    args = [
        sys.executable,
        "-m",
        "tools.cli",
        "edge",
        "run",
        "--source",
        str(clip),
        "--mqtt",
        url,
        "--vehicle-id",
        "clip-1",
        "--outbox",
        str(tmp_path / "outbox.sqlite"),
        "--events-out",
        str(events),
        "--vehicle-source",
        "replay:sample",
        "--drain-timeout",
        "20",
    ]
    return subprocess.Popen(
        args, cwd=REPO, stdout=(tmp_path / f"{events.stem}.log").open("ab"), stderr=subprocess.STDOUT
    )


def test_clip_run_killed_and_restarted_delivers_every_event(tmp_path, demo_clip, private_broker, recorder):
    broker = private_broker().start()
    rec = recorder(broker.url, "clip-1")
    assert rec.subscribed.wait(10)
    broker.stop()  # down while the first run works: its events wait in the outbox
    first, second = tmp_path / "events-1.jsonl", tmp_path / "events-2.jsonl"
    edge = edge_run(tmp_path, demo_clip, broker.url, first)
    try:
        wait_for(lambda: len(event_ids(first)) >= 2, 120, "two events from the clip")
    finally:
        edge.kill()
        edge.wait(10)
    broker.start()
    up_at = time.monotonic()
    restart = edge_run(tmp_path, demo_clip, broker.url, second)
    killed_run, expected, counts, delay = delivered_after_restart(rec, restart, first, second, up_at, 180)
    types = [json.loads(line)["type"] for line in second.read_text().splitlines()]
    print(
        f"\nclip: {len(killed_run)} events before SIGKILL (all received {delay:.1f} s after restart), "
        f"{len(expected) - len(killed_run)} in the full rerun {collections.Counter(types)}; "
        f"{sum(counts.values()) - len(counts)} re-deliveries"
    )
    assert {"microsleep", "sleep"} <= set(types)
    assert "outbox drained" in (tmp_path / "events-2.log").read_text()
