"""A fleet of N simulated vehicles against broker + gateway + database: loss, lag, resource use and bytes.

Each vehicle reads its signals at `status_hz` and sends what its telemetry profile sends (the edge's own
cadence and batching, edge/uplink/cadence.py: `default` = on change plus heartbeats, batched, CBOR;
`detailed` = status and driver state every reading, JSON), driver events at a realistic rate (an episode
= a `start` and an `end` message, at once) and a presence `online` at the start and `offline` at the end.
The bytes each vehicle puts on the wire are counted at its publish (MQTT PUBLISH packets); the database's
bytes are PostgreSQL's table sizes (with indexes, TOAST and partitions) before and after the run.
Vehicles share `connections` MQTT connections (one process cannot hold 1,000 sockets and threads
cheaply; the broker and gateway see the same message stream either way). Every message's `ts` is the
wall time it was handed to the client, so `received_at - ts` in `processed_messages` is the
publish -> stored lag. Loss is counted by msg_id: sent - stored - dead-lettered must be 0.
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import click
import psutil  # the bench extra: `dms simulate`/`dms bench` say so when it is missing
from pydantic import Field
from sqlalchemy import func, select

from dms.contract import DriverEvent, DriverState, Presence, VehicleStatus, encode, encode_batch
from dms.settings import Settings
from edge.uplink.cadence import SampleBatcher, StateSampler, StatusSampler
from edge.uplink.settings import TelemetrySettings

Clock = Callable[[], datetime]
EVENT_TYPES = ("long_distraction", "vats", "microsleep", "drowsiness", "phone_use")


class FleetSettings(Settings):
    vehicles: int = Field(200, ge=1, le=100_000, description="Number of simulated vehicles.")
    seconds: float = Field(30.0, gt=0, description="How long the fleet drives (wall-clock seconds).")
    status_hz: float = Field(
        1.0, gt=0, le=50, description="Signal readings per vehicle per second (what the profile samples)."
    )
    profile: Literal["default", "detailed"] = Field(
        "default", description="The vehicles' telemetry profile (edge/uplink/settings.py TelemetrySettings)."
    )
    episodes_per_hour: float = Field(
        3.0,
        ge=0,
        le=3600,
        description=("Driver-event episodes (start + end message) per vehicle per driving hour."),
    )
    connections: int = Field(20, ge=1, le=1000, description="MQTT connections the vehicles share.")
    seed: int = Field(1, description="Random seed of the event times (runs are repeatable).")
    parked: bool = Field(False, description="The vehicles stand still (no driver events): the parked hours.")
    hours_per_day: float = Field(
        8.0,
        gt=0,
        le=24,
        description="Hours of a vehicle-day like this run's (driving or parked): bytes per day.",
    )
    tag: str = Field(
        default_factory=lambda: "sim" + uuid.uuid4().hex[:6],
        pattern=r"^[A-Za-z0-9]{3,16}$",
        description="Prefix of vehicle ids and msg_ids of this run (tells its rows apart).",
    )

    def vehicle_ids(self) -> list[str]:
        return [f"{self.tag}-{i:05d}" for i in range(self.vehicles)]


@dataclass
class Vehicle:
    """One simulated vehicle's uplink state: the edge's samplers and batcher of its profile."""

    status: StatusSampler
    state: StateSampler
    batcher: SampleBatcher


class Summary:
    """A driver-state summary as the policy gives it (what StateSampler reads)."""

    def __init__(self, active: frozenset[str]):
        self.monitoring = True
        self.active = active
        self.fatigue_level = 20.0 if active else 5.0
        self.distraction_level = 10.0


@dataclass
class FleetPlan:
    """What the fleet sends in each tick (one tick = 1/status_hz seconds); no clock inside. `documents`
    counts the contract messages (a batch carries several), which the gateway stores one by one."""

    settings: FleetSettings
    documents: int = field(default=0, init=False)
    _rng: random.Random = field(init=False)
    _seq: int = field(default=0, init=False)
    _open: dict[int, tuple[str, str]] = field(default_factory=dict, init=False)  # vehicle -> (episode, type)

    def __post_init__(self):
        self._rng = random.Random(self.settings.seed)
        self.ids = self.settings.vehicle_ids()
        self.telemetry = TelemetrySettings(profile=self.settings.profile)
        t = self.telemetry
        self.vehicles = [
            Vehicle(StatusSampler(t), StateSampler(t), SampleBatcher(t.batch_window_s, t.batch_max))
            for _ in self.ids
        ]

    def _msg_id(self, kind: str) -> str:
        self._seq += 1
        return f"{self.settings.tag}{kind}{self._seq:010d}"

    def presence(self, state: str, ts: datetime) -> Iterator[tuple[str, bytes]]:
        for vid in self.ids:
            self.documents += 1
            yield encode(
                Presence(
                    vehicle_id=vid,
                    msg_id=self._msg_id("p"),
                    ts=ts,
                    state=state,
                    reason="simulated" if state == "offline" else None,
                )
            )

    def _event(self, index: int, ts: datetime, episode: tuple[str, str], phase: str, level: int = 1, **extra):
        """The vehicle's waiting samples first (as the edge does), then the event, at once."""
        yield from self._batches(self.vehicles[index].batcher.flush())
        self.documents += 1
        yield encode(
            DriverEvent(
                vehicle_id=self.ids[index],
                msg_id=self._msg_id("e"),
                ts=ts,
                level=level,
                type=episode[1],
                phase=phase,
                episode_id=episode[0],
                **extra,
            ),
            self.telemetry.encoding,
        )

    def _batches(self, batches: list[list]) -> Iterator[tuple[str, bytes]]:
        for batch in batches:
            self.documents += len(batch)
            yield encode_batch(batch, self.telemetry.encoding)

    def signals(self, index: int, tick: int) -> dict[str, float]:
        """A vehicle driving east at a speed that swings between 40 and 99 km/h (or standing)."""
        moving = not self.settings.parked
        km = 1000.0 + index + tick * 0.014 / self.settings.status_hz * moving
        return {
            "Vehicle.Speed": (40.0 + (index + tick) % 60) * moving,
            "Vehicle.TraveledDistance": km,
            "Vehicle.CurrentLocation.Latitude": 48.0 + index * 1e-3,
            "Vehicle.CurrentLocation.Longitude": 11.0 + (km - 1000.0 - index) / 74.5,  # 74.5 km per degree
            "Vehicle.CurrentLocation.Heading": 90.0,
            "Vehicle.Powertrain.FuelSystem.RelativeLevel": 60.0,
            "Vehicle.LowVoltageBattery.CurrentVoltage": 12.6,
        }

    def vehicle_tick(self, index: int, tick: int, ts: datetime) -> Iterator[tuple[str, bytes]]:
        """One vehicle's MQTT messages of one tick: the samples its profile sends (batched when the
        profile batches), and an event start or end at random."""
        s, vehicle = self.settings, self.vehicles[index]
        t = tick / s.status_hz
        status = VehicleStatus(
            vehicle_id=self.ids[index], msg_id=self._msg_id("s"), ts=ts, signals=self.signals(index, tick)
        )
        ready = vehicle.batcher.due(t)
        if vehicle.status.due(t, status.signals):
            ready += vehicle.batcher.add(t, status)
        summary = Summary(frozenset([self._open[index][1]]) if index in self._open else frozenset())
        if vehicle.state.due(t, summary):
            state = DriverState(
                vehicle_id=self.ids[index],
                msg_id=self._msg_id("d"),
                ts=ts,
                monitoring=True,
                fatigue_level=summary.fatigue_level,
                distraction_level=summary.distraction_level,
                active_events=sorted(summary.active),
            )
            ready += vehicle.batcher.add(t, state)
        yield from self._batches(ready)
        if index in self._open:
            if self._rng.random() < 0.25:  # episodes last ~4 ticks
                yield from self._event(index, ts, self._open.pop(index), "end", t=t)
        elif not s.parked and self._rng.random() < s.episodes_per_hour / 3600.0 / s.status_hz:
            episode = (f"ep{self._seq}", self._rng.choice(EVENT_TYPES))
            self._open[index] = episode
            level = 1 + self._rng.randrange(2)
            yield from self._event(index, ts, episode, "start", t=t, level=level, speed_kmh=60.0)

    def close_episodes(self, ts: datetime) -> Iterator[tuple[str, bytes]]:
        """End the open episodes and send every waiting sample (the end of the drive)."""
        for index, episode in sorted(self._open.items()):
            yield from self._event(index, ts, episode, "end")
        self._open.clear()
        for vehicle in self.vehicles:
            yield from self._batches(vehicle.batcher.flush())


