"""`dms gateway run`: receive -> batch -> commit -> acknowledge, until stopped.

A batch is what has arrived up to `batch_max` messages, waiting at most `batch_wait_ms` after its
first message, so a busy gateway commits large batches and a quiet one commits each message at once.
When the database is unreachable the batch is retried (nothing acknowledged) until it commits.
Up to `ingest_workers` batches are applied at once, each in its own transaction on its own connection
(PostgreSQL executes one batch while Python decodes the next), by default in worker processes
(`ingest/processes.py`); they are acknowledged in the order they were received, each only after its
own commit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from dms.contract.messages import utc_now
from gateway.changes import prune_changes
from gateway.db.retention import housekeeping
from gateway.db.session import make_engine, make_sessionmaker, session_scope
from gateway.ingest import BatchResult, Ingestor
from gateway.ingest.batch import Clock, is_transient
from gateway.ingest.processes import IngestWorkerDied, ProcessIngestor
from gateway.maintenance import propose_calendar_due
from gateway.mqtt import Delivery
from gateway.observability import LOOP_STALE_S, GatewayMetrics, database_reachable
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
# At most this many chunks of expired msg_ids per periodic run (200,000 rows: more than a minute of
# ingest at 1,000 msg/s), so a large backlog is worked off over several runs without stalling ingest.
HOUSEKEEPING_CHUNKS = 10
# How often a batch gathering behind a commit in flight looks whether that commit ended.
GROUP_POLL_S = 0.002
# A batch whose worker died this often is applied in the gateway process: it may be what kills them.
WORKER_DEATHS_PER_BATCH = 2


@dataclass
class Counters:
    batches: int = 0
    totals: BatchResult = field(default_factory=BatchResult)
    acked: int = 0
    retries: int = 0


def take_batch(
    deliveries: queue.Queue[Delivery],
    first: Delivery,
    limit: int,
    wait_s: float,
    monotonic: Callable[[], float] = time.monotonic,
) -> list[Delivery]:
    """`first` plus whatever else arrives within `wait_s`, at most `limit` messages."""
    batch = [first]
    deadline = monotonic() + wait_s
    while len(batch) < limit:
        try:
            batch.append(deliveries.get_nowait())
            continue
        except queue.Empty:
            pass
        remaining = deadline - monotonic()
        if remaining <= 0:
            break
        try:
            batch.append(deliveries.get(timeout=remaining))
        except queue.Empty:
            break
    return batch


class Receiver(Protocol):
    """What the ingest loop needs of a bus: `MqttReceiver` (Mosquitto) or `NatsReceiver` (JetStream)."""

    deliveries: queue.Queue[Delivery]

    @property
    def connected(self) -> bool: ...

    def ack(self, deliveries: list[Delivery]) -> int: ...


class GatewayService:
    def __init__(
        self,
        receiver: Receiver,
        ingestor: Ingestor,
        settings: GatewaySettings,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        """`clock`: wall time stamped on what is stored; `monotonic`: when the periodic checks are due."""
        self.receiver = receiver
        self.monotonic = monotonic
        self.ingestor = ingestor
        self.settings = settings
        self.clock = clock
        self.counters = Counters()
        self.metrics = GatewayMetrics()
        self.metrics.bind(receiver.deliveries.qsize, lambda: receiver.connected)
        self.last_turn = monotonic()
        self.stopping = threading.Event()

    @classmethod
    def create(
        cls, receiver: Receiver, db_url: str, settings: GatewaySettings, clock: Clock = utc_now
    ) -> GatewayService:
        sessions = make_sessionmaker(make_engine(db_url))
        ingestor = Ingestor(sessions, settings, clock)
        if settings.ingest_processes and not ingestor.single_writer():
            ingestor = ProcessIngestor(sessions, db_url, settings, clock, settings.ingest_workers)
        return cls(receiver, ingestor, settings, clock)

    def run(self) -> None:
        """Until stopped; a batch that fails for a reason other than the database being away stops the
        gateway with that error (nothing of it acknowledged)."""
        workers = 1 if self.ingestor.single_writer() else self.settings.ingest_workers
        try:
            self._run(workers)
        finally:
            self.ingestor.close()

    def _run(self, workers: int) -> None:
        slots = threading.Semaphore(workers)
        committing = SharedCount()  # batches submitted and not yet finished
        acks = OrderedAcks(self._acknowledge)
        failures: list[BaseException] = []
        next_calendar = 0.0
        with ThreadPoolExecutor(workers, thread_name_prefix="ingest") as pool:
            while not self.stopping.is_set():
                self.last_turn = self.monotonic()
                if self.monotonic() >= next_calendar:
                    self._periodic()
                    next_calendar = self.monotonic() + self.settings.calendar_check_s
                if not slots.acquire(timeout=0.2):  # every worker busy: messages wait in the queue
                    continue
                try:
                    first = self.receiver.deliveries.get(timeout=0.2)
                except queue.Empty:
                    slots.release()
                    continue
                batch = take_batch(
                    self.receiver.deliveries,
                    first,
                    self.settings.batch_max,
                    self.settings.batch_wait_ms / 1000,
                )
                # Group commit: while another batch is being committed, this one keeps gathering (up to
                # `batch_max`) instead of starting a transaction of a few messages beside it.
                while len(batch) < self.settings.batch_max and committing.value > 0:
                    self.last_turn = self.monotonic()  # alive while a long commit retries (/healthz)
                    if self.stopping.is_set():
                        break
                    try:
                        batch.append(self.receiver.deliveries.get(timeout=GROUP_POLL_S))
                    except queue.Empty:
                        pass
                self.metrics.messages_in.inc(len(batch))
                self.metrics.batch_size.observe(len(batch))
                ticket = acks.ticket()

                def finished(future: Future, batch=batch, ticket=ticket) -> None:
                    committing.add(-1)
                    slots.release()
                    if future.exception() is not None:
                        failures.append(future.exception())
                        self.stop()
                    acks.finished(ticket, batch, None if future.exception() else future.result())

                committing.add(1)
                pool.submit(self._commit, batch).add_done_callback(finished)
        if failures:
            raise failures[0]

    def _commit(self, batch: list[Delivery]) -> BatchResult | None:
        """Apply the batch, retrying while the database is away; None when stopped before it committed."""
        with self.metrics.batch_seconds.time():
            return self._apply([(d.topic, d.payload) for d in batch])

    def _apply(self, items: list) -> BatchResult | None:
        deaths = 0
        while True:
            try:
                if deaths >= WORKER_DEATHS_PER_BATCH:
                    return self.ingestor.apply_here(items)
                return self.ingestor.apply(items)
            except IngestWorkerDied as exc:
                deaths += 1
                self.metrics.worker_restarts.inc()
                log.error("%s; applying the batch of %d again", exc, len(items))
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self.counters.retries += 1
                self.metrics.retries.inc()
                log.warning(
                    "database unavailable (%s); retrying in %.1f s, nothing acknowledged",
                    str(exc).splitlines()[0],
                    self.settings.retry_after_s,
                )
                if self.stopping.wait(self.settings.retry_after_s):
                    return None  # not acknowledged: the broker redelivers to us or to another gateway

    def _acknowledge(self, batch: list[Delivery], result: BatchResult | None) -> None:
        if result is None:
            return
        acked = self.receiver.ack(batch)
        self.counters.acked += acked
        self.counters.batches += 1
        self.counters.totals += result
        m = self.metrics
        m.acked.inc(acked)
        m.batches.inc()
        m.applied.inc(result.applied)
        m.duplicates.inc(result.duplicates)
        m.dead_lettered.inc(result.dead_lettered)
        m.lag.set(self.monotonic() - min(d.received for d in batch))

    def _periodic(self) -> None:
        """Calendar maintenance rules, change-log pruning and the big tables' housekeeping (at start, so
        the coming months' status partitions exist before they are needed)."""
        now = self.clock()
        try:
            with session_scope(self.ingestor.sessions) as db:
                created = propose_calendar_due(db, now=now)
                prune_changes(db, older_than=now - timedelta(hours=self.settings.changes_retention_h))
            if created:
                log.info("calendar rules proposed %d appointments", len(created))
            kept = housekeeping(self.ingestor.sessions, self.settings, now, max_chunks=HOUSEKEEPING_CHUNKS)
            if kept.partitions_created or kept.partitions_dropped or kept.rows_deleted:
                log.info("housekeeping: %s", kept.summary())
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("periodic jobs skipped: database unavailable (%s)", str(exc).splitlines()[0])

    def live(self) -> bool:
        """The ingest loop turned recently (for /healthz)."""
        return not self.stopping.is_set() and self.monotonic() - self.last_turn < LOOP_STALE_S

    def ready(self) -> dict[str, tuple[bool, str]]:
        """Database reachable and bus connected (for /readyz)."""
        database = database_reachable(self.ingestor.sessions)
        self.metrics.database_up.set(1 if database[0] else 0)
        bus = self.receiver.connected
        return {"database": database, "bus": (bus, "connected" if bus else "not connected")}

    def stop(self) -> None:
        self.stopping.set()


class SharedCount:
    """A count that several threads change."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.value += n


class OrderedAcks:
    """Acknowledges batches in the order they were taken, whichever worker commits first (QoS 1 PUBACKs
    go in the order the PUBLISHes came): a batch committed early waits for those before it."""

    def __init__(self, acknowledge: Callable[[list[Delivery], BatchResult | None], None]):
        self._acknowledge = acknowledge
        self._issued = 0
        self._next = 0
        self._done: dict[int, tuple[list[Delivery], BatchResult | None]] = {}
        self._lock = threading.Lock()

    def ticket(self) -> int:
        with self._lock:
            self._issued += 1
            return self._issued - 1

    def finished(self, ticket: int, batch: list[Delivery], result: BatchResult | None) -> None:
        """`result` None: not committed (stopped, or failed): skipped, the broker redelivers it."""
        with self._lock:
            self._done[ticket] = (batch, result)
            while self._next in self._done:
                self._acknowledge(*self._done.pop(self._next))
                self._next += 1
