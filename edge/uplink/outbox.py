"""A durable on-device outbox: every message is stored before it is sent, removed only after PUBACK.

SQLite in WAL mode. Events are committed with `synchronous=FULL` (on disk before `put` returns, so a
power cut cannot lose an alert); samples with `NORMAL` (safe against `kill -9`, cheaper on flash).

Size policy (the bound is `max_messages` rows): when a new message would exceed it, the oldest
*samples* (state, status) are dropped first; an event is never dropped. If the outbox holds only events
a new sample is refused, and a new event is still stored (the bound may then be exceeded by events
alone, which is logged). Order: rows are handed out by insertion sequence, so delivery is in order
per kind (and overall).

A full disk: the messages already stored stay (SQLite rolls the failed transaction back); a new sample
is dropped and a new event raises `OutboxDiskFull` (a UserError saying what is kept), so the runtime can
keep monitoring the driver and say clearly that this event was not stored.

A file that is not a readable SQLite database is moved aside (`<name>.corrupt-<UTC time>`) with a
warning naming both paths, and a fresh outbox is started.
"""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dms.errors import UserError

log = logging.getLogger(__name__)

EVENT_KIND = "event"
SAMPLE_KINDS = ("state", "status")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id   TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL,
    topic    TEXT NOT NULL,
    payload  BLOB NOT NULL,
    qos      INTEGER NOT NULL,
    retain   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_kind_seq ON messages(kind, seq);
"""


def _take_lock(path: Path):
    lock = open(f"{path}.lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise UserError(
            f"the outbox {path} is in use by another running 'dms edge' process; "
            "give each process its own --outbox"
        ) from None
    return lock


class OutboxDiskFull(UserError):
    """The disk holding the outbox is full: this event could not be stored (stored ones are kept)."""


def _disk_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(exc)
    )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    seq: int
    msg_id: str
    kind: str
    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass(frozen=True, slots=True)
class PutResult:
    stored: bool
    """False only for a sample refused because the outbox is full of events or its disk is full."""
    dropped: int
    """How many old samples were dropped to make room."""


# SQLite errors that say "cannot get at the file", not "the file is damaged": never move those aside.
_ACCESS_ERRORS = ("unable to open", "locked", "readonly", "read-only", "disk i/o error", "permission")


class Outbox:
    """Thread-safe: the runtime puts, the MQTT network thread acknowledges.

    `exclusive=True` (a sending runtime) takes an advisory lock next to the file, so a second process
    cannot send the same rows; the kernel drops the lock when its process dies, even by `kill -9`."""

    def __init__(self, path: str | Path, max_messages: int = 10_000, *, exclusive: bool = False):
        if max_messages < 1:
            raise UserError(f"outbox max_messages must be at least 1, got {max_messages}")
        self.path = Path(path)
        self.max_messages = max_messages
        self.moved_aside: Path | None = None
        self.dropped_samples = 0
        self._lock = threading.Lock()
        self._lock_file = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if exclusive:
                self._lock_file = _take_lock(self.path)
            try:
                self._db = self._open()
            except sqlite3.DatabaseError as exc:
                if any(text in str(exc).lower() for text in _ACCESS_ERRORS):
                    raise UserError(f"cannot use the outbox {self.path}: {exc}") from None
                self.moved_aside = self._move_aside(exc)
                self._db = self._open()
        except OSError as exc:
            raise UserError(f"cannot use the outbox {self.path}: {exc.strerror or exc}") from None
        except BaseException:
            self._release_lock()
            raise

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # ------------------------------------------------------------------ opening

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            row = db.execute("PRAGMA quick_check").fetchone()
            if row is None or row[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {row[0] if row else 'no answer'}")
            # a file with another table of that name fails here, not in the middle of a run
            db.execute("SELECT seq, msg_id, kind, topic, payload, qos, retain FROM messages LIMIT 1")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _move_aside(self, exc: Exception) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                src.rename(Path(str(target) + suffix))
        log.warning(
            "outbox %s is corrupt (%s): moved it aside to %s and started an empty outbox; "
            "messages in it were not sent",
            self.path,
            exc,
            target,
        )
        return target

    # ------------------------------------------------------------------ writing

    def put(
        self, msg_id: str, kind: str, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> PutResult:
        """Store one message durably. A msg_id already stored is ignored (stored=True, idempotent)."""
        is_event = kind not in SAMPLE_KINDS
        with self._lock:
            self._db.execute(f"PRAGMA synchronous={'FULL' if is_event else 'NORMAL'}")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                dropped, fits = self._make_room()
                if not fits and not is_event:
                    self._db.execute("COMMIT")
                    self.dropped_samples += dropped
                    return PutResult(stored=False, dropped=dropped)
                self._db.execute(
                    "INSERT OR IGNORE INTO messages (msg_id, kind, topic, payload, qos, retain) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (msg_id, kind, topic, payload, qos, int(retain)),
                )
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:  # SQLite already rolled back a commit that hit a full disk
                    self._db.execute("ROLLBACK")
                if _disk_full(exc):
                    return self._refuse_on_full_disk(kind, msg_id, is_event)
                raise
        self.dropped_samples += dropped
        if not fits:
            log.warning(
                "outbox %s holds only events and is at its bound (%d): storing the event anyway",
                self.path,
                self.max_messages,
            )
        return PutResult(stored=True, dropped=dropped)

    def _refuse_on_full_disk(self, kind: str, msg_id: str, is_event: bool) -> PutResult:
        if not is_event:
            self.dropped_samples += 1
            return PutResult(stored=False, dropped=1)
        kept = self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        raise OutboxDiskFull(
            f"outbox {self.path}: the disk is full, {kind} {msg_id} was not stored; "
            f"the {kept} messages already stored are kept and will be sent "
            "(free space on that disk)"
        )

    def _make_room(self) -> tuple[int, bool]:
        """Drop the oldest samples so one more row fits: (how many dropped, whether it now fits)."""
        total = self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        excess = total + 1 - self.max_messages
        if excess <= 0:
            return 0, True
        marks = ",".join("?" * len(SAMPLE_KINDS))
        cur = self._db.execute(
            f"DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE kind IN ({marks}) "
            f"ORDER BY seq LIMIT ?)",
            (*SAMPLE_KINDS, excess),
        )
        return cur.rowcount, cur.rowcount >= excess

    def remove(self, seq: int) -> None:
        """Forget a message the broker acknowledged (a sample dropped meanwhile is simply absent)."""
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                self._db.execute("DELETE FROM messages WHERE seq = ?", (seq,))
            except sqlite3.OperationalError as exc:
                if not _disk_full(exc):
                    raise
                # Kept: it is sent again by a later run and the receiver drops the duplicate msg_id.
                log.warning("outbox %s: disk full, an acknowledged message stays stored", self.path)

    # ------------------------------------------------------------------ reading

    def after(self, seq: int, limit: int) -> list[OutboxRow]:
        """Up to `limit` stored messages with a sequence number greater than `seq`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, msg_id, kind, topic, payload, qos, retain FROM messages WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [OutboxRow(r[0], r[1], r[2], r[3], bytes(r[4]), r[5], bool(r[6])) for r in rows]

    def get(self, seq: int) -> OutboxRow | None:
        rows = self.after(seq - 1, 1)
        return rows[0] if rows and rows[0].seq == seq else None

    def count(self, kind: str | None = None) -> int:
        with self._lock:
            if kind is None:
                return self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            return self._db.execute("SELECT COUNT(*) FROM messages WHERE kind = ?", (kind,)).fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._release_lock()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
