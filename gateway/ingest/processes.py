"""Ingest in worker processes: decoding and SQL building run beside the MQTT receive, not under its lock.

A gateway process that receives and ingests in threads is bound by one interpreter lock: paho's receive
path and the ingest each took about half of it (py-spy, 10,000 vehicles), so neither could use the
second core. Here the gateway process only receives, batches and acknowledges; each batch is pickled to
one of `ingest_workers` processes, which apply it on their own database connection and return the
`BatchResult`. The caller still acknowledges only after the worker's commit, in arrival order.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from gateway.ingest.batch import (
    BatchResult,
    Clock,
    DatabaseUnavailable,
    Ingestor,
    Received,
    ingest_sessions,
    is_transient,
)
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
_worker: Ingestor | None = None  # one per worker process, made by _start_worker
# A batch of 2,000 messages makes some 100,000 short-lived objects (decoded messages, row dicts), nearly
# all freed by reference counting: with the default threshold (700) the cycle collector ran hundreds of
# times a batch, each time also walking the modules and objects of start-up. Measured on
# `Ingestor.apply` at 10,000 vehicles: 80-95 -> 63-68 us of worker CPU per message.
GC_THRESHOLDS = (50_000, 20, 100)


def relax_gc() -> None:
    """After start-up: leave what is loaded out of every collection, and collect cycles less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class IngestWorkerFailed(RuntimeError):
    """A batch failed in a worker for a reason other than the database being away (a bug): the
    original exception does not always pickle, so its type and message travel as text."""


class IngestWorkerDied(IngestWorkerFailed):
    """A worker process died (killed, out of memory) under a batch, which was not committed. The pool
    has already been replaced: the caller may apply the batch again."""


class ProcessIngestor(Ingestor):
    """An `Ingestor` whose `apply` runs in a pool of worker processes; `sessions` (this process's own
    connection) still serves the gateway's periodic jobs."""

    def __init__(self, sessions, db_url: str, settings: GatewaySettings, clock: Clock, workers: int):
        super().__init__(sessions, settings, clock)
        self._db_url, self._workers = db_url, workers
        self._lock = threading.Lock()
        self.replaced = 0  # pools started again after a worker died
        self._pool, self.pids = self._start_pool()

    def _start_pool(self) -> tuple[ProcessPoolExecutor, list[int]]:
        # spawn, not fork: the gateway process has threads (paho's network loop) whose locks a fork copies.
        context = multiprocessing.get_context("spawn")
        started = context.SimpleQueue()
        pool = ProcessPoolExecutor(
            self._workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self._db_url, self.settings, self.clock, started),
        )
        # The pool starts a process per submission while none is idle: start them all now (imports,
        # engine), not on the first batches, and learn their ids.
        for future in [pool.submit(os.getpid) for _ in range(self._workers)]:
            future.result()
        return pool, sorted(started.get() for _ in range(self._workers))

    def apply(self, batch: Sequence[Received]) -> BatchResult:
        pool = self._pool
        try:
            return pool.submit(_apply, list(batch)).result()
        except BrokenProcessPool:
            self._replace(pool)
            raise IngestWorkerDied(
                "an ingest worker process died; the batch was not acknowledged (workers replaced)"
            ) from None

    def apply_here(self, batch: Sequence[Received]) -> BatchResult:
        """In this process: for a batch under which workers keep dying."""
        return super().apply(batch)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A dead worker breaks the whole pool (and every batch in it): start a new one, once however
        many batches report the same death."""
        with self._lock:
            if self._pool is not broken:
                return
            # The survivors ignore SIGTERM (the pool's own way to end them) and their batches are
            # already reported failed, to be applied again: end them, rolling back what they hold.
            survivors = list((broken._processes or {}).values())
            broken.shutdown(wait=False, cancel_futures=True)
            for process in survivors:
                if process.is_alive():
                    process.kill()
            self._pool, self.pids = self._start_pool()
            self.replaced += 1
            log.error("an ingest worker process died; started new workers %s", self.pids)

    def close(self) -> None:
        with self._lock:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(db_url: str, settings: GatewaySettings, clock: Clock, started) -> None:
    global _worker
    # Stopping is the gateway process's job: it lets the batches in hand commit, then shuts the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, daemon=True, name="parent-watch").start()
    _worker = Ingestor(ingest_sessions(db_url), settings, clock)
    relax_gc()
    started.put(os.getpid())


def _exit_with_parent() -> None:
    """A gateway killed outright (SIGKILL, OOM) cannot shut its pool: do not outlive it. An uncommitted
    transaction is rolled back by the database when the connection closes."""
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    os._exit(1)


def _apply(batch: list[Received]) -> BatchResult:
    assert _worker is not None
    try:
        return _worker.apply(batch)
    except Exception as exc:
        if is_transient(exc):
            raise DatabaseUnavailable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        log.exception("ingest worker: batch failed")
        raise IngestWorkerFailed(f"{type(exc).__name__}: {exc}") from None
