"""One transaction per batch of received messages.

`Ingestor.apply(batch)` decodes every (topic, payload) with the wire contract (JSON or compact, one
message or a batch of samples), dead-letters what is invalid (a whole payload), drops msg_ids already applied (the `processed_messages` primary key decides, also between
two gateway processes), and applies the rest to history tables, projections and triggers, all in one
commit. The caller acknowledges the batch to the broker only after `apply` returned.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dms.contract import (
    ContractError,
    DriverEvent,
    DriverState,
    Envelope,
    Presence,
    VehicleStatus,
    decode_all,
    is_command_topic,
)
from dms.contract.codec import MAX_PAYLOAD_BYTES
from dms.contract.messages import utc_now
from gateway.changes import record_changes
from gateway.db.history import merge_minutes, minute_rows
from gateway.db.models import (
    DeadLetter,
    OdometerReading,
    ProcessedMessage,
    StatusSample,
    Vehicle,
    VehicleLiveStatus,
)
from gateway.db.session import is_sqlite, make_engine, make_sessionmaker, session_scope
from gateway.db.upsert import JSONText, bulk_insert, bulk_update, insert_ignore, one_of
from gateway.ingest.dead_letters import Oversize, dead_letter_row, is_retained
from gateway.ingest.events import flag_repeated_fatigue, store_events, update_alerts
from gateway.ingest.live import LIVE_COLUMNS, LiveRow, StatusProjector, apply_driver_state, apply_presence
from gateway.maintenance import Proposals, rules_for
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Received = tuple[str, bytes | Oversize]  # (topic, payload) as the broker delivered them
# A batch whose new live rows another gateway inserted first is applied again (it then finds them); a
# third time would mean the rows it waited for were rolled back and made again, twice: not expected.
LIVE_ROW_ATTEMPTS = 3


@dataclass
class BatchResult:
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    appointments: int = 0

    def __iadd__(self, other: BatchResult) -> BatchResult:
        for name in ("applied", "duplicates", "dead_lettered", "appointments"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


class LiveRowTaken(Exception):
    """Another transaction inserted the live row of a vehicle this batch saw first: apply it again."""

    def __init__(self, vehicle_ids: list[str]):
        super().__init__(
            f"live rows of {len(vehicle_ids)} vehicle(s) made meanwhile, e.g. {vehicle_ids[0]!r}"
        )


class DatabaseUnavailable(Exception):
    """A transient database error as reported across a process boundary (see `ingest/processes.py`)."""


def is_transient(exc: BaseException) -> bool:
    """A database that is down or busy (retry later) as opposed to a batch it refuses (isolate it)."""
    return isinstance(exc, (OperationalError, DatabaseUnavailable)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def ingest_sessions(db_url: str) -> sessionmaker[Session]:
    """Sessions for an `Ingestor` that does nothing else (an ingest worker process): its connections
    are not checked when taken from the pool (a round trip per batch); `Ingestor` applies a batch again
    on a new connection when the one it took was dead."""
    return make_sessionmaker(make_engine(db_url, pool_pre_ping=False))


class Ingestor:
    """Applies batches of received messages. Stateless between batches; safe to run in several processes."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: GatewaySettings | None = None, clock: Clock = utc_now
    ):
        self.sessions = sessions
        self.settings = settings or GatewaySettings()
        self.clock = clock

    def single_writer(self) -> bool:
        """SQLite takes one writing transaction at a time: a second ingest worker would only wait."""
        with self.sessions() as db:
            return is_sqlite(db.get_bind())

    def close(self) -> None:
        """Release what `apply` holds beyond the sessions (nothing here; worker processes elsewhere)."""

    def apply(self, batch: Sequence[Received]) -> BatchResult:
        """Apply a batch in one transaction. Transient database errors propagate (retry the batch);
        a batch the database refuses for another reason is split in halves, and halves of the half that
        fails, so that only the offending message is dead-lettered (reason `apply_failed`): one such
        message among n costs about 2*log2(n) transactions, not n (2,000 one by one took 20 s)."""
        try:
            return self._apply_in_transaction(batch)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning("batch of %d refused (%s); isolating the message it refuses", len(batch), exc)
            return self._isolate(batch, exc)

    def _isolate(self, batch: Sequence[Received], exc: Exception) -> BatchResult:
        """`batch` was refused with `exc`: apply its halves on their own, down to single messages."""
        if len(batch) == 1:
            return self._dead_letter_failed(batch[0], exc)
        total = BatchResult()
        middle = len(batch) // 2
        for half in (batch[:middle], batch[middle:]):
            try:
                total += self._apply_in_transaction(half)
            except Exception as refused:
                if is_transient(refused):
                    raise
                total += self._isolate(half, refused)
        return total

    def _apply_in_transaction(self, batch: Sequence[Received]) -> BatchResult:
        stale_retried = False
        for attempt in itertools.count(1):
            now = self.clock()
            try:
                with session_scope(self.sessions) as db:
                    return self._apply(db, batch, now)
            except LiveRowTaken as taken:
                if attempt >= LIVE_ROW_ATTEMPTS:
                    raise
                log.info("%s; applying the batch again", taken)
            except DBAPIError as exc:
                # The pool does not check a connection before each batch (a round trip per batch): one
                # found dead (the database restarted since) is dropped by the pool; try once more at
                # once on a new one before the caller's wait-and-retry.
                if not exc.connection_invalidated or stale_retried:
                    raise
                stale_retried = True
                log.info("database connection lost (%s); applying the batch on a new one", exc.orig)
        raise AssertionError("unreachable")

    def _dead_letter_failed(self, item: Received, exc: Exception) -> BatchResult:
        now = self.clock()
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        with session_scope(self.sessions) as db:
            db.execute(
                insert(DeadLetter),
                [
                    dead_letter_row(
                        item[0],
                        item[1],
                        "apply_failed",
                        detail,
                        now=now,
                        max_bytes=self.settings.dead_letter_max_bytes,
                    )
                ],
            )
            record_changes(db, [("dead_letter", None, None)], now=now)
        return BatchResult(dead_lettered=1)

    # -- the transaction --------------------------------------------------------------------------

    def _apply(self, db: Session, batch: Sequence[Received], now: datetime) -> BatchResult:
        result = BatchResult()
        dead: list[dict] = []
        valid: list[tuple[Received, Envelope]] = []
        for topic, payload in batch:
            if is_command_topic(topic):  # the back office's own command to a vehicle: not ours to store
                continue
            if isinstance(payload, Oversize):  # its size was checked (and the rest dropped) on arrival
                dead.append(
                    self._dead(
                        topic, payload, "too_large", f"{payload.size} bytes, limit {MAX_PAYLOAD_BYTES}", now
                    )
                )
                continue
            try:  # one message, or a batch of samples (each applied as if it had come alone)
                valid += [((topic, payload), message) for message in decode_all(topic, payload)]
            except ContractError as exc:
                dead.append(self._dead(topic, payload, exc.reason, exc.detail, now))

        vehicles = self._vehicles(db, {m.vehicle_id for _, m in valid}, now)
        known: dict[str, Envelope] = {}
        unknown: set[int] = set()  # payloads dead-lettered for their vehicle: a batch once, not per sample
        for (topic, payload), msg in valid:
            if msg.vehicle_id not in vehicles:
                if id(payload) in unknown:
                    continue
                unknown.add(id(payload))
                dead.append(
                    self._dead(
                        topic,
                        payload,
                        "unknown_vehicle",
                        f"vehicle {msg.vehicle_id!r} is not registered",
                        now,
                    )
                )
            elif msg.msg_id in known:
                result.duplicates += 1
            else:
                known[msg.msg_id] = msg
        # Sorted: two gateways inserting overlapping msg_ids take the row locks in the same order (no deadlock).
        fresh_ids = set(
            insert_ignore(
                db,
                ProcessedMessage.__table__,
                [
                    {
                        "msg_id": m.msg_id,
                        "vehicle_id": m.vehicle_id,
                        "kind": m.kind,
                        "ts": m.ts,
                        "received_at": now,
                    }
                    for m in sorted(known.values(), key=lambda m: m.msg_id)
                ],
                returning=ProcessedMessage.msg_id,
            )
        )
        fresh = sorted((m for m in known.values() if m.msg_id in fresh_ids), key=lambda m: m.ts)
        result.duplicates += len(known) - len(fresh)
        result.applied = len(fresh)

        changes: list[tuple[str, str | None, str | None]] = []
        proposals = Proposals.start(now)
        if fresh:
            changes += self._apply_fresh(db, fresh, vehicles, proposals, now)
        created = proposals.commit(db)
        result.appointments = len(created)
        changes += [("appointment", a.vehicle_id, str(a.id)) for a in created]
        fresh_dead = self._not_yet_dead(db, dead)  # a retained one already recorded is not counted again
        if fresh_dead:
            bulk_insert(db, DeadLetter.__table__, fresh_dead)
            changes.append(("dead_letter", None, None))
        result.dead_lettered = len(fresh_dead)
        record_changes(db, changes, now=now)
        return result

    @staticmethod
    def _not_yet_dead(db: Session, rows: list[dict]) -> list[dict]:
        """A retained payload (a vehicle's presence) comes again at every subscription: one that was
        dead-lettered exactly as it is, is not again. Anything else is a new delivery, kept each time."""
        retained = {id(row) for row in rows if row.pop("retained", False)}
        if not retained:
            return rows
        table = DeadLetter.__table__
        again = [row for row in rows if id(row) in retained]
        seen = {
            (topic, size, bytes(head))
            for topic, size, head in db.execute(
                select(table.c.topic, table.c.payload_size, table.c.payload).where(
                    table.c.topic.in_(sorted({r["topic"] for r in again})),
                    table.c.payload_size.in_(sorted({r["payload_size"] for r in again})),
                )
            )
        }
        kept = []
        for row in rows:
            key = (row["topic"], row["payload_size"], row["payload"])
            if id(row) in retained:
                if key in seen:
                    continue
                seen.add(key)
            kept.append(row)
        return kept

    def _horizon(self, now: datetime) -> datetime:
        """The latest message time the gateway believes (its clock plus the allowed skew)."""
        return now + timedelta(seconds=self.settings.max_future_skew_s)

    def _dead(self, topic: str, payload: bytes | Oversize, reason: str, detail: str, now: datetime) -> dict:
        return is_retained(
            dead_letter_row(
                topic, payload, reason, detail, now=now, max_bytes=self.settings.dead_letter_max_bytes
            ),
            payload,
        )

    def _vehicles(self, db: Session, ids: set[str], now: datetime) -> dict[str, Vehicle]:
        if not ids:
            return {}
        if self.settings.auto_register_unknown:
            insert_ignore(
                db,
                Vehicle.__table__,
                [
                    {
                        "vehicle_id": v,
                        "status": "active",
                        "archived": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for v in sorted(ids)
                ],
            )
        # Rows of what the projection and triggers read of a Vehicle (id, model, dealer): ORM objects for
        # 2,000 vehicles cost more than the rest of the batch.
        found = db.execute(
            select(Vehicle.vehicle_id, Vehicle.model, Vehicle.dealer_code).where(
                one_of(db, Vehicle.vehicle_id, sorted(ids))
            )
        ).all()
        return {v.vehicle_id: v for v in found}

    def _apply_fresh(
        self,
        db: Session,
        fresh: list[Envelope],
        vehicles: dict[str, Vehicle],
        proposals: Proposals,
        now: datetime,
    ) -> list[tuple[str, str | None, str | None]]:
        by_kind: dict[type, list] = defaultdict(list)
        for msg in fresh:
            by_kind[type(msg)].append(msg)
        statuses: list[VehicleStatus] = by_kind[VehicleStatus]
        events: list[DriverEvent] = by_kind[DriverEvent]
        changes: list[tuple[str, str | None, str | None]] = []

        # Everything that takes no lock another batch of the same vehicles needs comes before the live
        # rows' locks: two workers (or gateways) fed the same vehicles wait for each other only from there
        # to the commit. New history rows collide with nobody (their msg_ids are this batch's own).
        minutes = self._store_status_history(db, statuses, now)
        rules = rules_for(
            db, [vehicles[v] for v in sorted({m.vehicle_id for m in statuses})], ("km", "engine_hours")
        )
        live, missing = self._lock_live(db, sorted({m.vehicle_id for m in fresh}), now)
        # after the live rows' locks (the same order everywhere): batches of the same vehicles merge
        # their minutes in turn
        merge_minutes(db, minutes)
        horizon = self._horizon(now)
        ahead = [m for m in fresh if m.ts > horizon]
        if ahead:  # a clock far ahead: kept in the history, never shown live (it would hold the view)
            log.warning(
                "%d messages stamped more than max_future_skew_s (%g s) ahead of the gateway clock "
                "stored in the history only, e.g. %s %s at %s",
                len(ahead),
                self.settings.max_future_skew_s,
                ahead[0].vehicle_id,
                ahead[0].kind,
                ahead[0].ts.isoformat(),
            )
        projector = StatusProjector(self.settings, proposals, horizon)
        for msg in fresh:  # timestamp order
            row = live[msg.vehicle_id]
            row.last_seen = now
            if isinstance(msg, VehicleStatus):
                moved = projector.apply(row, vehicles[msg.vehicle_id], rules.get(msg.vehicle_id, []), msg)
            elif isinstance(msg, Presence):
                moved = apply_presence(row, msg, horizon)
            elif isinstance(msg, DriverState):
                moved = apply_driver_state(row, msg, horizon)
            else:
                moved = False
            if moved:
                row.updated_at = now
                changes.append((msg.kind if msg.kind != "state" else "driver_state", msg.vehicle_id, None))

        self._write_live(db, live, missing)
        event_ids = store_events(db, events, now=now)
        changes += [("event", m.vehicle_id, str(i)) for m, i in zip(events, event_ids)]
        alert_ids = update_alerts(db, events) + flag_repeated_fatigue(db, events, self.settings)
        changes += [("alert", vehicle_id, str(i)) for i, vehicle_id in alert_ids]
        return changes

    def _store_status_history(
        self, db: Session, statuses: list[VehicleStatus], now: datetime
    ) -> list[dict[str, Any]]:
        """Insert the samples and odometer readings; their minute rows, for `merge_minutes`."""
        samples, odometer = [], []
        for m in statuses:
            s = m.signals
            samples.append(
                {
                    "msg_id": m.msg_id,
                    "vehicle_id": m.vehicle_id,
                    "ts": m.ts,
                    "driver_id": m.driver_id,
                    "speed_kmh": s.speed,
                    "odometer_km": s.traveled_distance,
                    "latitude": s.latitude,
                    "longitude": s.longitude,
                    "fuel_pct": s.fuel_level,
                    "battery_v": s.low_voltage_battery_voltage,
                    "engine_hours": s.engine_hours,
                    "signals": JSONText(s.model_dump_json(by_alias=True, exclude_none=True)),
                }
            )
            if s.traveled_distance is not None:
                odometer.append(
                    {
                        "vehicle_id": m.vehicle_id,
                        "ts": m.ts,
                        "odometer_km": s.traveled_distance,
                        "source": "telemetry",
                        "msg_id": m.msg_id,
                        "created_at": now,
                    }
                )
        bulk_insert(db, StatusSample.__table__, samples)
        bulk_insert(db, OdometerReading.__table__, odometer)
        return minute_rows(samples)

    def _lock_live(
        self, db: Session, vehicle_ids: list[str], now: datetime
    ) -> tuple[dict[str, LiveRow], set[str]]:
        """The live rows of these vehicles, locked (PostgreSQL: FOR UPDATE, in id order, so concurrent
        gateways do not deadlock; SQLite: the transaction already holds the lock), and the ids of those
        that have none yet: their rows are made here, empty, and inserted with their values by
        `_write_live` (one INSERT, not an INSERT, a second SELECT and an UPDATE: at first contact with
        10,000 vehicles those were 60 % of the batch's statement time)."""
        rows = self._select_live(db, vehicle_ids)
        missing = {v for v in vehicle_ids if v not in rows}
        for v in missing:
            rows[v] = LiveRow.empty(v, now)
        return rows, missing

    @staticmethod
    def _write_live(db: Session, live: dict[str, LiveRow], missing: set[str]) -> None:
        """Write the batch's live rows back: UPDATE those that were locked, INSERT the new ones. A new row
        that another gateway inserted meanwhile (both saw the vehicle's first messages at once) is
        skipped by the insert after waiting for that transaction: `LiveRowTaken` rolls the batch back
        to apply it again, now over the other gateway's row."""
        table = VehicleLiveStatus.__table__
        bulk_update(db, table, [row.as_dict() for v, row in live.items() if v not in missing], "vehicle_id")
        if missing:
            # Only the columns some new row has a value for (the rest are NULL anyway): a status-only batch
            # sends half of them. Sorted: the same lock order everywhere.
            known = [c for c in LIVE_COLUMNS if any(getattr(live[v], c) is not None for v in missing)]
            rows = [{c: getattr(live[v], c) for c in known} for v in sorted(missing)]
            inserted = insert_ignore(db, table, rows, returning=table.c.vehicle_id)
            if len(inserted) < len(rows):
                raise LiveRowTaken(sorted(missing - set(inserted)))

    @staticmethod
    def _select_live(db: Session, vehicle_ids: list[str]) -> dict[str, LiveRow]:
        table = VehicleLiveStatus.__table__
        rows = db.execute(
            select(*(table.c[name] for name in LIVE_COLUMNS))
            .where(one_of(db, table.c.vehicle_id, vehicle_ids))
            .order_by(table.c.vehicle_id)
            .with_for_update()
        ).all()
        return {r.vehicle_id: LiveRow(r) for r in rows}
