"""MQTT publisher that drains the durable outbox: nothing is sent that was not stored first.

One supervisor thread owns the flow: it hands outbox rows to paho while connected (at most
`max_inflight` unacknowledged), removes a row when its PUBACK arrives (paho mid -> outbox seq), and
rebuilds the client for an MQTT 3.1.1 fallback. paho's network thread only records what happened
(connected, acked, refused) and wakes the supervisor: no outbox access, no lock ordering to get wrong.

Order: after a reconnect paho re-sends the messages it still had in flight; new rows wait until those
are acknowledged, so each kind arrives in outbox order.

Unrouted messages: an MQTT 5 broker answers a QoS 1 publish that no subscription matched with PUBACK
reason 0x10 and drops it (Mosquitto does so after a restart until the gateways' shared subscription is
back). With `hold_unrouted` the row stays, nothing is sent for a pause (doubling up to a bound while it
lasts), then sending starts again from the oldest stored row. Messages sent with it that were routed
are delivered before it: the gateway applies by message time and msg_id, so that reorder is harmless.

Failover: with `failover_urls` the uplink knows several addresses of one broker cluster. When the
connection is lost, cannot be made or is refused for a reason that may heal, it moves to the next address
(a new client: paho's in-flight copies die with the old one) and sends again from the oldest row the
outbox still holds, i.e. everything not acknowledged; a msg_id sent twice is applied once by the
gateway. After a whole round of addresses failed, it waits (`reconnect_min_s`, doubling up to
`reconnect_max_s`) before the next round. With one address paho reconnects to it as before.

Refused credentials (or a banned / not-authorised client) are final: the uplink stops retrying and
`failed` holds one line saying so; a broker that is down or busy is retried with exponential backoff.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import paho.mqtt.client as mqtt

from dms import broker_tls
from dms.contract import (
    ContractError,
    Envelope,
    LiveRequest,
    Presence,
    PresenceState,
    command_topic,
    decode_command,
    encode,
    encode_batch,
)
from dms.errors import UserError
from edge.uplink.outbox import Outbox, PutResult
from edge.uplink.settings import MqttSettings

log = logging.getLogger(__name__)
paho_log = logging.getLogger("edge.uplink.paho")
# paho's network loop reports a race with our own orderly disconnect as an error; it is not one.
paho_log.addFilter(lambda record: not record.getMessage().startswith("Client is not connected"))

# PUBACK reasons that mean "this device may not publish there" (broker ACL, or a topic the broker
# refuses): stop with one clear error and keep the message for a run with a fixed configuration.
FATAL_PUBACK = {0x87: "not authorized", 0x90: "topic name invalid"}
UNSUPPORTED_PROTOCOL = 0x84
NO_MATCHING_SUBSCRIBERS = 0x10
# A broker that cannot parse an MQTT 5 CONNECT may also just stay silent (amqtt 0.12 does when the
# CONNECT carries a will): no CONNACK this long after the TCP connection opened means "try 3.1.1".
CONNACK_TIMEOUT_S = 3.0
RESEND_PATIENCE_S = 30.0
# Reason codes that retrying with the same settings can never fix.
FATAL_CONNACK = {
    0x85: "client identifier not valid",
    0x86: "bad user name or password",
    0x87: "not authorized",
    0x8A: "banned",
    0x8C: "bad authentication method",
}


class Sent(NamedTuple):
    seq: int  # outbox row
    generation: int  # the connection it was sent on
    retain: bool


@dataclass
class UplinkStats:
    published: int = 0
    """Outbox rows handed to the broker (paho's re-sends after a lost connection not counted; a row
    sent again after an unrouted pause counts again)."""
    acknowledged: int = 0
    rejected: int = 0
    """PUBACKs carrying an MQTT 5 failure reason: not-authorized stops the uplink (message kept),
    any other is logged and the message removed (retrying the same message cannot help)."""
    unrouted: int = 0
    """PUBACKs saying no subscriber matched (0x10) for a message kept to be sent again (hold_unrouted)."""
    connects: int = 0
    protocol: str = ""
    failovers: int = 0
    """Moves to the next broker address (`failover_urls`) after the connection was lost or failed."""


def tls_problem(host: str, port: int, settings: MqttSettings, timeout: float = 3.0) -> str | None:
    """Why TLS to the broker cannot work, or None (dms/broker_tls.py)."""
    return broker_tls.tls_problem(host, port, settings.tls, "mqtt.tls", timeout)


class MqttUplink:
    """Publish everything `submit` stores in `outbox` to the broker in `settings`."""

    def __init__(
        self,
        settings: MqttSettings,
        outbox: Outbox,
        vehicle_id: str,
        *,
        software_version: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        encoding: str = "json",
    ):
        """`monotonic`: the clock of the uplink's own timeouts (CONNACK, pauses, re-send waits);
        `encoding`: of events and samples (json or cbor1; presence is always JSON)."""
        self.settings = settings
        self.encoding = encoding
        self._monotonic = monotonic
        self.outbox = outbox
        self.vehicle_id = vehicle_id
        self.software_version = software_version
        self._endpoints = settings.endpoints()
        self._at = 0  # index of the endpoint in use
        self.host, self.port, self.use_tls = self._endpoints[0]
        self.stats = UplinkStats()
        self.failed: str | None = None
        self._v5 = settings.protocol != "3.1.1"
        self._client: mqtt.Client | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._acks: collections.deque[tuple[int, int]] = collections.deque()
        self._fallback = False
        self._connected = False
        self._generation = 0  # bumped by every successful CONNACK
        self._inflight: dict[int, Sent] = {}  # paho mid -> what it carries
        self._cursor = 0  # highest outbox seq handed to paho
        self._thread: threading.Thread | None = None
        self._socket_opened_at: float | None = None  # TCP up, CONNACK not yet seen
        self._resend_wait_since: float | None = None
        self._connect_failed = False  # paho could not connect; with TLS, find out whether TLS is why
        self._hold_until: float | None = None  # unrouted messages wait until then (monotonic)
        self._lost = False  # the connection dropped or an attempt failed (failover: move on)
        self._failed_in_round = 0  # attempts failed since the last CONNACK
        self._round_pause = settings.reconnect_min_s
        self._next_round_at: float | None = None  # failover: the next address is tried then (monotonic)
        self._unrouted_pause = settings.unrouted_retry_min_s
        self._commands: collections.deque[tuple[str, bytes]] = collections.deque(maxlen=100)
        self.listening = threading.Event()
        """Set once the broker granted the subscription to this vehicle's command topic."""

    # ------------------------------------------------------------------ public API

    @property
    def connected(self) -> bool:
        return self._connected

    def start(self) -> MqttUplink:
        self._client = self._build_client()
        self._thread = threading.Thread(target=self._supervise, name="mqtt-uplink", daemon=True)
        self._thread.start()
        return self

    def submit(self, message: Envelope) -> PutResult:
        """Store `message` durably in the outbox (before anything is sent), then wake the sender."""
        return self._put(message, *encode(message, self.encoding))

    def submit_batch(self, messages: list[Envelope]) -> PutResult:
        """Store samples of one kind as one message (a batch; stored under the first one's msg_id)."""
        if len(messages) == 1:
            return self.submit(messages[0])
        return self._put(messages[0], *encode_batch(messages, self.encoding))

    def _put(self, message: Envelope, topic: str, payload: bytes) -> PutResult:
        qos = 1 if message.kind == "event" else self.settings.sample_qos
        result = self.outbox.put(message.msg_id, message.kind, topic, payload, qos=qos)
        self._wake.set()
        return result

    def take_commands(self) -> list[LiveRequest]:
        """Commands received on this vehicle's command topic since the last call (invalid ones are logged
        and dropped)."""
        out = []
        while self._commands:
            topic, payload = self._commands.popleft()
            try:
                out.append(decode_command(self.vehicle_id, topic, payload))
            except ContractError as exc:
                log.warning("command on %s ignored: %s (%s)", topic, exc.reason, exc.detail)
        return out

    def pending(self) -> int:
        """Messages stored and not yet acknowledged by the broker."""
        return self.outbox.count()

    def wait_drained(self, timeout: float) -> bool:
        """Block until the outbox is empty (True), the timeout passes or the uplink failed (False)."""
        deadline = time.monotonic() + timeout
        while self.failed is None:
            if self.outbox.count() == 0 and not self._inflight:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return False

    def raise_if_failed(self) -> None:
        if self.failed is not None:
            raise UserError(self.failed)

    def close(self, timeout: float = 2.0) -> None:
        """Say goodbye (retained offline presence) when connected, then stop. Stored messages stay."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout + 5)
        client = self._client
        if client is not None:
            if self._connected:
                info = client.publish(*self._presence(PresenceState.OFFLINE, "shutdown"), qos=1, retain=True)
                try:
                    info.wait_for_publish(timeout)
                except (RuntimeError, ValueError):
                    pass
                # The broker acknowledges in order: PUBACKs of earlier messages are in by now. Apply
                # them, so the next run does not send those messages a second time.
                self._apply_acks()
                client.disconnect()
            client.loop_stop()
            self._client = None
        self._connected = False

    # ------------------------------------------------------------------ client

    def _presence(self, state: PresenceState, reason: str | None = None) -> tuple[str, bytes]:
        return encode(
            Presence(
                vehicle_id=self.vehicle_id, state=state, reason=reason, software_version=self.software_version
            )
        )

    def _build_client(self) -> mqtt.Client:
        s = self.settings
        protocol = mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311
        self.stats.protocol = "5" if self._v5 else "3.1.1"
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=s.client_id or f"dms-edge-{self.vehicle_id}",
            protocol=protocol,
        )
        client.enable_logger(paho_log)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_socket_open = self._on_socket_open
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.max_inflight_messages_set(s.max_inflight)
        client.reconnect_delay_set(
            min_delay=max(1, round(s.reconnect_min_s)), max_delay=max(1, round(s.reconnect_max_s))
        )
        client.will_set(*self._presence(PresenceState.OFFLINE, "connection lost"), qos=1, retain=True)
        if s.username:
            client.username_pw_set(s.username, s.password())
        if self.use_tls:
            self._configure_tls(client)
        client.connect_async(self.host, self.port, keepalive=s.keepalive_s)
        client.loop_start()
        return client

    def _configure_tls(self, client: mqtt.Client) -> None:
        broker_tls.configure_tls(client, self.settings.tls)

    # ------------------------------------------------------------------ paho callbacks (network thread)

    def _on_connect_fail(self, client, userdata) -> None:
        self._connect_failed = True
        self._lost = True
        self._wake.set()

    def _on_socket_open(self, client, userdata, sock) -> None:
        self._socket_opened_at = self._monotonic()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self._socket_opened_at = None
        if reason_code.is_failure:
            code = reason_code.value
            if code == UNSUPPORTED_PROTOCOL and self._v5 and self.settings.protocol == "auto":
                log.info("broker %s:%d does not speak MQTT 5: falling back to 3.1.1", self.host, self.port)
                self._fallback = True
            elif code in FATAL_CONNACK:
                user = f"user {self.settings.username!r}" if self.settings.username else "anonymous client"
                self.failed = (
                    f"MQTT broker {self.host}:{self.port} refused the connection "
                    f"({FATAL_CONNACK[code]}, {user}); check the credentials / broker ACL"
                )
                log.error(self.failed)
            else:
                log.warning(
                    "broker %s:%d refused the connection (%s); retrying", self.host, self.port, reason_code
                )
                self._lost = True
            self._wake.set()
            return
        self._connected = True
        self._generation += 1
        self.stats.connects += 1
        self._failed_in_round, self._round_pause = 0, self.settings.reconnect_min_s
        log.info("connected to %s:%d (MQTT %s)", self.host, self.port, self.stats.protocol)
        client.publish(*self._presence(PresenceState.ONLINE), qos=1, retain=True)
        client.subscribe(command_topic(self.vehicle_id), qos=1)  # the ACL lets each vehicle read its own
        self._wake.set()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        if reason_codes and not reason_codes[0].is_failure:
            self.listening.set()
        else:
            log.warning("the broker refused this vehicle's command topic (%s)", reason_codes)

    def _on_message(self, client, userdata, message) -> None:
        self._commands.append((message.topic, bytes(message.payload)))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self._socket_opened_at is not None:  # dropped before any CONNACK: a failed attempt too
            self._socket_opened_at = None
            self._on_connect_fail(client, userdata)
        self.listening.clear()
        if self._connected and not self._stop.is_set():
            log.warning("disconnected from %s:%d (%s); reconnecting", self.host, self.port, reason_code)
            self._lost = True
            self._wake.set()
        self._connected = False

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._acks.append((mid, reason_code.value if hasattr(reason_code, "value") else int(reason_code)))
        self._wake.set()

    # ------------------------------------------------------------------ supervisor thread

    def _supervise(self) -> None:
        while True:
            self._wake.wait(0.5)
            self._wake.clear()
            self._apply_acks()
            if self.failed is not None:
                self._halt_client()
                return
            if self._stop.is_set():
                return
            if self._connect_failed:
                self._connect_failed = False
                if self.use_tls:  # at most once per (backed-off) failed attempt
                    self.failed = tls_problem(self.host, self.port, self.settings)
                    continue
            opened = self._socket_opened_at
            if (
                opened is not None
                and self._v5
                and self.settings.protocol == "auto"
                and self._monotonic() - opened > CONNACK_TIMEOUT_S
            ):
                log.info(
                    "no answer to an MQTT 5 CONNECT from %s:%d: falling back to 3.1.1", self.host, self.port
                )
                self._socket_opened_at = None
                self._fallback = True
            if self._fallback:
                self._fallback = False
                self._v5 = False
                self._replace_client()
                continue
            if self._lost and len(self._endpoints) > 1:
                self._fail_over()  # or, after a whole round failed, wait for the round pause
                continue
            self._lost = False
            self._send_more()

    def _replace_client(self) -> None:
        """A new paho client (3.1.1 fallback, another address): what the old one had in flight is sent
        again from the outbox, after the acknowledgements it did receive were applied."""
        self._halt_client()
        self._apply_acks()
        self._inflight.clear()  # paho's in-memory queue died with the old client
        self._cursor = 0
        self._hold_until = None
        try:
            self._client = self._build_client()
        except UserError as exc:
            self.failed = str(exc)

    def _fail_over(self) -> None:
        """Move to the next address (the connection was lost or an attempt failed); after a whole
        round failed, not before the round pause."""
        now = self._monotonic()
        if self._next_round_at is None:
            self._failed_in_round += 1
            if self._failed_in_round >= len(self._endpoints):
                self._failed_in_round = 0
                self._next_round_at = now + self._round_pause
                self._round_pause = min(self._round_pause * 2, self.settings.reconnect_max_s)
        if self._next_round_at is not None:
            if now < self._next_round_at:
                self._halt_client()  # paho would keep retrying the same address meanwhile
                return
            self._next_round_at = None
        self._lost = False
        self._at = (self._at + 1) % len(self._endpoints)
        old = f"{self.host}:{self.port}"
        self.host, self.port, self.use_tls = self._endpoints[self._at]
        self.stats.failovers += 1
        log.warning("broker %s lost or unreachable: moving to %s:%d", old, self.host, self.port)
        self._replace_client()

    def _halt_client(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        self._connected = False

    def _apply_acks(self) -> None:
        while self._acks:
            mid, code = self._acks.popleft()
            entry = self._inflight.pop(mid, None)
            if entry is None:
                continue  # presence, or a message of a client that was replaced
            if code == NO_MATCHING_SUBSCRIBERS and self.settings.hold_unrouted and not entry.retain:
                self.stats.unrouted += 1
                self._hold_unrouted()
                continue  # kept: sent again, from the oldest stored row, after the pause
            if code in FATAL_PUBACK:
                self.stats.rejected += 1
                row = self.outbox.get(entry.seq)
                topic = row.topic if row is not None else f"outbox row {entry.seq}"
                self.failed = (
                    f"MQTT broker {self.host}:{self.port} refused a publish to {topic} "
                    f"({FATAL_PUBACK[code]}); check the vehicle id and the broker ACL "
                    f"(the message stays in the outbox)"
                )
                log.error(self.failed)
                continue
            if code >= 0x80:
                self.stats.rejected += 1
                log.error(
                    "broker rejected outbox message %d (reason code 0x%02x); dropping it", entry.seq, code
                )
            else:
                self.stats.acknowledged += 1
                self._unrouted_pause = self.settings.unrouted_retry_min_s
            self.outbox.remove(entry.seq)

    def _hold_unrouted(self) -> None:
        """Start a pause for the unrouted messages (the first 0x10 of a window starts it, the rest of
        the window's 0x10s fall into it)."""
        if self._hold_until is not None:
            return
        pause = self._unrouted_pause
        first = pause <= self.settings.unrouted_retry_min_s
        self._hold_until = self._monotonic() + pause
        self._unrouted_pause = min(pause * 2, max(self.settings.unrouted_retry_max_s, pause))
        log.log(
            logging.WARNING if first else logging.INFO,
            "broker %s:%d has no subscriber for this vehicle's messages (no gateway subscribed); "
            "keeping them, sending again in %.0f s",
            self.host,
            self.port,
            pause,
        )

    def _holding(self) -> bool:
        """True during an unrouted pause and until the messages sent before it are acknowledged;
        then sending restarts from the oldest stored row (the kept ones)."""
        if self._hold_until is None:
            return False
        if self._monotonic() < self._hold_until or any(
            sent.generation == self._generation for sent in self._inflight.values()
        ):
            return True
        self._hold_until = None
        self._cursor = 0
        return False

    def _send_more(self) -> None:
        if not self._connected or self._client is None or self._holding():
            return
        generation = self._generation
        # Messages paho re-sends after a reconnect go first: keep per-kind order.
        if any(sent.generation != generation for sent in self._inflight.values()):
            waited = self._monotonic() - (self._resend_wait_since or self._monotonic())
            self._resend_wait_since = self._resend_wait_since or self._monotonic()
            if waited < RESEND_PATIENCE_S:
                return
            # Never stall for good on an acknowledgement that will not come: send the rest again
            # (a repeated msg_id is harmless, the gateway applies each msg_id once).
            log.warning(
                "no PUBACK for %d re-sent messages after %.0f s; sending the outbox again",
                len(self._inflight),
                waited,
            )
            self._inflight.clear()
            self._cursor = 0
        self._resend_wait_since = None
        room = self.settings.max_inflight - len(self._inflight)
        if room <= 0:
            return
        for row in self.outbox.after(self._cursor, room):
            info = self._client.publish(row.topic, row.payload, qos=row.qos, retain=row.retain)
            if row.qos == 0:
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    return  # not sent (connection just dropped): the row stays for the next connection
                self.outbox.remove(row.seq)  # QoS 0: written to the socket is all we will ever know
            else:
                self._inflight[info.mid] = Sent(row.seq, generation, row.retain)
            self._cursor = row.seq
            self.stats.published += 1