@dataclass
class ResourceMeter:
    """CPU seconds and peak RSS of some processes, each with its children (a gateway's ingest workers),
    between start() and stop() (psutil)."""

    pids: dict[str, int]
    cpu_s: dict[str, float] = field(default_factory=dict)
    rss_peak_mb: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._procs = {name: psutil.Process(pid) for name, pid in self.pids.items()}
        self._cpu0 = {name: self._cpu(p) for name, p in self._procs.items()}
        self.sample()

    @staticmethod
    def _tree(proc) -> list:
        return [proc, *proc.children(recursive=True)]

    @classmethod
    def _cpu(cls, proc) -> float:
        total = 0.0
        for p in cls._tree(proc):
            try:
                t = p.cpu_times()
            except Exception:
                continue
            total += t.user + t.system
        return total

    def sample(self) -> None:
        for name, proc in self._procs.items():
            try:
                mb = sum(p.memory_info().rss for p in self._tree(proc)) / 2**20
            except Exception:
                continue
            self.rss_peak_mb[name] = max(self.rss_peak_mb.get(name, 0.0), mb)

    def stop(self) -> None:
        self.sample()
        self.wall_s = time.monotonic() - self._t0
        for name, proc in self._procs.items():
            try:
                if proc.status() == "zombie":  # killed during the run: its CPU time went with it
                    continue
            except Exception:
                continue
            try:
                self.cpu_s[name] = self._cpu(proc) - self._cpu0[name]
            except Exception:
                pass


