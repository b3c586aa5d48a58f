"""Disk full under the outbox (a real, small tmpfs): events already stored are kept and delivered, the
runtime keeps monitoring, says which events it could not store, and stores again once there is room."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from edge.config import DeviceConfig
from edge.policy.synthetic import frames
from edge.runtime import EdgeRuntime
from tests.support.mqtt import event_ids, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk():
    """A 8 MiB tmpfs (needs root and the right to mount; skipped with the reason otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = Path(tempfile.mkdtemp(prefix="dms-full-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)
    mount.rmdir()


def fill(disk: Path) -> Path:
    """Write a file until the disk says ENOSPC."""
    filler = disk / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return filler


def dozing(cycles: int) -> list[tuple[float, str]]:
    return [(3.0, "ahead")] + [(1.5, "closed"), (2.0, "ahead")] * cycles


def test_disk_full_keeps_stored_events_says_which_were_not_stored_and_recovers(
    tmp_path, small_disk, private_broker, recorder, caplog
):
    vid = "full-1"
    broker = private_broker().start()
    rec = recorder(broker.url, vid)
    assert rec.subscribed.wait(10)
    broker.stop()  # the vehicle is out of coverage: everything piles up in the outbox
    outbox = small_disk / "outbox.sqlite"
    config = DeviceConfig(
        vehicle_id=vid,
        mqtt={"url": broker.url, "reconnect_max_s": 1},
        speed_kmh=60,
        outbox={"path": outbox, "max_messages": 100_000},
        telemetry={"status_hz": 10, "state_hz": 10},
        events_out=tmp_path / "events.jsonl",
    )
    runtime = EdgeRuntime(config)
    caplog.set_level(logging.ERROR, logger="edge.runtime")
    drive = iter(frames(dozing(60), fps=10))

    def drive_for(seconds: float) -> None:
        for _ in range(int(seconds * 10)):
            runtime.process_signals(next(drive))

    drive_for(30)
    stored_before = runtime.uplink.pending()
    assert stored_before > 0 and runtime.report.events > 0
    with sqlite3.connect(outbox) as db:  # give the WAL's space back, so the next writes need new space
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    filler = fill(small_disk)
    drive_for(40)  # disk full: monitoring goes on
    not_stored = re.findall(r"event (\w+) was not stored", caplog.text)
    assert runtime.report.events_not_stored == len(not_stored) > 0
    assert "messages already stored are kept" in caplog.text
    assert runtime.uplink.pending() >= stored_before - 1  # nothing stored was lost
    filler.unlink()  # space again: new events are stored
    drive_for(30)
    broker.start()
    report = runtime.finish(drain_timeout=60)
    assert report.drained, report.summary()
    expected = [m for m in event_ids(tmp_path / "events.jsonl") if m not in set(not_stored)]
    wait_for(lambda: set(rec.ids("event")) >= set(expected), 15, "every stored event")
    received = list(dict.fromkeys(rec.ids("event")))
    assert received == expected and not set(received) & set(not_stored)
    print(
        f"\n{stored_before} messages stored before the disk filled; {len(not_stored)} events refused while "
        f"full ({runtime.report.samples_dropped} samples dropped); {len(expected)} stored events all "
        f"delivered in order; summary: {report.summary()}"
    )
