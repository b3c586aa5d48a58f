"""A real edge process started on a damaged outbox (pages of a used outbox overwritten, as after a
power cut on a flash card): detected, moved aside with one clear warning naming both paths, and the run
goes on and delivers its own events. (Unit level: tests/uplink/test_outbox.py; the `dms edge outbox`
message: tests/edge_runtime/test_config_and_cli.py.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from edge.uplink.outbox import Outbox
from tests.support.faults import edge_command
from tests.support.mqtt import event_ids, wait_for

pytestmark = pytest.mark.slow
EDGE_PROCESS = Path(__file__).resolve().parents[1] / "uplink" / "edge_process.py"


def test_damaged_outbox_is_moved_aside_and_the_run_delivers_its_events(tmp_path, private_broker, recorder):
    vid = "corrupt-1"
    broker = private_broker().start()
    rec = recorder(broker.url, vid)
    assert rec.subscribed.wait(10)
    path = tmp_path / "outbox.sqlite"
    with Outbox(path) as box:
        for i in range(300):
            box.put(f"old{i:05d}", "status", f"dms/v1/{vid}/status", b"{}" * 200)
    data = bytearray(path.read_bytes())
    assert len(data) > 8 * 4096
    data[4096 : 3 * 4096] = b"\xa5" * (2 * 4096)  # the table's root and a leaf page
    path.write_bytes(bytes(data))
    damaged = bytes(data)
    events = tmp_path / "events.jsonl"
    log = tmp_path / "edge.log"
    with log.open("wb") as out:
        done = subprocess.run(
            edge_command(EDGE_PROCESS, broker.url, vid, path, events, 7),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
    text = log.read_text()
    assert done.returncode == 0, text[-2000:]
    aside = list(tmp_path.glob("outbox.sqlite.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged  # kept for inspection, untouched
    assert f"outbox {path} is corrupt" in text and f"moved it aside to {aside[0]}" in text
    assert "Traceback" not in text
    expected = event_ids(events)
    wait_for(lambda: set(rec.ids("event")) >= set(expected), 15, "the run's events")
    assert len(expected) >= 2 and list(dict.fromkeys(rec.ids("event"))) == expected
    print(f"\ndamaged outbox moved aside to {aside[0].name}; the run delivered its {len(expected)} events")
