"""Wall-clock jumps on the device (an NTP step back by 1 h, then forward by 2 h) in a real edge process,
faked with libfaketime for that process only (CLOCK_MONOTONIC untouched, as with a real step).
Expected: the policy runs on frame time (same events at the same t as an unjumped run), message times
follow frame time from the run's start, msg_ids are unique and the broker sees the events in order."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from edge.config import DeviceConfig
from edge.policy.synthetic import frames
from edge.runtime import EdgeRuntime
from tests.support.faults import edge_command
from tests.support.mqtt import event_ids, wait_for

pytestmark = pytest.mark.slow
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")
EDGE_PROCESS = Path(__file__).with_name("faketime_edge.py")  # tests/uplink/edge_process.py, faked clock
SECONDS = 14.0


def reference_events() -> list[tuple[str, str, float]]:
    """The same synthetic drive as edge_process.py, in process, without any clock: (type, phase, t)."""
    out = io.StringIO()
    runtime = EdgeRuntime(DeviceConfig(vehicle_id="ref", speed_kmh=60), events_out=out)
    cycles = max(1, round(SECONDS / 3.5))
    for signals in frames([(3.0, "ahead")] + [(1.5, "closed"), (2.0, "ahead")] * cycles, fps=10):
        runtime.process_signals(signals)
    return [(e["type"], e["phase"], e["t"]) for e in map(json.loads, out.getvalue().splitlines())]


def test_wall_clock_jumps_back_and_forward_change_nothing(tmp_path, private_broker, recorder):
    if not LIBFAKETIME.is_file():
        pytest.skip("libfaketime is not installed (apt-get install libfaketime)")
    vid = "clock-1"
    broker = private_broker().start()
    rec = recorder(broker.url, vid)
    assert rec.subscribed.wait(10)
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    env = {
        **os.environ,
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(offset),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    events = tmp_path / "events.jsonl"
    log = (tmp_path / "edge.log").open("wb")
    command = edge_command(EDGE_PROCESS, broker.url, vid, tmp_path / "o.sqlite", events, SECONDS)
    edge = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: len(event_ids(events)) >= 1, 30, "the first event")
        offset.write_text("-1h\n")  # NTP steps the clock back an hour
        time.sleep(4)
        offset.write_text("+1h\n")  # ... and then two hours forward
        assert edge.wait(60) == 0, (tmp_path / "edge.log").read_text()[-2000:]
    finally:
        if edge.poll() is None:
            edge.kill()
            edge.wait(10)
    written = [json.loads(line) for line in events.read_text().splitlines()]
    expected = [w["msg_id"] for w in written]
    wait_for(lambda: set(rec.ids("event")) >= set(expected), 15, "every event at the broker")
    assert list(dict.fromkeys(rec.ids("event"))) == expected and len(set(expected)) == len(expected)
    assert [(w["type"], w["phase"], w["t"]) for w in written] == reference_events()
    sent = {p["msg_id"]: datetime.fromisoformat(p["ts"]) for p in rec.payloads("event")}
    first = written[0]
    for w in written:  # message time = start + frame time, whatever the wall clock did meanwhile
        assert abs((sent[w["msg_id"]] - sent[first["msg_id"]]).total_seconds() - (w["t"] - first["t"])) < 1e-3
    # Proof that the process's wall clock did jump: its presence messages carry wall-clock times.
    presence = {p["state"]: datetime.fromisoformat(p["ts"]) for p in rec.payloads("presence")}
    assert (presence["offline"] - presence["online"]).total_seconds() > 3000, presence
    print(
        f"\n{len(expected)} events across a -1 h and a +2 h wall-clock step: same events and frame times as "
        "the reference, in order, unique msg_ids, message times on frame time"
    )
