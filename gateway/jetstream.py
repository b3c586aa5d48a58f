"""The gateway's NATS JetStream side: the clustered bus (`dms gateway run --bus nats://h1:4222,h2:4222`).

Vehicles publish MQTT as before, to the MQTT listener of any NATS node. nats-server stores every QoS 1
PUBLISH in its MQTT message stream `$MQTT_msgs` (subject `$MQTT.msgs.<subject>`, topic `dms/v1/<vid>/<kind>`
becoming subject `dms.v1.<vid>.<kind>`; replicated on up to 3 nodes) and sends the PUBACK only once that
store succeeded: when it fails (the stream is electing a leader) the vehicle's connection is closed
unacknowledged and the uplink sends the message again. The gateways consume that stream, not a stream
of their own: a stream capturing the plain subjects `dms.v1.*.*` is fed without waiting (2.9: the PUBACK
is already sent), and lost 1,883 of 4,000 messages published while its leader was killed
(deploy/SCALE_OUT.md). `$MQTT_msgs` keeps a message while a consumer has not acknowledged it (interest
retention), so the gateways' durable consumer holds the backlog while they are down; the gateway bounds
it (`stream_max_age_s`, `stream_max_bytes`, discard new: a full stream refuses vehicles' PUBLISHes, which
they keep and send again, instead of dropping stored ones).

Every gateway of a group binds the same durable pull consumer (named after the group): JetStream hands
each message to one of them, and a message not acknowledged within `ack_wait_s` (its gateway died, or
lost its connection) goes to another. As with MQTT, a message is acknowledged only after its batch
committed; a redelivered one is applied once (the ingest's msg_id check), and one vehicle's messages are
applied by message time whichever gateway commits first (ingest/live.py): the same rule that already
covers an MQTT shared subscription.

A gateway keeps pull requests open on the consumer for as many messages as it has room for (`receive_maximum`
unacknowledged): the consumer's leader sends each message as soon as it is stored, with no request per
handful of messages (jetstream_pulls.py). The NATS client is asyncio: it runs on its own thread and loop;
the ingest loop sees the same `deliveries` queue and `ack(batch)` as with `MqttReceiver`.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import queue
import socket
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from dms.contract import SUBSCRIPTION
from dms.contract.codec import MAX_PAYLOAD_BYTES
from dms.errors import UserError
from gateway.ingest.dead_letters import as_received
from gateway.jetstream_pulls import OpenPulls
from gateway.mqtt import Delivery
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
DEFAULT_PORT = 4222
# nats-server's MQTT QoS 1 store: every subject under this prefix (its own name for it; see above)
MQTT_STORE_PREFIX = "$MQTT.msgs."
# The MQTT subscription of the MQTT path, as subjects of that store: dms/v1/+/+ -> $MQTT.msgs.dms.v1.*.*
SUBJECTS = MQTT_STORE_PREFIX + SUBSCRIPTION.replace("/", ".").replace("+", "*")
# Open pull requests (jetstream_pulls.py): each asks for up to this many messages (at most `batch_max`)
# and lives this long; the server sends an idle heartbeat for it this often, so one the server lost (a
# node died) is noticed within a few seconds and asked again.
PULL_EXPIRES_S = 10.0
PULL_HEARTBEAT_S = 1.0
# After a refused request (no consumer leader while one is elected: 503; 409s) ask again this much later,
# not at once: a refusal answers at once, and asking at once again would spin for the whole election.
REFUSED_PAUSE_S = 0.5
STATUS_HEARTBEAT = "100"
STATUS_EXPIRED = "408"


@dataclass(frozen=True)
class NatsAddress:
    servers: tuple[str, ...]  # nats://[user:password@]host:port, one per node
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:  # never shows the password
        user = f"{self.username}@" if self.username else ""
        return ",".join(f"nats://{user}{s.split('://', 1)[1]}" for s in self.servers)


def parse_nats_url(url: str) -> NatsAddress:
    """`nats://HOST[:PORT][,HOST[:PORT]...]` (one URL, several nodes) or a comma-separated list of full
    URLs; credentials on the first node apply to all. Nodes are tried in this order (list a gateway's
    nearest node first). UserError for anything else."""
    parts = [p.strip() for p in url.split(",")]
    if not parts[0].startswith("nats://") or not all(parts):
        raise UserError(f"bad bus URL {url!r}: expected nats://HOST[:PORT][,HOST[:PORT]...]")
    servers, username, password = [], None, None
    for i, part in enumerate(parts):
        text = part if "://" in part else f"nats://{part}"
        try:
            split = urlsplit(text)
            port = split.port or DEFAULT_PORT
        except ValueError as exc:
            raise UserError(f"bad bus URL {url!r}: {exc}") from None
        if split.scheme != "nats" or not split.hostname or split.path not in ("", "/"):
            raise UserError(f"bad bus URL {url!r}: expected nats://HOST[:PORT][,HOST[:PORT]...]")
        if i == 0 and split.username:
            username, password = unquote(split.username), unquote(split.password or "") or None
        host = f"[{split.hostname}]" if ":" in split.hostname else split.hostname
        servers.append(f"nats://{host}:{port}")
    return NatsAddress(tuple(servers), username, password)


def subject_to_topic(subject: str) -> str:
    """The MQTT topic a stored subject came from: '.' separates levels; a '.' inside a level travels as
    '//' (newer servers; nats-server 2.9 refuses MQTT topics with '.', so such a vehicle cannot publish)."""
    subject = subject.removeprefix(MQTT_STORE_PREFIX)
    return "/".join(level.replace("//", ".") for level in subject.split("."))


class NatsReceiver:
    """A durable pull consumer of the vehicle stream, shared by the gateways of `settings.group`."""

    protocol = "JetStream"

    def __init__(self, address: NatsAddress, settings: GatewaySettings, client_id: str):
        self.address = address
        self.settings = settings
        self.client_id = client_id
        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._nc = None
        self._pending: dict[int, object] = {}  # mid -> the nats Msg to acknowledge
        # Received and not yet acknowledged (at most `receive_maximum`, with what the open requests may
        # still bring); NATS thread only.
        self._in_flight = 0
        self._pulls = OpenPulls(PULL_EXPIRES_S, PULL_HEARTBEAT_S)
        self._pull_subs: dict[str, object] = {}  # pull id -> the subscription to its reply subject
        self._wake: asyncio.Event | None = None  # room freed, or a request ended: ask for more
        self._complaint: str | None = None  # the last refusal logged, until messages come again
        self._paused_until = 0.0  # loop time: no new request before (after a refusal)
        self._ids = itertools.count(1)
        self._stopping = False
        self._puller: asyncio.Task | None = None
        self._acking: set[asyncio.Task] = set()  # acknowledgements being sent

    @property
    def connected(self) -> bool:
        """Connected to a node of the cluster now."""
        nc = self._nc
        return bool(nc is not None and nc.is_connected and not self._stopping)

    @property
    def subscription(self) -> str:
        return f"stream {self.settings.stream} ({SUBJECTS}), consumer {self.settings.group}"

    def start(self, timeout: float = 10.0) -> None:
        """Connect, create or check the stream and the consumer, start pulling; UserError when the
        cluster cannot be reached or refuses."""
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(timeout), self._loop).result(timeout + 5)
        except UserError:
            self.stop()
            raise
        except Exception as exc:
            self.stop()
            raise UserError(f"cannot use the NATS cluster {self.address}: {_describe(exc)}") from None

    async def _start(self, timeout: float) -> None:
        import nats

        if not any(_answers(server, min(timeout, 2)) for server in self.address.servers):
            # the client would retry until `timeout`: say at once that no node is there
            raise UserError(f"cannot connect to the NATS cluster {self.address}: no node answers")
        try:
            # Once connected, reconnect for ever (to any node); the first connection has `timeout`.
            self._nc = await asyncio.wait_for(
                nats.connect(
                    list(self.address.servers),
                    user=self.address.username,
                    password=self.address.password,
                    name=self.client_id,
                    connect_timeout=min(timeout, 5),
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    dont_randomize=True,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                ),
                timeout,
            )
        except Exception as exc:
            raise UserError(f"cannot connect to the NATS cluster {self.address}: {_describe(exc)}") from None
        js = self._nc.jetstream(timeout=timeout)
        await self._ensure_stream(js)
        await self._ensure_consumer(js)
        self._inbox = self._nc.new_inbox()
        self._wake = asyncio.Event()
        self._puller = asyncio.create_task(self._pull_forever())

    async def _ensure_consumer(self, js) -> None:
        """The group's durable pull consumer, made by the first gateway (kept as it is when it exists)."""
        from nats.js.api import AckPolicy, ConsumerConfig
        from nats.js.errors import NotFoundError

        s = self.settings
        try:
            await js.consumer_info(s.stream, s.group)
        except NotFoundError:
            await js.add_consumer(
                s.stream,
                ConsumerConfig(
                    durable_name=s.group,
                    filter_subject=SUBJECTS,
                    ack_policy=AckPolicy.EXPLICIT,
                    ack_wait=s.ack_wait_s,
                    max_ack_pending=s.max_ack_pending,
                    num_replicas=s.stream_replicas,
                ),
            )

    async def _ensure_stream(self, js) -> None:
        from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
        from nats.js.errors import NotFoundError

        s = self.settings
        limits = {
            "max_age": s.stream_max_age_s,
            "max_bytes": s.stream_max_bytes,
            "discard": DiscardPolicy.NEW,
        }
        try:
            info = await js.stream_info(s.stream)
        except NotFoundError:
            # nats-server makes it when the first MQTT client connects; a gateway may come first. Made
            # as the server makes it (plus the limits), the server then takes it as its own.
            await js.add_stream(
                StreamConfig(
                    name=s.stream,
                    subjects=[MQTT_STORE_PREFIX + ">"],
                    retention=RetentionPolicy.INTEREST,
                    storage=StorageType.FILE,
                    num_replicas=s.stream_replicas,
                    **limits,
                )
            )
            log.info("created stream %s (%s>, %d replicas)", s.stream, MQTT_STORE_PREFIX, s.stream_replicas)
            return
        config = info.config
        if not any(SUBJECTS.startswith(subject.rstrip(">")) for subject in config.subjects or []):
            raise UserError(
                f"stream {s.stream} on {self.address} captures {config.subjects}, not {SUBJECTS}: "
                "not nats-server's MQTT store? (`stream` setting)"
            )
        if config.num_replicas < s.stream_replicas:
            raise UserError(
                f"stream {s.stream} has {config.num_replicas} replicas, the settings ask for "
                f"{s.stream_replicas}: give the cluster that many nodes (nats-server mqtt "
                "{ stream_replicas }) or lower stream_replicas"
            )
        await self._set_limits(js, config, limits)

    async def _set_limits(self, js, config, limits: dict) -> None:
        """Bound the stream (nats-server 2.9 makes its MQTT store without limits and keeps a changed
        configuration across restarts); every gateway of the group sets the same values."""
        from nats.js.errors import APIError

        current = {"max_age": config.max_age or 0, "max_bytes": config.max_bytes, "discard": config.discard}
        if abs(current["max_age"] - limits["max_age"]) < 1 and all(
            current[k] == limits[k] for k in ("max_bytes", "discard")
        ):
            return
        for name, value in limits.items():
            setattr(config, name, value)
        try:
            await js.update_stream(config)
        except APIError as exc:
            raise UserError(
                f"cannot bound stream {config.name} to {limits['max_bytes']} bytes and "
                f"{limits['max_age']:g} s (stream_max_bytes, stream_max_age_s): {exc.description}"
            ) from None
        except TimeoutError:
            # Seen with a cluster formed seconds before: the first update went unanswered, a second
            # answered at once. Ingest does not depend on it: say so, the next start sets them.
            log.warning(
                "stream %s: no answer to setting its limits; unchanged until the next start", config.name
            )
            return
        log.info(
            "stream %s bounded: messages older than %g s dropped, new ones refused past %d bytes",
            config.name,
            limits["max_age"],
            limits["max_bytes"],
        )

    async def _pull_forever(self) -> None:
        """Keep requests open for as many messages as there is room for (`receive_maximum` received and
        not acknowledged, with what open requests may still bring), in requests of about `batch_max`;
        ask again when acknowledgements free room, a request ends or one is lost."""
        size = min(self.settings.batch_max, self.settings.receive_maximum)
        while not self._stopping:
            now = self._loop.time()
            self._unsubscribe(self._pulls.drop_stale(now))
            pause = self._paused_until - now
            room = self.settings.receive_maximum - self._in_flight - self._pulls.outstanding
            while pause <= 0 and room >= max(1, size // 2) and not self._stopping:
                if not await self._ask(min(size, room), now):
                    break
                room -= min(size, room)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), pause if pause > 0 else PULL_HEARTBEAT_S)
            except TimeoutError:
                pass

    async def _ask(self, batch: int, now: float) -> bool:
        """Open a request for `batch` messages on its own reply subject; False when it cannot be sent."""
        pull_id = self._pulls.open(batch, now)
        reply = f"{self._inbox}.{pull_id}"
        request = {
            "batch": batch,
            "expires": int(PULL_EXPIRES_S * 1e9),
            "idle_heartbeat": int(PULL_HEARTBEAT_S * 1e9),
        }
        try:
            self._pull_subs[pull_id] = await self._nc.subscribe(
                reply, cb=functools.partial(self._on_message, pull_id)
            )
            subject = f"$JS.API.CONSUMER.MSG.NEXT.{self.settings.stream}.{self.settings.group}"
            await self._nc.publish(subject, json.dumps(request).encode(), reply=reply)
        except Exception as exc:
            self._pulls.ended(pull_id)
            self._unsubscribe([pull_id])
            self._refused(f"cannot ask the stream for messages ({_describe(exc)}); retrying")
            return False
        return True

    def _unsubscribe(self, pull_ids: list[str]) -> None:
        """Drop the subscriptions of ended requests (in a task of its own: this may run in one of their
        callbacks, which the unsubscription cancels)."""
        subs = [sub for sub in (self._pull_subs.pop(i, None) for i in pull_ids) if sub is not None]
        if subs:
            self._loop.create_task(_unsubscribe_all(subs))

    async def _on_message(self, pull_id: str, msg) -> None:
        """A stored message for request `pull_id`, or its status (heartbeat, expired, refused)."""
        status = msg.headers.get("Status") if msg.headers else None
        if status == STATUS_HEARTBEAT:
            self._pulls.heartbeat(pull_id, self._loop.time())
            return
        if status is not None:
            self._pulls.ended(pull_id)
            self._unsubscribe([pull_id])
            self._wake.set()
            if status != STATUS_EXPIRED:  # 503: no consumer leader now; 409: the consumer is gone, ...
                description = msg.headers.get("Description", "")
                self._refused(f"the stream refused a pull request: {status} {description}")
            return
        if self._pulls.delivered(pull_id, self._loop.time()):
            self._unsubscribe([pull_id])
            self._wake.set()
        if self._complaint is not None:
            log.warning("receiving from the stream again")
            self._complaint = None
        self._in_flight += 1
        mid = next(self._ids)
        self._pending[mid] = msg
        payload = as_received(
            msg.data,
            retained=False,
            limit=MAX_PAYLOAD_BYTES,
            keep_bytes=self.settings.dead_letter_max_bytes,
        )
        self.deliveries.put(Delivery(subject_to_topic(msg.subject), payload, mid, 1, 0))

    def _refused(self, text: str) -> None:
        """Pause asking; log the refusal once, not at every retry."""
        self._paused_until = self._loop.time() + REFUSED_PAUSE_S
        if text != self._complaint and not self._stopping:
            log.warning("%s", text)
        self._complaint = text

    async def _ack(self, msgs: list) -> None:
        failed = 0
        for msg in msgs:
            try:
                await msg.ack()
            except Exception:
                failed += 1
        self._in_flight -= len(msgs)
        self._wake.set()
        if failed:
            log.warning("%d acknowledgements not sent: those messages come again and are skipped", failed)
        try:
            await self._nc.flush(timeout=5)
        except Exception as exc:
            log.debug("flush after acks: %s", _describe(exc))

    # ingest loop side ------------------------------------------------------------------------

    def ack(self, deliveries: list[Delivery]) -> int:
        """Acknowledge committed deliveries (sent from the NATS thread, in this order)."""
        msgs = [m for m in (self._pending.pop(d.mid, None) for d in deliveries) if m is not None]
        if msgs:
            self._loop.call_soon_threadsafe(self._start_ack, msgs)
        return len(msgs)

    def _start_ack(self, msgs: list) -> None:
        task = self._loop.create_task(self._ack(msgs))
        self._acking.add(task)  # `_close` waits for these
        task.add_done_callback(self._acking.discard)

    def stop(self) -> None:
        """After the ingest loop ended: send the acknowledgements still on their way, hand back what was
        received but not committed, close."""
        self._stopping = True
        if self._thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(15)
        except Exception as exc:
            log.debug("closing the NATS connection: %s", _describe(exc))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    async def _close(self) -> None:
        if self._puller is not None:
            self._puller.cancel()
        if self._nc is None or self._nc.is_closed:
            return
        # nothing more comes in: what was received is committed and acknowledged, or handed back
        await _unsubscribe_all([self._pull_subs.pop(i) for i in list(self._pull_subs)])
        await asyncio.gather(*self._acking, return_exceptions=True)
        # A nak gives a received, uncommitted message to another gateway at once; without it JetStream
        # waits `ack_wait_s` (a restarted gateway held 2,000 messages for 60 s in the benchmark).
        for msg in list(self._pending.values()):
            try:
                await msg.nak()
            except Exception as exc:
                log.debug("nak: %s", _describe(exc))
                break
        self._pending.clear()
        await self._nc.close()  # flushes what is queued

    # client callbacks (NATS thread) ----------------------------------------------------------

    async def _on_error(self, exc: Exception) -> None:
        log.debug("nats: %s", _describe(exc))

    async def _on_disconnected(self) -> None:
        if not self._stopping:
            log.warning("disconnected from the NATS cluster; reconnecting")

    async def _on_reconnected(self) -> None:
        log.warning("reconnected to the NATS cluster at %s", self._nc.connected_url.netloc)
        # The open requests lived on a node that may be gone: ask again (messages of an old request
        # that was kept are still delivered).
        self._unsubscribe(self._pulls.clear())
        self._wake.set()


async def _unsubscribe_all(subs: list) -> None:
    for sub in subs:
        try:
            await sub.unsubscribe()
        except Exception as exc:  # the connection is closing or closed: the server drops them anyway
            log.debug("unsubscribe: %s", _describe(exc))


def _answers(server: str, timeout: float) -> bool:
    split = urlsplit(server)
    try:
        socket.create_connection((split.hostname, split.port), timeout=timeout).close()
        return True
    except OSError:
        return False


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text and text[0] else type(exc).__name__