@dataclass
class StorageBudget:
    """Bytes per vehicle-day, written and held, from the bytes per vehicle-hour measured (`hours_per_day`
    hours like the run's: driving, or parked; a day's total is the sum of both)."""

    hours_per_day: float = 8.0
    kept_days: dict[str, float] = field(default_factory=dict)
    """How many days of each table's rows the database holds at the default retention."""

    @classmethod
    def at_default_retention(cls, hours_per_day: float = 8.0) -> StorageBudget:
        from gateway.settings import GatewaySettings

        g = GatewaySettings()
        year = float(g.history_retention_days)
        return cls(
            hours_per_day,
            {
                "status_samples": g.raw_retention_days + 1.0,  # today and the days before it
                "odometer_log": g.raw_retention_days + 1.0,  # then one reading per vehicle-day
                "status_minutes": year,
                "processed_messages": g.processed_retention_days,
                "changes": g.changes_retention_h / 24.0,
                "driver_events": year,  # never pruned: a year of them
                "alerts": year,
            },
        )

    def lines(self, per_vehicle_hour: dict[str, float]) -> list[str]:
        h = self.hours_per_day
        written = {t: b * h for t, b in per_vehicle_hour.items()}
        held = {t: written[t] * self.kept_days.get(t, 0.0) for t in written}
        year = self.kept_days.get("status_minutes", 366.0)
        return [
            f"database written per vehicle-day ({h:g} hours like these): {sum(written.values()) / 1e6:.2f} MB ("
            + ", ".join(f"{t} {b / 1e3:.0f} KB" for t, b in sorted(written.items()) if b)
            + ")",
            f"database held per vehicle at the default retention, a year of per-minute history: "
            f"{sum(held.values()) / 1e6:.1f} MB = {sum(held.values()) / year / 1e6:.3f} MB per vehicle-day "
            "of history (" + ", ".join(f"{t} x {self.kept_days[t]:g} d" for t in self.kept_days) + ")",
        ]


