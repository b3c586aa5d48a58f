"""The edge runtime as its own process, driven by a synthetic drive in real time (for kill -9 tests).

python tests/uplink/edge_process.py --mqtt URL --vehicle-id ID --outbox FILE --events-out FILE --seconds S
The driver dozes off again and again (eyes closed 1.5 s every 3.5 s): a microsleep start and end per
cycle, each one an event line in --events-out and an MQTT message with the same msg_id.
"""

from __future__ import annotations

import argparse
import logging

from edge.config import DeviceConfig
from edge.policy.synthetic import frames
from edge.runtime import EdgeRuntime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mqtt", required=True)
    ap.add_argument("--vehicle-id", required=True)
    ap.add_argument("--outbox", required=True)
    ap.add_argument("--events-out", required=True)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--drain-timeout", type=float, default=20.0)
    ap.add_argument("--max-messages", type=int, default=10_000)
    ap.add_argument("--keepalive", type=int, default=30)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = DeviceConfig(
        vehicle_id=args.vehicle_id,
        mqtt={"url": args.mqtt, "reconnect_max_s": 2, "keepalive_s": args.keepalive},
        outbox={"path": args.outbox, "max_messages": args.max_messages},
        events_out=args.events_out,
        drain_timeout_s=args.drain_timeout,
        speed_kmh=60,
    )
    cycles = max(1, round(args.seconds / 3.5))
    drive = [(3.0, "ahead")] + [(1.5, "closed"), (2.0, "ahead")] * cycles
    report = EdgeRuntime(config).run(frames(drive, fps=10), realtime=True)
    print("REPORT", report.summary(), flush=True)


if __name__ == "__main__":
    main()
