"""Counting what a vehicle costs on the wire: a TCP proxy on loopback between the edge uplink and a
real broker, and a long recorded drive (a trip file for `ReplaySource`) whose stops and turns are known.
"""

from __future__ import annotations

import itertools
import math
import random
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from edge.vehicle.replay import COLUMNS

EARTH_M_PER_DEG = 111_320.0


class ByteCountingProxy:
    """Forwards every TCP connection made to `port` (127.0.0.1) to `upstream`, counting the bytes each way.

    `up` is what the client sent (MQTT CONNECT, PUBLISH, PINGREQ, ...), `down` what the broker answered
    (CONNACK, PUBACK, ...): together they are the MQTT traffic of the link, TCP/IP and TLS headers aside."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.up = 0
        self.down = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def total(self) -> int:
        with self._lock:
            return self.up + self.down

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            self._sockets += [client, server]
            for src, dst, direction in ((client, server, "up"), (server, client, "down")):
                threading.Thread(target=self._pump, args=(src, dst, direction), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    setattr(self, direction, getattr(self, direction) + len(data))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._closed = True
        self._server.close()
        for s in self._sockets:
            s.close()


@dataclass
class Trip:
    """A generated drive: the CSV for `replay:PATH` and, per second, where the vehicle truly was."""

    path: Path
    seconds: int
    stops: list[tuple[int, int]] = field(default_factory=list)
    """(first, last) second of each standstill after the vehicle had moved."""
    turns: list[int] = field(default_factory=list)
    """The second each corner (a heading change of 90 degrees) was completed."""
    points: list[tuple[float, float]] = field(default_factory=list)
    """(latitude, longitude) at every whole second."""


def city_drive(path: Path, minutes: float = 35.0, seed: int = 27) -> Trip:
    """A deterministic drive through a street grid: blocks of 150-600 m at 30-60 km/h, right-angle
    corners taken at 15 km/h, a red light every few blocks (20-60 s at 0 km/h), a stretch of ring road
    at 90 km/h every 10 minutes, a trouble code appearing after 20 minutes. GNSS heading jitters by
    +-1.5 degrees, speed by +-1 km/h; the position follows the road exactly."""
    rng = random.Random(seed)
    seconds = int(minutes * 60)
    lat, lon, heading = 52.5163, 13.3777, 90.0
    odometer, fuel, hours = 31_200.0, 64.0, 2_100.0
    plan: list[tuple[str, float]] = []  # (what, seconds)
    while sum(s for _, s in plan) < seconds:
        what = rng.random()
        if len(plan) % 14 == 6:
            plan.append(("ring", rng.uniform(90, 150)))
        elif what < 0.3:
            plan.append(("stop", rng.uniform(20, 60)))
        plan.append(("block", rng.uniform(20, 45)))
        plan.append(("turn", 6.0))
    rows, trip = [], Trip(path, seconds)
    step, left = 0, plan[0][1]
    speed, stopped_since, moved = 0.0, None, False
    turn_dir = 1
    for t in range(seconds + 1):
        what = plan[step][0]
        target = {"block": 45.0, "ring": 90.0, "turn": 15.0, "stop": 0.0}[what]
        speed = max(0.0, speed + max(-8.0, min(4.0, target - speed)))  # brake harder than accelerate
        if what == "turn":
            heading = (heading + turn_dir * 15.0) % 360  # 6 s x 15 deg = a right-angle corner
        noisy = max(0.0, speed + (rng.uniform(-1, 1) if speed > 5 else 0.0))
        if noisy <= 0.5:
            stopped_since = t if stopped_since is None else stopped_since
        elif stopped_since is not None:
            if moved:
                trip.stops.append((stopped_since, t - 1))
            stopped_since = None
        moved = moved or noisy > 0.5
        km = noisy / 3600
        odometer += km
        lat += km * 1000 * math.cos(math.radians(heading)) / EARTH_M_PER_DEG
        lon += km * 1000 * math.sin(math.radians(heading)) / (EARTH_M_PER_DEG * math.cos(math.radians(lat)))
        trip.points.append((lat, lon))
        fuel -= km * 0.08 + 0.0002
        hours += 1 / 3600
        reported_heading = (heading + rng.uniform(-1.5, 1.5)) % 360
        rows.append(
            f"{t},{noisy:.1f},{odometer:.3f},{lat:.6f},{lon:.6f},{reported_heading:.1f},{fuel:.2f},"
            f"{14.1 + rng.uniform(-0.1, 0.1):.2f},{hours:.4f},{800 + noisy * 28 + rng.uniform(-30, 30):.0f},"
            f"{min(90.0, 40 + t * 0.1):.1f},{'P0420' if t >= 1200 else ''}"
        )
        left -= 1
        if left <= 0 and step + 1 < len(plan):
            if what == "turn":
                trip.turns.append(t)
                turn_dir = rng.choice((-1, 1))
            step += 1
            left = plan[step][1]
    header = ",".join(["t_s", *COLUMNS, "dtcs"])
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return trip


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two (lat, lon) points a few km apart (equirectangular)."""
    k = math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot((a[0] - b[0]) * EARTH_M_PER_DEG, (a[1] - b[1]) * EARTH_M_PER_DEG * k)


def off_track(point: tuple[float, float], track: list[tuple[float, float]]) -> float:
    """How far `point` lies from the polyline `track`, metres."""
    best = math.inf
    k = math.cos(math.radians(point[0]))

    def xy(p):
        return ((p[1] - point[1]) * EARTH_M_PER_DEG * k, (p[0] - point[0]) * EARTH_M_PER_DEG)

    for a, b in itertools.pairwise(track):
        (ax, ay), (bx, by) = xy(a), xy(b)
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        u = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
        best = min(best, math.hypot(ax + u * dx, ay + u * dy))
    return best
