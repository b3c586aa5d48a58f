"""Gateway ingest throughput: messages/s committed into PostgreSQL vs a bare paho subscriber.

    .venv/bin/python benchmarks/bench_gateway.py [--messages 30000] [--vehicles 100] [--gateways 1]
                                                [--mqtt URL] [--pg URL] [--json OUT] [--nats]

With --nats the same is measured on the clustered path: a private 3-node NATS cluster (JetStream and the
MQTT listener, tools/load/nats_cluster.py), the publisher sending MQTT 3.1.1 QoS 1 to one node, the
gateways consuming with `--bus nats://...`, and the reference a bare JetStream pull consumer (nats-py,
its own durable consumer on the same stream, parsing each payload and acknowledging each message).

Both consumers receive the same stream from a publisher in another process, QoS 1, through Mosquitto.
By default a private Mosquitto is started on a free port with an unbounded queue, so that a consumer
slower than the publisher is measured at its own pace instead of losing messages to the broker's
default limit of 1000 queued messages per client. Rates are taken at the consumer: the bare
subscriber times its first and last message (it also parses each JSON payload); the gateway's span
runs from the start of its first batch (`processed_messages.received_at`, the gateway's clock when it
took the batch) to the poll that finds every message committed. (Earlier versions ran it from the
first to the last batch start, which left out the last batch, and more with batches in flight.)
The bare subscriber runs before and after the gateway and its reference rate is the mean of the two
(the machine's load moves between runs); each consumer's broker session is dropped after its run, so
that the broker does not also queue the next run's stream for it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

START = datetime(2026, 1, 1, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_private_broker(workdir: Path) -> tuple[subprocess.Popen, str]:
    """A Mosquitto of our own: unbounded queues, no persistence."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = _free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\nlog_dest none\n"
    )
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"mqtt://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the private Mosquitto did not start")


def _child(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, *args], **kwargs)


# --- child roles -----------------------------------------------------------------------------------


def role_publisher(args) -> None:
    from tools.load.loadgen import publish, status_messages

    vids = [f"B{args.tag}-{i:05d}" for i in range(args.vehicles)]
    items = list(status_messages(vids, args.messages, START, tag=f"b{args.tag}"))
    t0 = time.perf_counter()
    publish(args.mqtt, items, v5=not args.nats)
    elapsed = time.perf_counter() - t0
    print(
        json.dumps({"published": len(items), "publish_s": elapsed, "publish_rate": len(items) / elapsed}),
        flush=True,
    )


def _cpu_per_message(cpu_s: float, n: int) -> dict:
    """The consumer's own CPU from its first message on (start-up is not a cost per message)."""
    return {"cpu_us_per_message": cpu_s / max(n, 1) * 1e6}


def role_js_consumer(args) -> None:
    """A bare JetStream consumer: the gateways' stream, a durable pull consumer of its own, fetches in
    batches, parses each payload, acknowledges each message, counts (`--prime`: only make the consumer)."""
    import asyncio

    import nats
    from nats.js.api import AckPolicy, ConsumerConfig

    from gateway.jetstream import SUBJECTS
    from tools.load.nats_cluster import STREAM

    async def run() -> dict:
        nc = await nats.connect(args.nats.split(","))
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            SUBJECTS,
            durable=f"bare-{args.tag}",
            stream=STREAM,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, max_ack_pending=100_000),
        )
        print("ready", flush=True)
        n, first, last = 0, None, None
        deadline = time.monotonic() + args.timeout
        while not args.prime and n < args.messages and time.monotonic() < deadline:
            try:
                msgs = await sub.fetch(500, timeout=1)
            except TimeoutError:  # nats.errors.TimeoutError or asyncio's: fetch raises either
                continue
            for msg in msgs:
                json.loads(msg.data)
                await msg.ack()
                now = time.perf_counter()
                if first is None:
                    first, cpu0 = now, time.process_time()
                n, last = n + 1, now
        cpu = time.process_time() - cpu0 if n else 0.0
        await nc.flush()
        await nc.close()
        span = (last - first) if n > 1 else float("nan")
        return {
            "received": n,
            "span_s": span,
            "rate": (n - 1) / span if span else 0,
            **_cpu_per_message(cpu, n),
        }

    out = asyncio.run(run())
    if not args.prime:
        print(json.dumps(out), flush=True)


