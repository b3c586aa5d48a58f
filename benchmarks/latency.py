"""End-to-end event latency: from the frame on which the policy decides an event to the event being
visible through the gateway's API (`GET /api/vehicles/{id}/events`), on loopback, with real processes.

    python -m benchmarks.latency [--events 120] [--pg URL]

Processes: a private Mosquitto, `dms gateway run` and `dms portal run` on a fresh PostgreSQL database,
and an edge child running the real `EdgeRuntime` (policy -> SQLite outbox -> MQTT publisher). The edge
child is fed synthetic per-frame signals (a driver whose eyes close for 1.3 s every few seconds, 30 fps
of source time, paced `--speedup` times faster than real time so that a distribution is collected in
a minute); vision is not part of this path (its cost is `dms bench --pipeline`'s). The edge child stamps
the wall clock when each event line is written (right after the event was committed to the outbox, on
the deciding frame); this process polls the API every `--poll-ms` and stamps when each msg_id first
appears. Both clocks are this machine's `time.time()`. Resolution: the poll interval.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

VEHICLE = "LAT-001"
FPS = 30.0


# --- the edge child ---------------------------------------------------------------------------------


class _StampedLines:
    """An events_out target that prefixes each line with the wall time it was written."""

    def __init__(self, path: Path):
        self._fh = open(path, "a", encoding="utf-8")

    def write(self, text: str) -> int:
        return self._fh.write(f"{time.time():.6f} {text}")

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def closure_cycle(t: float, period_s: float = 4.0, closed_s: float = 1.3) -> bool:
    """Eyes closed for `closed_s` at the end of every `period_s` of source time."""
    return (t % period_s) >= period_s - closed_s


def synthetic_signals(frames: int):
    from edge.signals import FrameSignals

    for i in range(frames):
        t = i / FPS
        closed = closure_cycle(t)
        yield FrameSignals(
            t=t,
            frame_index=i,
            face_found=True,
            eyes_measurable=True,
            eyes_closed=closed,
            closure=1.0 if closed else 0.0,
            openness_left=0.05 if closed else 0.3,
            openness_right=0.05 if closed else 0.3,
            head_yaw=0.0,
            head_pitch=0.0,
            head_roll=0.0,
            gaze_yaw=0.0,
            gaze_pitch=0.0,
            gaze_zone="road",
            eyes_on_road=True,
            faces=1,
        )


def role_edge(args) -> None:
    from edge.config import DeviceConfig
    from edge.runtime import EdgeRuntime
    from edge.uplink.settings import MqttSettings, OutboxSettings

    config = DeviceConfig(
        vehicle_id=VEHICLE,
        speed_kmh=60.0,
        mqtt=MqttSettings(url=args.mqtt),
        outbox=OutboxSettings(path=Path(args.outbox)),
    )
    frames = int(args.source_seconds * FPS)
    with EdgeRuntime(config, events_out=_StampedLines(Path(args.events_out))) as runtime:
        start = time.monotonic()
        for signals in synthetic_signals(frames):
            delay = start + signals.t / args.speedup - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            runtime.process_signals(signals)
        runtime.finish(drain_timeout=10)


# --- the measuring parent -------------------------------------------------------------------------


def _token(portal: str, user: str, password: str) -> str:
    form = urllib.parse.urlencode({"username": user, "password": password}).encode()
    with urllib.request.urlopen(f"{portal}/api/token", data=form, timeout=5) as r:
        return json.load(r)["access_token"]


def _poll_api(portal: str, token: str, seen: dict[str, float], stop: threading.Event, poll_s: float) -> None:
    request = urllib.request.Request(
        f"{portal}/api/vehicles/{VEHICLE}/events?limit=50", headers={"Authorization": f"Bearer {token}"}
    )
    while not stop.is_set():
        try:
            with urllib.request.urlopen(request, timeout=5) as r:
                items = json.load(r)["items"]
            now = time.time()
            for item in items:
                seen.setdefault(item["msg_id"], now)
        except OSError:
            pass
        stop.wait(poll_s)


def _decided(events_file: Path) -> dict[str, float]:
    out = {}
    if events_file.is_file():
        for line in events_file.read_text().splitlines():
            stamp, _, body = line.partition(" ")
            out[json.loads(body)["msg_id"]] = float(stamp)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def measure(
    events: int = 120,
    pg_admin: str = "postgresql://postgres@127.0.0.1:5432/test",
    speedup: float = 4.0,
    poll_ms: float = 10.0,
    progress=None,
) -> dict:
    """Run the chain until `events` driver events were decided and seen (or the source ends)."""
    from benchmarks.bench_gateway import _free_port, _pg_database, start_private_broker
    from tools.demo import ADMIN, _http_ok
    from tools.demo.processes import Child, dms_command, wait_until
    from tools.demo.seed import seed_demo

    workdir = Path(tempfile.mkdtemp(prefix="dms_latency_"))
    tag = uuid.uuid4().hex[:6]
    db_name = f"dms_latency_{tag}"
    _pg_database(pg_admin, db_name, create=True)
    db_url = pg_admin.rsplit("/", 1)[0] + f"/{db_name}"
    broker, mqtt = start_private_broker(workdir)
    children = []
    stop = threading.Event()
    try:
        accounts = seed_demo(db_url, vehicle_id=VEHICLE, dealer_code="D1")
        password = next(pw for user, pw, _ in accounts if user == ADMIN)
        port = _free_port()
        portal = f"http://127.0.0.1:{port}"
        children.append(
            Child(
                "gateway",
                dms_command(
                    "gateway",
                    "run",
                    "--mqtt",
                    mqtt,
                    "--db",
                    db_url,
                    "--client-id",
                    f"lat-{tag}",
                    "--session-expiry",
                    "0",
                    "--http",
                    "127.0.0.1:0",
                ),
                workdir / "gateway.log",
            ).start()
        )
        children.append(
            Child(
                "portal",
                dms_command("portal", "run", "--db", db_url, "--http", f"127.0.0.1:{port}"),
                workdir / "portal.log",
            ).start()
        )
        wait_until(lambda: _http_ok(f"{portal}/api/openapi.json"), 60, what="the portal")
        token = _token(portal, ADMIN, password)
        seen: dict[str, float] = {}
        poller = threading.Thread(
            target=_poll_api, args=(portal, token, seen, stop, poll_ms / 1e3), daemon=True
        )
        poller.start()
        events_file = workdir / "events.jsonl"
        # ~1.3 events per 4 s closure cycle (microsleep start and end, some drowsiness): ask for enough source
        source_seconds = max(20.0, events * 4.0 / 1.3 + 10)
        edge = Child(
            "edge",
            [
                sys.executable,
                "-m",
                "benchmarks.latency",
                "_edge",
                "--mqtt",
                mqtt,
                "--outbox",
                str(workdir / "outbox.sqlite"),
                "--events-out",
                str(events_file),
                "--source-seconds",
                str(source_seconds),
                "--speedup",
                str(speedup),
            ],
            workdir / "edge.log",
        ).start()
        children.append(edge)
        done = 0
        while edge.running():
            decided = _decided(events_file)
            now_done = sum(1 for m in decided if m in seen)
            if progress is not None and now_done > done:
                progress(now_done - done)
            done = now_done
            if done >= events:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # the last events still in flight
        decided = _decided(events_file)
        latencies = [1e3 * (seen[m] - t) for m, t in decided.items() if m in seen]
    finally:
        stop.set()
        for child in reversed(children):
            child.stop()
        broker.terminate()
        broker.wait(10)
        _pg_database(pg_admin, db_name, create=False)
    if not latencies:
        raise RuntimeError(f"no event reached the API; logs in {workdir}:\n{edge.tail()}")
    return {
        "events_decided": len(decided),
        "events_seen": len(latencies),
        "poll_ms": poll_ms,
        "speedup": speedup,
        "p50_ms": percentile(latencies, 50),
        "p90_ms": percentile(latencies, 90),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies),
        "min_ms": min(latencies),
        "load_avg_at_end": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", default="measure", choices=["measure", "_edge"])
    parser.add_argument("--events", type=int, default=120)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--speedup", type=float, default=4.0)
    parser.add_argument("--poll-ms", type=float, default=10.0)
    parser.add_argument("--mqtt")
    parser.add_argument("--outbox")
    parser.add_argument("--events-out")
    parser.add_argument("--source-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    if args.role == "_edge":
        role_edge(args)
        return 0
    print(json.dumps(measure(args.events, args.pg, args.speedup, args.poll_ms), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