@dataclass
class FleetReport:
    vehicles: int
    seconds: float
    sent: int
    stored: int
    dead_lettered: int
    lag_ms: dict[str, float]
    cpu_s: dict[str, float]
    rss_peak_mb: dict[str, float]
    publish_rate: float
    measured_s: float = 0.0
    load_avg: float = 0.0
    messages: int = 0
    """MQTT messages published (a batch is one; `sent` counts the contract messages in them)."""
    wire_bytes: int = 0
    """Bytes of the MQTT PUBLISH packets the vehicles sent (headers, topic, payload; no TCP/TLS)."""
    payload_bytes: int = 0
    db_bytes: dict[str, int] = field(default_factory=dict)
    """Growth of each table during the run (PostgreSQL: table + indexes + TOAST, all partitions)."""
    hours_per_day: float = 8.0

    @property
    def lost(self) -> int:
        return self.sent - self.stored - self.dead_lettered

    def lines(self) -> list[str]:
        out = [
            f"vehicles {self.vehicles}, {self.seconds:.0f} s: "
            f"sent {self.sent} ({self.publish_rate:.0f} MQTT msg/s), stored {self.stored}, "
            f"dead-lettered {self.dead_lettered}, lost {self.lost} "
            f"(machine load average {self.load_avg:.1f})",
            "lag publish->stored ms: " + ", ".join(f"{k} {v:.1f}" for k, v in self.lag_ms.items()),
        ]
        hours = self.vehicles * self.seconds / 3600
        if self.messages:
            out.append(
                f"wire: {self.messages} MQTT messages, {self.wire_bytes} bytes ({self.payload_bytes} of "
                f"payload): {self.wire_bytes / hours / 1e3:.1f} KB per vehicle-hour"
            )
        if self.db_bytes:
            rates = {t: b / hours for t, b in self.db_bytes.items()}
            out.append(
                f"database: {sum(self.db_bytes.values()) / 1e6:.1f} MB grown, "
                f"{sum(rates.values()) / 1e3:.1f} KB per vehicle-hour ("
                + ", ".join(f"{t} {r / 1e3:.1f}" for t, r in sorted(rates.items()) if r)
                + ")"
            )
            out += StorageBudget.at_default_retention(self.hours_per_day).lines(rates)
        for name, cpu in self.cpu_s.items():
            per_msg = cpu / self.sent * 1e6 if self.sent else 0.0
            share = cpu / (self.measured_s or self.seconds) * 100
            out.append(
                f"{name}: CPU {cpu:.1f} s ({share:.0f} % of one core, {per_msg:.0f} us/msg), "
                f"peak RSS {self.rss_peak_mb.get(name, 0):.0f} MB"
            )
        return out


def postgres_backends(db_url: str) -> dict[str, int]:
    """PostgreSQL server processes serving `db_url`'s database on this machine (by process title)."""
    from sqlalchemy.engine import make_url

    name = make_url(db_url).database
    found = {}
    for proc in psutil.process_iter(["cmdline"]):
        title = " ".join(proc.info["cmdline"] or ())
        if title.startswith("postgres: ") and f" {name} " in f"{title} ":
            found[f"postgres backend {proc.pid}"] = proc.pid
    return found


def register_fleet(db_url: str, vehicle_ids: list[str], now: datetime, dealer: str = "SIM") -> None:
    """Register the simulated vehicles (idempotent), as an operator would before they drive."""
    from gateway.db.models import Dealer, Vehicle
    from gateway.db.session import make_engine, make_sessionmaker, session_scope
    from gateway.db.upsert import insert_ignore

    engine = make_engine(db_url)
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            insert_ignore(db, Dealer.__table__, [{"code": dealer, "name": "Simulated dealer"}])
            insert_ignore(
                db,
                Vehicle.__table__,
                [
                    {
                        "vehicle_id": vid,
                        "model": "Sim",
                        "dealer_code": dealer,
                        "status": "active",
                        "archived": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for vid in vehicle_ids
                ],
            )
    finally:
        engine.dispose()


def count_outcome(db_url: str, tag: str) -> tuple[int, int, list[float]]:
    """(stored, dead-lettered, lags in ms) of this run's messages, found by their msg_id / topic prefix."""
    from gateway.db.models import DeadLetter, ProcessedMessage
    from gateway.db.session import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(ProcessedMessage.ts, ProcessedMessage.received_at).where(
                    ProcessedMessage.msg_id.startswith(tag)
                )
            ).all()
            dead = conn.scalar(
                select(func.count()).select_from(DeadLetter).where(DeadLetter.topic.contains(f"/{tag}-"))
            )
    finally:
        engine.dispose()
    lags = [(_utc(r.received_at) - _utc(r.ts)).total_seconds() * 1000 for r in rows]
    return len(rows), dead or 0, lags


def applied_twice(db_url: str, tag: str) -> tuple[int, int]:
    """(status rows, distinct status msg_ids) of this run in the history: equal when nothing was applied
    twice (`processed_messages` cannot tell: its key is the msg_id)."""
    from gateway.db.models import StatusSample
    from gateway.db.session import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            mine = StatusSample.msg_id.startswith(tag)
            rows = conn.scalar(select(func.count()).select_from(StatusSample).where(mine))
            distinct = conn.scalar(select(func.count(func.distinct(StatusSample.msg_id))).where(mine))
    finally:
        engine.dispose()
    return rows, distinct