def role_subscriber(args) -> None:
    """A bare subscriber: QoS 1, automatic acks, parses each payload, counts."""
    if args.nats:
        role_js_consumer(args)
        return
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    from dms.contract import SUBSCRIPTION
    from gateway.mqtt import parse_broker_url

    address = parse_broker_url(args.mqtt)
    state = {"n": 0, "first": None, "last": None, "cpu0": 0.0}

    def on_message(client, userdata, msg):
        json.loads(msg.payload)
        now = time.perf_counter()
        if state["first"] is None:
            state["first"], state["cpu0"] = now, time.process_time()
        state["n"] += 1
        state["last"] = now

    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bare-{args.tag}", protocol=paho.MQTTv5)
    client.on_message = on_message
    subscribed = []
    client.on_subscribe = lambda *a: (subscribed.append(1), print("ready", flush=True))

    def on_connect(c, userdata, flags, reason_code, properties):
        if flags.session_present:  # backlog mode: the subscription is in the session, messages are coming
            subscribed.append(1)
            print("ready", flush=True)
        else:
            c.subscribe(SUBSCRIPTION, qos=1)

    client.on_connect = on_connect
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 600  # the backlog mode subscribes, leaves, and comes back for the queue
    client.connect(address.host, address.port, clean_start=False, properties=props)
    if args.prime:
        while not subscribed:
            client.loop(timeout=0.1)
        client.disconnect()
        return
    deadline = time.monotonic() + args.timeout
    while state["n"] < args.messages and time.monotonic() < deadline:
        client.loop(timeout=0.1)
    client.disconnect()
    n = state["n"]
    cpu = time.process_time() - state["cpu0"] if n else 0.0
    span = (state["last"] - state["first"]) if n > 1 else float("nan")
    print(
        json.dumps(
            {"received": n, "span_s": span, "rate": (n - 1) / span if span else 0, **_cpu_per_message(cpu, n)}
        ),
        flush=True,
    )


# --- the two measurements ------------------------------------------------------------------------


def _publish(common: list[str]) -> dict:
    pub = _child("_publisher", *common, stdout=subprocess.PIPE, text=True)
    return json.loads(pub.communicate(timeout=600)[0])


