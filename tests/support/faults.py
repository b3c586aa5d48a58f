"""Real processes for fault, fuzz and load tests: a private PostgreSQL cluster, a private Mosquitto with
production-sized queues, and `dms gateway run` children. Everything is started and stopped by pid."""

from __future__ import annotations

import getpass
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.db.session import make_engine
from tests.support.mqtt import PrivateBroker, free_port, wait_for
from tools.demo.processes import Child, dms_command
from tools.load.loadgen import clear_sessions

PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)
# A production broker queues far more than Mosquitto's default 1000 messages per offline session
# (which would drop messages of a gateway that is down or slow): see deploy/SCALE_OUT.md.
BIG_QUEUES = ["max_queued_messages 1000000", "max_inflight_messages 0"]


def big_queue_broker(workdir: Path) -> PrivateBroker:
    return PrivateBroker(workdir, listener_options=BIG_QUEUES)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster in a temp dir on its own port (never the machine's instance).
    As root, initdb and the server run as the `postgres` user (PostgreSQL refuses to run as root)."""

    def __init__(self):
        if PG_BIN is None or shutil.which("runuser") is None and os.geteuid() == 0:
            pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
        self.dir = Path(tempfile.mkdtemp(prefix="dms-pg-"))
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else getpass.getuser()
        self.url = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", self.user, "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [f"{PG_BIN}/{tool}", *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> PrivatePostgres:
        self._run(
            "pg_ctl",
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )
        return self

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, as when the database host goes away."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    pg = PrivatePostgres().start()
    yield pg
    pg.destroy()


class Gateways:
    """`dms gateway run` children in one fresh shared-subscription group (or shared JetStream consumer,
    with a nats:// URL); stopped and their MQTT broker sessions removed at the end."""

    def __init__(self, workdir: Path, mqtt_url: str, db_url: str):
        self.workdir, self.mqtt_url, self.db_url = workdir, mqtt_url, db_url
        self.tag = uuid.uuid4().hex[:8]
        self.children: dict[str, Child] = {}

    def start(self, name: str = "gw", *extra: str, bus_url: str | None = None) -> Child:
        """`bus_url`: this gateway's own bus URL (e.g. its nearest NATS node first)."""
        child = Child(
            name,
            dms_command(
                "-v",
                "gateway",
                "run",
                "--bus",
                bus_url or self.mqtt_url,
                "--db",
                self.db_url,
                "--group",
                f"g{self.tag}",
                "--client-id",
                f"{name}-{self.tag}",
                "--http",
                "127.0.0.1:0",
                *extra,
            ),
            self.workdir / f"{name}.log",
        )
        before = child.log_path.read_text().count("gateway: consuming") if child.log_path.exists() else 0
        child.start()
        self.children[name] = child
        wait_for(
            lambda: child.log_path.read_text().count("gateway: consuming") > before or not child.running(),
            60,
            f"{name} to subscribe",
        )
        assert child.running(), child.tail(20)
        return child

    def close(self) -> None:
        for child in self.children.values():
            child.stop()
        if self.mqtt_url.startswith("nats://"):
            return  # JetStream: the durable consumer is the group's, kept in the cluster
        try:
            clear_sessions(self.mqtt_url, [f"{name}-{self.tag}" for name in self.children])
        except OSError:
            pass  # the broker is already gone: so are its sessions


def count_rows(db_url: str, model, *where) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        engine.dispose()


def edge_command(script: Path, mqtt_url: str, vehicle_id: str, outbox: Path, events: Path, seconds: float):
    """The command line of tests/uplink/edge_process.py (or a wrapper of it) with this interpreter."""
    return [
        sys.executable,
        str(script),
        "--mqtt",
        mqtt_url,
        "--vehicle-id",
        vehicle_id,
        "--outbox",
        str(outbox),
        "--events-out",
        str(events),
        "--seconds",
        str(seconds),
    ]