def lag_by_window(db_url: str, tag: str, window_s: float = 10.0) -> list[tuple[float, int, dict[str, float]]]:
    """(window start in seconds since the run's first message, messages, lag percentiles) per window of
    publish time: shows a lag growing at a fault and recovering."""
    from gateway.db.models import ProcessedMessage
    from gateway.db.session import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(ProcessedMessage.ts, ProcessedMessage.received_at).where(
                    ProcessedMessage.msg_id.startswith(tag)
                )
            ).all()
    finally:
        engine.dispose()
    if not rows:
        return []
    t0 = min(_utc(r.ts) for r in rows)
    windows: dict[int, list[float]] = {}
    for r in rows:
        key = int((_utc(r.ts) - t0).total_seconds() // window_s)
        windows.setdefault(key, []).append((_utc(r.received_at) - _utc(r.ts)).total_seconds() * 1000)
    return [(k * window_s, len(v), percentiles(v)) for k, v in sorted(windows.items())]


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    qs = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    return {"p50": qs[49], "p99": qs[98], "max": max(values)}


def publish_packet_bytes(topic: str, payload: bytes, *, v5: bool = True) -> int:
    """Size of a QoS 1 MQTT PUBLISH packet: fixed header (type byte + remaining length), topic, packet id,
    MQTT 5's property length (no properties), payload."""
    remaining = 2 + len(topic.encode()) + 2 + (1 if v5 else 0) + len(payload)
    header = 1 + next(n for n in (1, 2, 3, 4) if remaining < 128**n)
    return header + remaining


def table_bytes(db_url: str) -> dict[str, int]:
    """PostgreSQL: bytes of each gateway table with its indexes, TOAST and partitions; {} on SQLite."""
    from sqlalchemy import text

    from gateway.db.models import GATEWAY_TABLES
    from gateway.db.session import make_engine

    if not db_url.startswith("postgresql"):
        return {}
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                t: int(
                    conn.scalar(
                        # pg_partition_tree has no row for a plain table: its own size then
                        text(
                            "SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) "
                            "FROM pg_partition_tree(:t)), pg_total_relation_size(:t))"
                        ),
                        {"t": t},
                    )
                )
                for t in sorted(GATEWAY_TABLES)
            }
    finally:
        engine.dispose()