def measure_bare(
    mqtt: str, messages: int, vehicles: int, tag: str, timeout: float, backlog: bool, nats: str | None = None
) -> dict:
    """live: publisher and subscriber run together; backlog: the broker holds the whole stream first."""
    common = [
        "--mqtt",
        mqtt,
        "--messages",
        str(messages),
        "--vehicles",
        str(vehicles),
        "--tag",
        tag,
        *(["--nats", nats] if nats else []),
    ]
    published = None
    if backlog:
        subprocess.run(
            [sys.executable, __file__, "_subscriber", *common, "--prime"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        published = _publish(common)
    sub = _child("_subscriber", *common, "--timeout", str(timeout), stdout=subprocess.PIPE, text=True)
    assert sub.stdout.readline().strip() == "ready"
    broker_cpu_s = _broker_cpu_seconds()
    pub = None if backlog else _child("_publisher", *common, stdout=subprocess.PIPE, text=True)
    out, _ = sub.communicate(timeout=timeout + 30)
    broker_cpu_s = _broker_cpu_seconds() - broker_cpu_s
    if pub is not None:
        published = json.loads(pub.communicate(timeout=60)[0])
    received = json.loads(out.strip().splitlines()[-1])
    return {
        **received,
        **published,
        "broker_cpu_us_per_message": broker_cpu_s / max(received["received"], 1) * 1e6,
    }


def measure_bare_around(
    mqtt: str,
    messages: int,
    vehicles: int,
    tag: str,
    timeout: float,
    backlog: bool,
    measure_gateway_between,
    nats: str | None = None,
) -> tuple[dict, dict]:
    """(bare subscriber, gateway): the bare one before and after the gateway, rate the mean of both."""

    def bare_once() -> dict:
        try:
            return measure_bare(mqtt, messages, vehicles, tag, timeout, backlog, nats)
        finally:
            forget_consumers(mqtt, nats, [f"bare-{tag}"])

    runs = [bare_once()]
    gateway = measure_gateway_between()
    runs.append(bare_once())
    bare = {
        "rate": sum(r["rate"] for r in runs) / len(runs),
        "cpu_us_per_message": sum(r["cpu_us_per_message"] for r in runs) / len(runs),
        "broker_cpu_us_per_message": sum(r["broker_cpu_us_per_message"] for r in runs) / len(runs),
        "received": min(r["received"] for r in runs),
        "publish_rate": runs[0]["publish_rate"],
        "runs": runs,
    }
    return bare, gateway


def forget_consumers(mqtt: str, nats: str | None, names: list[str]) -> None:
    """Drop what the broker keeps for these consumers (MQTT sessions; NATS durable consumers), so that
    it does not also hold the next run's stream for them."""
    if nats is None:
        from tools.load.loadgen import clear_sessions

        clear_sessions(mqtt, names)
        return
    import asyncio

    import nats as nats_client
    from nats.js.errors import NotFoundError

    from gateway.jetstream import SUBJECTS
    from tools.load.nats_cluster import STREAM

    async def drop() -> None:
        nc = await nats_client.connect(nats.split(","))
        js = nc.jetstream()
        for name in names:
            try:
                await js.delete_consumer(STREAM, name)
            except NotFoundError:
                pass
        # nats-server 2.9 keeps messages whose only interested consumer was deleted: the next run's
        # consumer (same msg_ids in a mode) would start with them
        await js.purge_stream(STREAM, subject=SUBJECTS.replace("*.*", ">"))
        await nc.close()

    asyncio.run(drop())


def measure_gateway(
    mqtt: str,
    pg_url: str,
    messages: int,
    vehicles: int,
    gateways: int,
    tag: str,
    timeout: float,
    workdir: Path,
    backlog: bool,
    gateway_args: tuple[str, ...] = (),
    nats: str | None = None,
) -> dict:
    from sqlalchemy import func, select

    from gateway.db.migrate import upgrade
    from gateway.db.models import DeadLetter, ProcessedMessage, Vehicle
    from gateway.db.session import make_engine, session_scope

    upgrade(pg_url)
    engine = make_engine(pg_url)
    with session_scope(engine) as db:
        db.add_all(
            Vehicle(
                vehicle_id=f"B{tag}-{i:05d}",
                status="active",
                archived=False,
                created_at=START,
                updated_at=START,
            )
            for i in range(vehicles)
        )
    common = [
        "--mqtt",
        mqtt,
        "--messages",
        str(messages),
        "--vehicles",
        str(vehicles),
        "--tag",
        tag,
        *(["--nats", nats] if nats else []),
    ]
    bus = nats or mqtt
    procs, logs, published = [], [], None
    if backlog:  # subscribe once, leave (the session stays), let the broker take the whole stream
        procs, logs = _start_gateways(bus, pg_url, gateways, tag, workdir, gateway_args)
        _stop(procs, logs)
        published = _publish(common)
    try:
        procs, logs = _start_gateways(bus, pg_url, gateways, tag, workdir, gateway_args)
        # CPU from here on: start-up (imports, spawning the workers) is not a cost per message
        start_cpu = [_gateway_cpu_seconds(p.pid) for p in procs]
        postgres_cpu_s, broker_cpu_s = _postgres_cpu_seconds(), _broker_cpu_seconds()
        t0 = time.perf_counter()
        pub = None if backlog else _child("_publisher", *common, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        count = 0
        while count < messages and time.monotonic() < deadline:
            # The gateway's span ends at the poll that sees the last commit: polled every 0.1 s, that
            # added 50 ms on average to spans of ~1 s (the bare consumer times itself exactly). A count
            # over these tables costs PostgreSQL well under a millisecond.
            time.sleep(0.02)
            with engine.connect() as conn:
                count = conn.scalar(select(func.count()).select_from(ProcessedMessage))
        all_committed = datetime.now(UTC)  # at most one poll late: errs against the gateway
        postgres_cpu_s = _postgres_cpu_seconds() - postgres_cpu_s
        broker_cpu_s = _broker_cpu_seconds() - broker_cpu_s
        wall = time.perf_counter() - t0
        if pub is not None:
            published = json.loads(pub.communicate(timeout=60)[0])
        with engine.connect() as conn:
            first = conn.scalar(select(func.min(ProcessedMessage.received_at)))
            dead = conn.scalar(select(func.count()).select_from(DeadLetter))
        cpu = [
            (own - own0, workers - workers0)
            for (own, workers), (own0, workers0) in zip(
                (_gateway_cpu_seconds(p.pid) for p in procs), start_cpu, strict=True
            )
        ]
        main_cpu_s, worker_cpu_s = sum(own for own, _ in cpu), sum(workers for _, workers in cpu)
    finally:
        _stop(procs, logs)
        batches = _batches_committed(workdir, gateways)
        engine.dispose()
        forget_consumers(
            mqtt, nats, [f"bench{tag}"] if nats else [f"bench{tag}-{g}" for g in range(gateways)]
        )
    span = (all_committed - first).total_seconds() if count else float("nan")
    return {
        "stored": count,
        "dead_letters": dead,
        "span_s": span,
        "rate": count / span if count else 0,
        "gateway_cpu_us_per_message": (main_cpu_s + worker_cpu_s) / max(count, 1) * 1e6,
        "gateway_receive_process_cpu_us_per_message": main_cpu_s / max(count, 1) * 1e6,
        "postgres_cpu_us_per_message": postgres_cpu_s / max(count, 1) * 1e6,
        "broker_cpu_us_per_message": broker_cpu_s / max(count, 1) * 1e6,
        "batches": batches,
        "wall_s_from_publish_start": wall,
        **published,
    }


def _start_gateways(
    bus: str, pg_url: str, gateways: int, tag: str, workdir: Path, gateway_args: tuple[str, ...] = ()
):
    """Start every gateway at once, as a deployment's service manager does, and wait until all consume
    (one after the other, the later ones' start-up would fall into the earlier ones' measured span)."""
    procs, logs, paths, before = [], [], [], []
    for g in range(gateways):
        path = workdir / f"gateway{g}.log"
        paths.append(path)
        before.append(path.read_text().count("gateway: consuming") if path.exists() else 0)
        log = open(path, "a")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tools.cli",
                    "gateway",
                    "run",
                    "--bus",
                    bus,
                    "--db",
                    pg_url,
                    "--group",
                    f"bench{tag}",
                    "--client-id",
                    f"bench{tag}-{g}",
                    "--http",
                    "127.0.0.1:0",  # several gateways on one host: any free health/metrics port
                    *gateway_args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 60
    for g, path in enumerate(paths):
        while path.read_text().count("gateway: consuming") <= before[g]:
            if time.monotonic() > deadline or procs[g].poll() is not None:
                raise SystemExit(f"gateway {g} did not start:\n{path.read_text()}")
            time.sleep(0.1)
    return procs, logs


def _cpu_seconds(process) -> float:
    """User + system CPU time of a running psutil.Process (0 if it exited meanwhile)."""
    try:
        t = process.cpu_times()
    except Exception:
        return 0.0
    return t.user + t.system


def _gateway_cpu_seconds(pid: int) -> tuple[float, float]:
    """(the gateway process, its descendants: ingest workers and multiprocessing's helpers)."""
    import psutil

    gateway = psutil.Process(pid)
    return _cpu_seconds(gateway), sum(_cpu_seconds(c) for c in gateway.children(recursive=True))


def _postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL server process on this machine (those that exited are not counted:
    take it before and after a run in which connections stay open)."""
    return _cpu_seconds_of(("postgres",))


def _broker_cpu_seconds() -> float:
    """CPU time of the brokers on this machine (every NATS node, every Mosquitto)."""
    return _cpu_seconds_of(("nats-server", "mosquitto"))


def _cpu_seconds_of(names: tuple[str, ...]) -> float:
    import psutil

    return sum(_cpu_seconds(p) for p in psutil.process_iter(["name"]) if p.info["name"] in names)


def _batches_committed(workdir: Path, gateways: int) -> int:
    """Batches the gateways committed in their last run, from the line each logs when it stops."""
    total = 0
    for g in range(gateways):
        found = re.findall(r"gateway: stopped after (\d+) batches", (workdir / f"gateway{g}.log").read_text())
        total += int(found[-1]) if found else 0
    return total


def _stop(procs, logs) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(30)
    for log in logs:
        log.close()


def _pg_database(admin_url: str, name: str, create: bool) -> None:
    from sqlalchemy import create_engine, text

    from gateway.db.session import normalize_url

    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )
    engine.dispose()


def run_benchmark(
    messages: int = 30_000,
    vehicles: int = 100,
    gateways: int = 1,
    mqtt: str | None = None,
    pg_admin: str = "postgresql://postgres@127.0.0.1:5432/test",
    timeout: float = 300,
    modes: tuple[str, ...] = ("live", "backlog"),
    gateway_config: Path | None = None,
    nats: bool = False,
) -> dict:
    """For each mode, the bare subscriber's and the gateway's rate on the same stream (fresh database).
    `nats`: on a private 3-node NATS cluster, the bare consumer a JetStream one (`mqtt` is ignored)."""
    workdir = Path(tempfile.mkdtemp(prefix="bench_gateway_"))
    broker = cluster = nats_urls = None
    if nats:
        from tools.load.nats_cluster import NatsCluster

        cluster = NatsCluster(workdir / "nats").start()
        mqtt, nats_urls = cluster.nodes[0].mqtt_url, cluster.nats_urls
        cluster.ensure_mqtt_store()  # the bare consumer may come before any gateway
    elif mqtt is None:
        broker, mqtt = start_private_broker(workdir)
    result = {
        "messages": messages,
        "vehicles": vehicles,
        "gateways": gateways,
        "cpus": os.cpu_count(),
        "load_avg_at_start": os.getloadavg()[0],
        "bus": "nats" if nats else "mqtt",
    }
    tags = []
    try:
        for mode in modes:
            tag = uuid.uuid4().hex[:6]
            tags.append(tag)
            db_name = f"dms_bench_{tag}"
            _pg_database(pg_admin, db_name, create=True)
            try:
                pg_url = pg_admin.rsplit("/", 1)[0] + f"/{db_name}"
                bare, gw = measure_bare_around(
                    mqtt,
                    messages,
                    vehicles,
                    tag,
                    timeout,
                    mode == "backlog",
                    lambda: measure_gateway(
                        mqtt,
                        pg_url,
                        messages,
                        vehicles,
                        gateways,
                        tag,
                        timeout,
                        workdir,
                        mode == "backlog",
                        ("--config", str(gateway_config)) if gateway_config else (),
                        nats_urls,
                    ),
                    nats_urls,
                )
            finally:
                _pg_database(pg_admin, db_name, create=False)
            result[mode] = {
                "bare_subscriber": bare,
                "gateway_postgresql": gw,
                "ratio": gw["rate"] / bare["rate"] if bare["rate"] else None,
            }
    finally:
        if cluster is not None:
            cluster.stop()
        elif broker is not None:
            broker.terminate()
            broker.wait(10)
        else:
            from tools.load.loadgen import clear_sessions

            clear_sessions(
                mqtt, [f"bench{t}-{g}" for t in tags for g in range(gateways)] + [f"bare-{t}" for t in tags]
            )
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "role",
        nargs="?",
        default="bench",
        choices=["bench", "_publisher", "_subscriber"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--vehicles", type=int, default=100)
    parser.add_argument("--gateways", type=int, default=1)
    parser.add_argument("--mqtt", default=None, help="use this broker instead of a private Mosquitto")
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="PostgreSQL URL of a database to connect to for CREATE/DROP DATABASE",
    )
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument(
        "--gateway-config", type=Path, default=None, help="YAML GatewaySettings for the gateways"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    parser.add_argument(
        "--mode",
        choices=["live", "backlog", "both"],
        default="both",
        help="live: publisher and consumer together; backlog: drain a stream the broker holds",
    )
    parser.add_argument(
        "--nats",
        nargs="?",
        const="cluster",
        default=None,
        help="measure the NATS path (a private 3-node cluster) instead of Mosquitto",
    )
    parser.add_argument("--tag", default="", help=argparse.SUPPRESS)
    parser.add_argument("--prime", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role == "_publisher":
        role_publisher(args)
        return 0
    if args.role == "_subscriber":
        role_subscriber(args)
        return 0
    modes = ("live", "backlog") if args.mode == "both" else (args.mode,)
    result = run_benchmark(
        args.messages,
        args.vehicles,
        args.gateways,
        args.mqtt,
        args.pg,
        args.timeout,
        modes,
        args.gateway_config,
        nats=bool(args.nats),
    )
    print(
        f"{result['messages']} status messages, {result['vehicles']} vehicles, QoS 1, {result['cpus']} CPUs, "
        f"load average {result['load_avg_at_start']:.1f} at start"
    )
    complete = True
    for mode in modes:
        bare, gw = result[mode]["bare_subscriber"], result[mode]["gateway_postgresql"]
        print(
            f" {mode}: publisher {bare['publish_rate']:.0f} / {gw['publish_rate']:.0f} msg/s (bare run / gateway run)"
        )
        before, after = (r["rate"] for r in bare["runs"])
        print(
            f"  bare {'JetStream consumer' if args.nats else 'paho subscriber '}: {bare['rate']:8.0f} msg/s  ({before:.0f} before, {after:.0f} after the "
            f"gateway; {bare['received']} received; {bare['cpu_us_per_message']:.0f} us CPU/message, "
            f"broker {bare['broker_cpu_us_per_message']:.0f})"
        )
        print(
            f"  gateway -> PostgreSQL: {gw['rate']:8.0f} msg/s  ({gw['stored']} stored, {result['gateways']} "
            f"process(es), {gw['dead_letters']} dead letters, {gw['batches']} batches)"
        )
        print(
            f"  ratio gateway/bare   : {result[mode]['ratio']:.2f}   (gateway CPU "
            f"{gw['gateway_cpu_us_per_message']:.0f} us/message, of it "
            f"{gw['gateway_receive_process_cpu_us_per_message']:.0f} in the receiving process, from the "
            f"publisher's start; PostgreSQL {gw['postgres_cpu_us_per_message']:.0f}, broker "
            f"{gw['broker_cpu_us_per_message']:.0f} us/message)"
        )
        complete &= gw["stored"] == result["messages"] and bare["received"] == result["messages"]
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
