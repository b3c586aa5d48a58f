"""`dms gateway run`: receive -> batch -> commit -> acknowledge, until stopped.

A batch is what has arrived up to `batch_max` messages, waiting at most `batch_wait_ms` after its
first message, so a busy gateway commits large batches and a quiet one commits each message at once.
When the database is unreachable the batch is retried (nothing acknowledged) until it commits.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from dms.contract.messages import utc_now
from gateway.changes import prune_changes
from gateway.db.retention import housekeeping
from gateway.db.session import make_engine, make_sessionmaker, session_scope
from gateway.ingest import BatchResult, Ingestor
from gateway.ingest.batch import Clock, is_transient
from gateway.maintenance import propose_calendar_due
from gateway.mqtt import Delivery, MqttReceiver
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
# At most this many chunks of expired msg_ids per periodic run (200,000 rows: more than a minute of
# ingest at 1,000 msg/s), so a large backlog is worked off over several runs without stalling ingest.
HOUSEKEEPING_CHUNKS = 10


@dataclass
class Counters:
    batches: int = 0
    totals: BatchResult = field(default_factory=BatchResult)
    acked: int = 0
    retries: int = 0


def take_batch(deliveries: queue.Queue[Delivery], first: Delivery, limit: int, wait_s: float,
               monotonic: Callable[[], float] = time.monotonic) -> list[Delivery]:
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


class GatewayService:
    def __init__(self, receiver: MqttReceiver, ingestor: Ingestor, settings: GatewaySettings, clock: Clock):
        self.receiver = receiver
        self.ingestor = ingestor
        self.settings = settings
        self.clock = clock
        self.counters = Counters()
        self.stopping = threading.Event()

    @classmethod
    def create(cls, receiver: MqttReceiver, db_url: str, settings: GatewaySettings,
               clock: Clock = utc_now) -> GatewayService:
        sessions = make_sessionmaker(make_engine(db_url))
        return cls(receiver, Ingestor(sessions, settings, clock), settings, clock)

    def run(self) -> None:
        next_calendar = 0.0
        while not self.stopping.is_set():
            if time.monotonic() >= next_calendar:
                self._periodic()
                next_calendar = time.monotonic() + self.settings.calendar_check_s
            try:
                first = self.receiver.deliveries.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = take_batch(self.receiver.deliveries, first, self.settings.batch_max,
                               self.settings.batch_wait_ms / 1000)
            self._commit_then_ack(batch)

    def _commit_then_ack(self, batch: list[Delivery]) -> None:
        items = [(d.topic, d.payload) for d in batch]
        while True:
            try:
                result = self.ingestor.apply(items)
                break
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self.counters.retries += 1
                log.warning("database unavailable (%s); retrying in %.1f s, nothing acknowledged",
                            str(exc).splitlines()[0], self.settings.retry_after_s)
                if self.stopping.wait(self.settings.retry_after_s):
                    return  # not acknowledged: the broker redelivers to us or to another gateway
        self.counters.acked += self.receiver.ack(batch)
        self.counters.batches += 1
        self.counters.totals += result

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
            if kept.months_created or kept.months_dropped:
                log.info("housekeeping: %s", kept.summary())
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("periodic jobs skipped: database unavailable (%s)", str(exc).splitlines()[0])

    def stop(self) -> None:
        self.stopping.set()