class FleetPublisher:
    """`connections` paho clients; publish() spreads messages over them, wait() waits for every PUBACK."""

    def __init__(self, mqtt_url: str, connections: int, tag: str, *, v5: bool = True):
        """`mqtt_url`: one broker, or several comma-separated (connections spread over them);
        `v5` False: MQTT 3.1.1 (NATS's MQTT listener speaks only that)."""
        from tools.load.loadgen import connect

        urls = mqtt_url.split(",")
        self.clients = [connect(urls[i % len(urls)], f"{tag}-pub{i}", v5=v5) for i in range(connections)]
        # PUBACKs counted per client: paho re-sends what was in flight when a connection broke, and a
        # message published while disconnected has an error code although paho sends it later.
        self.sent = [0] * connections
        self.acked = [0] * connections
        for i, client in enumerate(self.clients):
            client.on_publish = lambda *_, i=i: self._acked(i)
        self._lock = threading.Lock()
        self._next = 0
        self.v5 = v5
        self.wire_bytes = self.payload_bytes = 0

    def _acked(self, client: int) -> None:
        with self._lock:
            self.acked[client] += 1

    def publish(self, topic: str, payload: bytes, client: int | None = None) -> None:
        if client is None:
            client, self._next = self._next, (self._next + 1) % len(self.clients)
        client %= len(self.clients)
        self.clients[client].publish(topic, payload, qos=1)
        self.sent[client] += 1
        self.wire_bytes += publish_packet_bytes(topic, payload, v5=self.v5)
        self.payload_bytes += len(payload)

    def wait(self, timeout: float) -> int:
        """Wait for the PUBACKs; the number of messages the broker acknowledged."""
        deadline = time.monotonic() + timeout
        while sum(self.acked) < sum(self.sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        return sum(self.acked)

    def close(self) -> None:
        for c in self.clients:
            c.disconnect()
            c.loop_stop()


def run_fleet(
    settings: FleetSettings,
    mqtt_url: str,
    db_url: str,
    *,
    clock: Clock,
    meter: ResourceMeter | None = None,
    drain_timeout: float = 120.0,
    progress: Callable[[str], None] = lambda _: None,
    v5: bool = True,
    on_tick: Callable[[float], None] = lambda _: None,
) -> FleetReport:
    """Drive the fleet for settings.seconds, wait until the gateway stored everything, report.
    `on_tick(seconds driven)` runs after each tick (e.g. to kill a broker node at a given time)."""
    plan = FleetPlan(settings)
    register_fleet(db_url, plan.ids, clock())
    before = table_bytes(db_url)
    pub = FleetPublisher(mqtt_url, settings.connections, settings.tag, v5=v5)
    period = 1.0 / settings.status_hz
    ticks = max(1, round(settings.seconds * settings.status_hz))
    sent = 0  # MQTT messages; plan.documents: the contract messages in them
    try:
        for topic, payload in plan.presence("online", clock()):
            pub.publish(topic, payload)
            sent += 1
        if meter:
            meter.start()
        began = time.monotonic()
        for tick in range(ticks):
            # Spread each tick's vehicles over the tick, as real vehicles are not synchronised.
            for index in range(len(plan.ids)):
                due = began + (tick + index / len(plan.ids)) * period
                if (wait := due - time.monotonic()) > 0.002:
                    time.sleep(wait)
                for topic, payload in plan.vehicle_tick(index, tick, clock()):
                    pub.publish(topic, payload, client=index)
                    sent += 1
            if meter:
                meter.sample()
            on_tick((tick + 1) * period)
            if tick % max(1, round(10 * settings.status_hz)) == 0:
                progress(f"t={tick * period:.0f} s sent {plan.documents} in {sent} MQTT messages")
        for topic, payload in [*plan.close_episodes(clock()), *plan.presence("offline", clock())]:
            pub.publish(topic, payload)
            sent += 1
        publish_s = time.monotonic() - began
        acked = pub.wait(timeout=drain_timeout)
        if acked != sent:
            progress(f"only {acked} of {sent} acknowledged by the broker")
    finally:
        pub.close()
    deadline = time.monotonic() + drain_timeout
    while True:
        stored, dead, lags = count_outcome(db_url, settings.tag)
        if meter:
            meter.sample()
        if stored + dead >= plan.documents or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if meter:
        meter.stop()
    after = table_bytes(db_url)
    return FleetReport(
        vehicles=settings.vehicles,
        seconds=settings.seconds,
        sent=plan.documents,
        messages=sent,
        wire_bytes=pub.wire_bytes,
        payload_bytes=pub.payload_bytes,
        db_bytes={t: after[t] - before.get(t, 0) for t in after},
        hours_per_day=settings.hours_per_day,
        stored=stored,
        dead_lettered=dead,
        lag_ms=percentiles(lags),
        cpu_s=dict(meter.cpu_s) if meter else {},
        rss_peak_mb=dict(meter.rss_peak_mb) if meter else {},
        publish_rate=sent / publish_s,
        measured_s=meter.wall_s if meter else 0.0,
        load_avg=os.getloadavg()[1],
    )


def wall_clock() -> datetime:
    """The one real clock of the simulator, injected into run_fleet by the command line."""
    return datetime.now(UTC)


@dataclass
class Chaos:
    """What a run kills, and when (seconds driven): one NATS node (not the stream's leader unless
    `leader`) and one gateway process, both with SIGKILL. Also samples the consumer's backlog."""

    cluster: object  # tools.load.nats_cluster.NatsCluster
    group: str
    gateways: list  # tools.demo.processes.Child
    node_at: float | None = None
    gateway_at: float | None = None
    leader: bool = False
    spare: int = 0  # the node the vehicles publish to: never killed
    log: list[str] = field(default_factory=list)
    backlog: list[tuple[float, int]] = field(default_factory=list)  # (seconds, pending + ack pending)

    def victim(self) -> int:
        from tools.load.nats_cluster import STREAM, jetstream_state

        leader = jetstream_state(self.cluster.nats_urls, STREAM, self.group)["stream_leader"]
        names = [n.name for n in self.cluster.nodes]
        if self.leader:
            return names.index(leader)
        return next(i for i, n in enumerate(names) if n != leader and i != self.spare)

    def __call__(self, t: float) -> None:
        import signal

        if self.node_at is not None and t >= self.node_at:
            self.node_at = None
            index = self.victim()
            self.cluster.kill(index)
            self.log.append(
                f"t={t:.0f} s: kill -9 NATS node {self.cluster.nodes[index].name}"
                f"{' (the stream leader)' if self.leader else ''}"
            )
        if self.gateway_at is not None and t >= self.gateway_at and self.gateways:
            self.gateway_at = None
            os.kill(self.gateways[0].proc.pid, signal.SIGKILL)
            self.log.append(f"t={t:.0f} s: kill -9 gateway {self.gateways[0].name}")

    def watch(self, stop) -> None:
        """Every 2 s until `stop` is set: the consumer's backlog (a thread beside the publisher)."""
        from tools.load.nats_cluster import STREAM, jetstream_state

        began = time.monotonic()
        while not stop.wait(2.0):
            try:
                state = jetstream_state(self.cluster.nats_urls, STREAM, self.group)
            except Exception:
                continue
            self.backlog.append((time.monotonic() - began, state["pending"] + state["ack_pending"]))


@click.command("simulate")
@click.option(
    "--mqtt",
    "mqtt_url",
    default=None,
    metavar="URL",
    help="Broker the vehicles publish to, e.g. mqtt://127.0.0.1:1883 (several: comma-separated).",
)
@click.option(
    "--db", "db_url", required=True, metavar="URL", help="The gateway's database (to count what it stored)."
)
@click.option("--vehicles", type=click.IntRange(1), default=200, show_default=True)
@click.option("--seconds", type=click.FloatRange(min=1), default=30, show_default=True)
@click.option(
    "--connections",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="MQTT connections the simulated vehicles share.",
)
@click.option(
    "--episodes-per-hour",
    type=click.FloatRange(0, 3600),
    default=3.0,
    show_default=True,
    help="Driver-event episodes per vehicle per hour.",
)
@click.option(
    "--gateways",
    type=click.IntRange(0, 16),
    default=1,
    show_default=True,
    help="Start this many `dms gateway run` processes in a fresh group (0: one runs already).",
)
@click.option(
    "--profile",
    type=click.Choice(["default", "detailed"]),
    default="default",
    show_default=True,
    help="The vehicles' telemetry profile: default (on change + heartbeats, batched, CBOR) or detailed "
    "(1 Hz state and status, JSON).",
)
@click.option("--parked", is_flag=True, help="The vehicles stand (engine off, no events): the parked hours.")
@click.option(
    "--hours-per-day",
    type=click.FloatRange(0.1, 24),
    default=8.0,
    show_default=True,
    help="Hours of a vehicle-day like this run (driving, or --parked) for the bytes per vehicle-day printed.",
)
@click.option("--broker-pid", type=int, default=None, help="Also measure the broker's CPU and memory.")
@click.option(
    "--bus",
    "bus_url",
    default=None,
    metavar="URL",
    help="What the gateways consume (default: --mqtt), e.g. a NATS cluster nats://h1:4222,h2:4222.",
)
@click.option(
    "--nats-cluster",
    type=click.IntRange(0, 5),
    default=0,
    show_default=True,
    help="Start a local NATS cluster of this many nodes (JetStream + MQTT listener) as the bus; "
    "vehicles publish MQTT to one node, gateways consume the replicated stream.",
)
@click.option(
    "--kill-node-at",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="--nats-cluster: kill -9 one node (a stream follower, see --kill-leader) this far into the run.",
)
@click.option("--kill-leader", is_flag=True, help="--kill-node-at kills the stream's leader.")
@click.option(
    "--kill-gateway-at",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="kill -9 the first gateway process this far into the run.",
)
def simulate(
    mqtt_url,
    db_url,
    vehicles,
    seconds,
    connections,
    episodes_per_hour,
    gateways,
    profile,
    parked,
    hours_per_day,
    broker_pid,
    bus_url,
    nats_cluster,
    kill_node_at,
    kill_leader,
    kill_gateway_at,
):
    """Drive N simulated vehicles through broker + gateway + database; print loss, lag, resource use and
    bytes per vehicle-hour on the wire and in the database (PostgreSQL), and per vehicle-day."""
    import tempfile
    from pathlib import Path

    from dms.errors import UserError
    from gateway.db.migrate import upgrade
    from tools.demo.processes import Child, dms_command, wait_until
    from tools.load.loadgen import clear_sessions
    from tools.load.nats_cluster import NatsCluster

    settings = FleetSettings(
        vehicles=vehicles,
        seconds=seconds,
        connections=connections,
        episodes_per_hour=episodes_per_hour,
        profile=profile,
        parked=parked,
        hours_per_day=hours_per_day,
    )
    if (mqtt_url is None) == (nats_cluster == 0):
        raise UserError("give either --mqtt URL or --nats-cluster N")
    if kill_node_at is not None and nats_cluster < 3:
        raise UserError("--kill-node-at needs --nats-cluster 3 or more (a replicated stream)")
    upgrade(db_url)
    logs = Path(tempfile.mkdtemp(prefix=f"dms-{settings.tag}-"))
    cluster = NatsCluster(logs / "nats", size=nats_cluster).start() if nats_cluster else None
    if cluster is not None:
        mqtt_url, bus_url = cluster.nodes[0].mqtt_url, cluster.nats_urls
    bus_url = bus_url or mqtt_url
    nats = bus_url.startswith("nats://")
    config = logs / "gateway.yaml"
    config.write_text("ack_wait_s: 10\n" if nats else "{}\n")  # a killed gateway's share comes back in 10 s

    def bus_of(i: int) -> str:  # with a local cluster, each gateway's nearest node is another one
        if cluster is None:
            return bus_url
        urls = [n.nats_url for n in cluster.nodes]
        first = (i + 1) % len(urls)
        return ",".join(urls[first:] + urls[:first])

    children = [
        Child(
            f"gw{i}",
            dms_command(
                "gateway",
                "run",
                "--bus",
                bus_of(i),
                "--db",
                db_url,
                "--group",
                settings.tag,
                "--client-id",
                f"{settings.tag}-gw{i}",
                "--session-expiry",
                "60",
                "--http",
                "127.0.0.1:0",  # several gateways on one host: any free health/metrics port
                "--config",
                str(config),
            ),
            logs / f"gw{i}.log",
        )
        for i in range(gateways)
    ]
    chaos = (
        Chaos(cluster, settings.tag, children, kill_node_at, kill_gateway_at, kill_leader)
        if nats or kill_gateway_at is not None
        else None
    )
    stop_watch = threading.Event()
    try:
        for child in children:
            child.start()
            wait_until(
                lambda c=child: "gateway: consuming" in c.log_path.read_text() or not c.running(),
                60,
                what=f"{child.name} to subscribe",
            )
            if not child.running():
                raise UserError(f"gateway {child.name} did not start: {child.tail(1)}")
        pids = {f"gateway {c.name}": c.proc.pid for c in children}
        if broker_pid:
            pids["broker"] = broker_pid
        if cluster is not None:
            pids.update({f"nats {n.name}": n.proc.pid for n in cluster.nodes})
        if db_url.startswith("postgresql"):
            pids.update(postgres_backends(db_url))
        if chaos is not None and cluster is not None:
            from tools.load.nats_cluster import STREAM, jetstream_state

            # the vehicles' node: one that is not killed (a load balancer would move them)
            leader = jetstream_state(cluster.nats_urls, STREAM, settings.tag)["stream_leader"]
            chaos.spare = next(
                i for i, n in enumerate(cluster.nodes) if not (kill_leader and n.name == leader)
            )
            mqtt_url = cluster.nodes[chaos.spare].mqtt_url
            threading.Thread(target=chaos.watch, args=(stop_watch,), daemon=True).start()
        report = run_fleet(
            settings,
            mqtt_url,
            db_url,
            clock=wall_clock,
            meter=ResourceMeter(pids),
            progress=lambda line: click.echo(line, err=True),
            v5=cluster is None,
            on_tick=chaos or (lambda _: None),
        )
    finally:
        stop_watch.set()
        for child in children:
            child.stop()
        if children and not nats:
            clear_sessions(mqtt_url, [f"{settings.tag}-gw{i}" for i in range(gateways)])
        if cluster is not None:
            cluster.stop()
    for line in report.lines():
        click.echo(line)
    rows, distinct = applied_twice(db_url, settings.tag)
    click.echo(f"status history: {rows} rows, {distinct} distinct msg_ids: {rows - distinct} applied twice")
    for child in children:
        summary = [line for line in child.tail(50).splitlines() if line.startswith("gateway: stopped")]
        click.echo(f"{child.name}: {summary[-1] if summary else 'killed (no summary)'}")
    if chaos is not None:
        for line in chaos.log:
            click.echo(line)
        if chaos.backlog:
            click.echo(
                "consumer backlog (pending + unacknowledged) every 10 s: "
                + ", ".join(f"{t:.0f} s {n}" for t, n in chaos.backlog[::5])
            )
    click.echo(
        "lag by 10 s of publish time (p50/p99/max ms): "
        + "; ".join(
            f"{t:.0f} s {p.get('p50', 0):.0f}/{p.get('p99', 0):.0f}/{p.get('max', 0):.0f}"
            for t, _, p in lag_by_window(db_url, settings.tag)
        )
    )
    if report.lost or rows != distinct:
        raise UserError(f"{report.lost} messages lost, {rows - distinct} applied twice (logs in {logs})")
