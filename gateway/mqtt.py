"""The gateway's MQTT side: connect (MQTT 5 with a shared subscription, else 3.1.1), receive, ack later.

Messages arrive on paho's network thread and are queued; the ingest loop takes them in batches and
calls `ack` after the batch is committed (paho `manual_ack=True`). A persistent session (fixed client
id, clean start off) makes the broker keep unacknowledged and queued messages while the gateway is
down, and redeliver them when it returns: a crash loses nothing.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from dms.broker_tls import configure_tls, tls_problem
from dms.contract import SUBSCRIPTION
from dms.contract.codec import MAX_PAYLOAD_BYTES
from dms.errors import UserError
from gateway.ingest.dead_letters import Oversize, as_received
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
V5_PROBE_S = 3.0


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    def __str__(self) -> str:  # never shows the password
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerAddress:
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket: "mqtt://[::1"
        raise UserError(f"bad broker URL {url!r}: {exc}") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise UserError(f"bad broker URL {url!r}: expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise UserError(f"bad port in broker URL {url!r}") from None
    return BrokerAddress(
        parts.hostname,
        port,
        parts.scheme == "mqtts",
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


@dataclass(frozen=True)
class Delivery:
    topic: str
    payload: bytes | Oversize
    mid: int
    qos: int
    generation: int  # which connection delivered it: a mid is only meaningful on that connection
    received: float = field(default_factory=time.monotonic, compare=False)
    """time.monotonic() at receipt (the service's acknowledgement lag; GatewayService's `monotonic`)."""


class MqttReceiver:
    """Subscribes to the vehicle topics and hands deliveries to the ingest loop through `deliveries`."""

    def __init__(self, address: BrokerAddress, settings: GatewaySettings, client_id: str):
        self.address = address
        self.settings = settings
        self.client_id = client_id
        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        self.protocol: str | None = None  # "5" or "3.1.1" once connected
        self._generation = 0
        self._connected = threading.Event()
        self._settled = threading.Event()  # the first connection attempt succeeded or failed
        self._refused: str | None = None
        self._client: paho.Client | None = None
        self._stopping = False
        self._online = False

    @property
    def connected(self) -> bool:
        """Connected and subscribed now (paho reconnects by itself after a drop)."""
        return self._online

    @property
    def subscription(self) -> str:
        return f"$share/{self.settings.group}/{SUBSCRIPTION}" if self.protocol == "5" else SUBSCRIPTION

    def start(self, timeout: float = 10.0) -> None:
        """Connect with MQTT 5; when the broker refuses that, with 3.1.1 (`mqtt_protocol` "auto"), or with
        the one protocol configured. UserError when nothing works."""
        chosen = self.settings.mqtt_protocol
        protocols = ("5", "3.1.1") if chosen == "auto" else (chosen,)
        errors = []
        for protocol in protocols:
            # A 3.1.1-only broker may neither answer nor close an MQTT 5 CONNECT (amqtt): probe briefly.
            wait = min(timeout, V5_PROBE_S) if chosen == "auto" and protocol == "5" else timeout
            try:
                self._connect(protocol, wait)
                return
            except ConnectionError as exc:
                errors.append(f"MQTT {protocol}: {exc}")
                self._teardown()
        problem = self.address.tls and tls_problem(
            self.address.host, self.address.port, self.settings.mqtt_tls, "mqtt_tls"
        )
        if problem:
            raise UserError(f"cannot connect to the MQTT broker {self.address}: {problem}")
        raise UserError(f"cannot connect to the MQTT broker {self.address}: {'; '.join(errors)}")

    def _connect(self, protocol: str, timeout: float) -> None:
        v5 = protocol == "5"
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
            clean_session=None if v5 else False,
            manual_ack=True,
        )
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            configure_tls(client, self.settings.mqtt_tls)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client, self.protocol = client, protocol
        self._connected.clear()
        self._settled.clear()
        self._refused = None
        properties = None
        if v5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.settings.session_expiry_s
            properties.ReceiveMaximum = self.settings.receive_maximum
        try:
            client.connect(
                self.address.host,
                self.address.port,
                keepalive=30,
                clean_start=False if v5 else paho.MQTT_CLEAN_START_FIRST_ONLY,
                properties=properties,
            )
        except (OSError, ValueError) as exc:
            raise ConnectionError(str(exc)) from None
        client.loop_start()
        self._settled.wait(timeout)
        if not self._connected.is_set():
            raise ConnectionError(self._refused or "no answer from the broker")

    def _teardown(self) -> None:
        if self._client is not None:
            self._client.loop_stop()
            try:
                self._client.disconnect()
            except (OSError, ValueError) as exc:  # the socket is already gone: nothing left to close
                log.debug("disconnect while tearing down: %s", exc)
            self._client = None

    # paho callbacks (network thread) ---------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:  # the broker refused us: do not pretend to be connected
            self._refused = f"refused: {reason_code}"
            self._settled.set()
            client.disconnect()
            return
        self._generation += 1
        client.subscribe(self.subscription, qos=1)
        log.info(
            "connected (MQTT %s, session present %s), subscribing to %s",
            self.protocol,
            flags.session_present,
            self.subscription,
        )

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if any(rc.is_failure for rc in reason_codes):
            self._refused = f"subscription to {self.subscription} refused: {reason_codes}"
            log.error(self._refused)
            self._settled.set()
            return
        self._online = True
        self._connected.set()
        self._settled.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._online = False
        if self._stopping:
            return
        if self._connected.is_set():
            log.warning("disconnected from the broker (%s); paho reconnects", reason_code)
        else:  # before the first successful subscription: the attempt failed
            self._refused = self._refused or f"disconnected: {reason_code}"
            self._settled.set()

    def _on_message(self, client, userdata, message):
        # Over the limit: keep what a dead letter stores, drop the rest at once. Retained: sent again at
        # every subscription, dead-lettered once (ingest/batch.py).
        payload = as_received(
            message.payload,
            retained=bool(message.retain),
            limit=MAX_PAYLOAD_BYTES,
            keep_bytes=self.settings.dead_letter_max_bytes,
        )
        self.deliveries.put(Delivery(message.topic, payload, message.mid, message.qos, self._generation))

    # ingest loop side ------------------------------------------------------------------------

    def ack(self, deliveries: list[Delivery]) -> int:
        """Acknowledge committed deliveries, in order; those of an earlier connection are skipped (the
        broker redelivers them, and the msg_id check makes the second apply a no-op)."""
        client, generation, done = self._client, self._generation, 0
        for d in deliveries:
            if client is not None and d.generation == generation:
                client.ack(d.mid, d.qos)
                done += 1
        return done

    def stop(self) -> None:
        self._stopping = True
        self._online = False
        self._teardown()


def default_client_id(group: str) -> str:
    return f"{group}-{socket.gethostname()}"[:64]
