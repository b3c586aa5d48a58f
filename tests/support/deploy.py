"""The shipped broker configuration (deploy/mosquitto/) run by a private Mosquitto, and MQTT 5 test clients.

`ShippedBroker` keeps every directive of deploy/mosquitto/mosquitto.conf (anonymous refused, the
password file and ACL, use_username_as_clientid on the vehicle listener) and changes only what a test
machine needs: its own ports on 127.0.0.1, files in a temporary directory, log to a file, and either
throwaway TLS files or (tls=None) plain listeners.
"""

from __future__ import annotations

import getpass
import queue
import signal
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from firmware_config import pki
from tests.support.mqtt import MOSQUITTO, PrivateBroker, free_port, wait_for
from tests.support.services import REPO

SHIPPED_CONF = REPO / "deploy" / "mosquitto" / "mosquitto.conf"
SHIPPED_ACL = REPO / "deploy" / "mosquitto" / "acl"
TLS_DIRECTIVES = ("cafile", "certfile", "keyfile")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class TlsFiles:
    cafile: Path
    certfile: Path
    keyfile: Path


def render_conf(
    shipped: str,
    *,
    ports: list[int],
    workdir: Path,
    password_file: Path,
    acl_file: Path,
    tls: TlsFiles | None,
) -> str:
    """The shipped configuration with this machine's ports and paths (see the module docstring)."""
    out, listeners = [], iter(ports)
    for raw in shipped.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key = line.split()[0]
        if key == "listener":
            line = f"listener {next(listeners)} 127.0.0.1"
        elif key == "password_file":
            line = f"password_file {password_file}"
        elif key == "acl_file":
            line = f"acl_file {acl_file}"
        elif key == "persistence_location":
            line = f"persistence_location {workdir}/"
        elif key == "log_dest":
            line = f"log_dest file {workdir / 'mosquitto.log'}"
        elif key in TLS_DIRECTIVES:
            if tls is None:
                continue
            line = f"{key} {getattr(tls, key)}"
        elif key == "tls_version" and tls is None:
            continue
        out.append(line)
    assert next(listeners, None) is None, "the shipped configuration has fewer listeners than expected"
    # Run as whoever runs the tests: as root, Mosquitto would otherwise switch to the 'mosquitto' user,
    # which cannot read files in the test's temporary directory.
    out.insert(0, f"user {getpass.getuser()}")
    return "\n".join(out) + "\n"


