"""A private Mosquitto per test (start, kill -9, restart on the same port) and a recording subscriber."""

from __future__ import annotations

import collections
import getpass
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from dms.contract import ContractError, decode_all

MOSQUITTO = shutil.which("mosquitto") or next((p for p in ("/usr/sbin/mosquitto",) if Path(p).exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def event_ids(path: Path) -> list[str]:
    """msg_ids of an --events-out file in line order (a line cut short by SIGKILL is skipped)."""
    if not path.is_file():
        return []
    return [json.loads(line)["msg_id"] for line in path.read_text().splitlines() if line.endswith("}")]


def delivered_after_restart(rec, restart, first: Path, second: Path, up_at: float, exit_timeout: float):
    """After a SIGKILLed run (events file `first`) and its restart (`second`) with the same outbox:
    wait (10 s each) for the killed run's events, then for all; returns (killed, expected, counts, delay)."""
    killed_run = event_ids(first)
    wait_for(
        lambda: set(rec.ids("event")) >= set(killed_run), 10, "the killed run's events, sent by the restart"
    )
    delay = time.monotonic() - up_at
    assert restart.wait(exit_timeout) == 0, (second.parent / f"{second.stem}.log").read_text()
    expected = killed_run + event_ids(second)
    wait_for(lambda: set(rec.ids("event")) >= set(expected), 10, "every event of both runs")
    counts = collections.Counter(rec.ids("event"))
    # The killed run may have stored one event in the outbox and died before writing its line.
    assert set(expected) <= set(counts) and len(set(counts) - set(expected)) <= 1
    return killed_run, expected, counts, delay


class PrivateBroker:
    """`mosquitto -c CONF` on a fixed free port; can be started late, killed and started again."""

    def __init__(
        self,
        workdir: Path,
        *,
        users: dict[str, str] | None = None,
        acl: str | None = None,
        listener_options: list[str] = (),
    ):
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        # Persistence: the recorder's session (its subscription and queued messages) survives a
        # broker stop, so "broker down when the run starts" loses nothing on the receiving side.
        # `user`: started as root, mosquitto would switch to a user that cannot read tmp_path.
        lines = [
            f"user {getpass.getuser()}",
            f"listener {self.port} 127.0.0.1",
            *listener_options,
            "persistence true",
            f"persistence_location {workdir}/",
            f"persistence_file mosquitto-{self.port}.db",
        ]
        if users:
            pwfile = workdir / "passwd"
            pwfile.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
            pwfile.chmod(0o600)
            subprocess.run(["mosquitto_passwd", "-U", str(pwfile)], check=True, capture_output=True)
            lines += ["allow_anonymous false", f"password_file {pwfile}"]
        else:
            lines.append("allow_anonymous true")
        if acl:
            (workdir / "acl").write_text(acl)
            lines.append(f"acl_file {workdir / 'acl'}")
        self.conf.write_text("\n".join(lines) + "\n")
        self.log = workdir / f"mosquitto-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> PrivateBroker:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf), "-v"], stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        wait_for(self._listening, 10, f"mosquitto on port {self.port}")
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Orderly stop (SIGTERM: sessions are saved)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def private_broker(tmp_path):
    """Factory: private_broker(users=None, acl=None, listener_options=()) -> a not yet started
    PrivateBroker (stopped at teardown); listener_options go under its listener (e.g. TLS files)."""
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    made: list[PrivateBroker] = []

    def make(
        users: dict[str, str] | None = None, acl: str | None = None, listener_options: list[str] = ()
    ) -> PrivateBroker:
        if users and shutil.which("mosquitto_passwd") is None:
            pytest.skip("mosquitto_passwd is not installed")
        broker = PrivateBroker(tmp_path, users=users, acl=acl, listener_options=listener_options)
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.stop()


class Recorder:
    """Subscribes to dms/v1/<vehicle>/# at QoS 1 and keeps (kind, msg_id, payload) in arrival order.

    A persistent session (fixed client id, clean_session False): with the broker's persistence,
    messages that arrive while the recorder is not (yet) reconnected are queued for it."""

    def __init__(self, url: str, vehicle_id: str):
        host, port = url.removeprefix("mqtt://").split(":")
        self.messages: list[tuple[str, str, dict]] = []
        self.wire: list[tuple[str, int]] = []
        """(topic, payload bytes) of every MQTT message as it arrived."""
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"recorder-{vehicle_id}",
            protocol=mqtt.MQTTv311,
            clean_session=False,
        )
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(f"dms/v1/{vehicle_id}/#", qos=1)
        self.client.reconnect_delay_set(1, 1)
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.connect_async(host, int(port))
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:
        """Each message of a batch is kept on its own, as the contract's JSON document (whatever the
        encoding on the wire); what the contract refuses is kept as the JSON it is."""
        kind = msg.topic.rsplit("/", 1)[1].partition("-")[0]
        try:
            docs = [
                m.model_dump(mode="json", by_alias=True, exclude_none=True)
                for m in decode_all(msg.topic, msg.payload)
            ]
        except ContractError:
            docs = [json.loads(msg.payload)]
        with self._lock:
            self.messages += [(kind, data["msg_id"], data) for data in docs]
        self.wire.append((msg.topic, len(msg.payload)))

    def ids(self, kind: str) -> list[str]:
        with self._lock:
            return [m for k, m, _ in self.messages if k == kind]

    def payloads(self, kind: str) -> list[dict]:
        with self._lock:
            return [d for k, _, d in self.messages if k == kind]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def recorder():
    made: list[Recorder] = []

    def make(url: str, vehicle_id: str) -> Recorder:
        r = Recorder(url, vehicle_id)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()