class ShippedBroker(PrivateBroker):
    """A PrivateBroker (start, stop) running the shipped configuration on two ports."""

    def __init__(
        self,
        workdir: Path,
        tls: TlsFiles | None = None,
        *,
        require_certificate: bool = False,
        gateway_require_certificate: bool = False,
    ):
        # Not super().__init__(): it writes a configuration of its own; start/stop are what we share.
        self.workdir = workdir
        self.vehicle_port, self.gateway_port = free_port(), free_port()
        self.port = self.vehicle_port
        self.password_file, self.acl_file = workdir / "passwd", workdir / "acl"
        self.acl_file.write_text(SHIPPED_ACL.read_text())
        self.conf, self.log = workdir / "mosquitto.conf", workdir / "stdout.log"
        shipped = SHIPPED_CONF.read_text()
        if require_certificate:  # the shipped, commented-out option for the vehicle listener
            assert "#require_certificate true" in shipped
            shipped = shipped.replace("#require_certificate true", "require_certificate true")
        self.conf.write_text(
            render_conf(
                shipped,
                ports=[self.vehicle_port, self.gateway_port],
                workdir=workdir,
                password_file=self.password_file,
                acl_file=self.acl_file,
                tls=tls,
            )
            # the gateway listener is the last one: a per-listener option added at the end applies to it
            + ("require_certificate true\n" if gateway_require_certificate else "")
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> ShippedBroker:
        super().start()
        wait_for(lambda: _listening(self.gateway_port), 10, f"mosquitto on port {self.gateway_port}")
        return self

    def reload(self) -> None:
        """SIGHUP: Mosquitto re-reads the password file and the ACL (asynchronously)."""
        self.proc.send_signal(signal.SIGHUP)


@dataclass
class Client:
    """An MQTT 5 client that records CONNACK, SUBACK, PUBACK reason codes and received messages."""

    client: mqtt.Client
    connack: ReasonCode | None = None
    connected: threading.Event = field(default_factory=threading.Event)
    disconnected: threading.Event = field(default_factory=threading.Event)
    subacks: dict[int, list[ReasonCode]] = field(default_factory=dict)
    pubacks: dict[int, ReasonCode] = field(default_factory=dict)
    messages: queue.Queue = field(default_factory=queue.Queue)

    def subscribe(self, *topics: str) -> list[ReasonCode]:
        _, mid = self.client.subscribe([(t, 1) for t in topics])
        return wait_for(lambda: self.subacks.get(mid), 10, f"SUBACK for {topics}")

    def publish(self, topic: str, payload: bytes = b"{}", *, retain: bool = False) -> ReasonCode:
        """QoS 1 publish; the PUBACK's reason code (MQTT 5: 0x87 when the ACL refuses it)."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return wait_for(lambda: self.pubacks.get(info.mid), 10, f"PUBACK for {topic}")

    def next_message(self, timeout: float = 10) -> mqtt.MQTTMessage:
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def connect(
    port: int,
    username: str | None,
    password: str | None,
    *,
    client_id: str = "",
    ca_file: Path | None = None,
    cert_file: Path | None = None,
    key_file: Path | None = None,
) -> Client:
    """Connect and wait for the CONNACK (accepted or not); `Client.connack` holds its reason code."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    rec = Client(c)
    if username is not None:
        c.username_pw_set(username, password)
    if ca_file is not None:
        c.tls_set(
            ca_certs=str(ca_file),
            certfile=cert_file and str(cert_file),
            keyfile=key_file and str(key_file),
            cert_reqs=ssl.CERT_REQUIRED,
        )

    def on_connect(_c, _u, _flags, reason_code, _props):
        rec.connack = reason_code
        rec.connected.set()

    def on_disconnect(_c, _u, _flags, reason_code, _props):
        rec.disconnected.set()
        rec.connected.set()  # a refused CONNACK may arrive as a disconnect: wake the waiter either way

    c.on_connect, c.on_disconnect = on_connect, on_disconnect
    c.on_subscribe = lambda _c, _u, mid, codes, _p: rec.subacks.__setitem__(mid, codes)
    c.on_publish = lambda _c, _u, mid, code, _p: rec.pubacks.__setitem__(mid, code)
    c.on_message = lambda _c, _u, msg: rec.messages.put(msg)
    props = Properties(mqtt.PacketTypes.CONNECT)
    c.connect("127.0.0.1", port, keepalive=30, clean_start=True, properties=props)
    c.loop_start()
    assert rec.connected.wait(10), "no CONNACK within 10 s"
    return rec


@pytest.fixture
def shipped_broker(tmp_path):
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    brokers: list[ShippedBroker] = []

    def start(
        tls: TlsFiles | None = None,
        *,
        started: bool = True,
        require_certificate: bool = False,
        gateway_require_certificate: bool = False,
    ) -> ShippedBroker:
        workdir = tmp_path / f"broker{len(brokers)}"
        workdir.mkdir()
        broker = ShippedBroker(
            workdir,
            tls,
            require_certificate=require_certificate,
            gateway_require_certificate=gateway_require_certificate,
        )
        brokers.append(broker)
        return broker.start() if started else broker

    yield start
    for broker in brokers:
        broker.stop()


@pytest.fixture
def fleet_ca(tmp_path):
    """A CA directory (ca.key, ca.crt) and the broker's TLS files for 127.0.0.1, valid from now."""
    now = datetime.now(UTC)  # OpenSSL checks validity against the real clock
    ca_dir = tmp_path / "ca"
    ca_dir.mkdir()
    ca_key, ca_cert = pki.make_ca("dms test fleet CA", now)
    pki.write_key(ca_dir / pki.CA_KEY, ca_key)
    pki.write_cert(ca_dir / pki.CA_CERT, ca_cert)
    key, cert = pki.issue(ca_key, ca_cert, "127.0.0.1", now, server_hosts=("127.0.0.1",))
    pki.write_key(tmp_path / "server.key", key)
    pki.write_cert(tmp_path / "server.crt", cert)
    return ca_dir, TlsFiles(
        cafile=ca_dir / pki.CA_CERT, certfile=tmp_path / "server.crt", keyfile=tmp_path / "server.key"
    )
