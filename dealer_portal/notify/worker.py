"""The delivery worker: new alerts and maintenance proposals (read from the gateway's change log, past
a cursor kept in `app_settings`) become one queued delivery per matching rule; due deliveries are sent,
retried with exponential backoff, and given up after `max_attempts`. It runs in its own thread or
process: the ingest and the pages only write rows, they never wait for a mail server or a webhook.

    worker = NotificationWorker(sessions, settings.notify, clock)
    worker.run_once()             # one pass (tests); worker.run(stop_event) loops every poll_s
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dealer_portal import i18n
from dealer_portal.messages import N_, localize_note
from dealer_portal.notify import send
from dealer_portal.notify.rules import EVENT_TYPES
from dealer_portal.notify.settings import NotifySettings
from dealer_portal.notify.tables import NotificationDelivery, NotificationRule
from dealer_portal.records.actor import AREAS
from gateway.db.models import Alert, AppSetting, Change, ServiceAppointment, User, Vehicle
from gateway.db.session import session_scope
from gateway.db.upsert import insert_ignore

log = logging.getLogger(__name__)
CURSOR_KEY = "notify_change_cursor"
WATCHED = ("alert", "appointment")
EMAIL_SUBJECT = N_("[DMS] {event}: {vehicle}")
EMAIL_AT = N_("at {when} ({zone})")
EMAIL_LINE = N_("{field}: {value}")
# The e-mail's lines, by the document's keys (a webhook gets the document itself, keys in English).
EMAIL_FIELDS = {
    "driver_id": N_("Driver"),
    "level": N_("Level"),
    "detail": N_("Detail"),
    "reason": N_("Reason"),
    "due_date": N_("Due date"),
    "dealer_code": N_("Dealer"),
}


@dataclass(frozen=True)
class Event:
    key: str
    type: str
    vehicle_id: str
    dealer_code: str | None
    at: datetime
    data: dict

    def subject(self) -> str:
        """In the current language (the recipient's, see `NotificationWorker._rows`)."""
        return i18n.gettext(EMAIL_SUBJECT).format(
            event=i18n.gettext(EVENT_TYPES.get(self.type, self.type)), vehicle=self.vehicle_id
        )


@dataclass
class PassResult:
    events: int = 0
    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _alert_event(alert: Alert, vehicle: Vehicle | None) -> Event:
    return Event(
        key=f"alert:{alert.id}",
        type=alert.type,
        vehicle_id=alert.vehicle_id,
        dealer_code=vehicle.dealer_code if vehicle else None,
        at=alert.opened_at,
        data={
            "alert_id": alert.id,
            "kind": alert.kind,
            "driver_id": alert.driver_id,
            "level": alert.level,
            "detail": alert.detail or "",
        },
    )


def _appointment_event(appointment: ServiceAppointment, vehicle: Vehicle | None) -> Event:
    return Event(
        key=f"appointment:{appointment.id}",
        type="service_request" if appointment.source == "manual" else "maintenance_due",
        vehicle_id=appointment.vehicle_id,
        dealer_code=appointment.dealer_code or (vehicle.dealer_code if vehicle else None),
        at=appointment.created_at,
        data={
            "appointment_id": appointment.id,
            "source": appointment.source,
            "reason": appointment.reason,
            "due_date": appointment.due_date.isoformat() if appointment.due_date else None,
        },
    )


class NotificationWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: NotifySettings,
        clock: Callable[[], datetime],
    ):
        self.sessions, self.settings, self.clock = sessions, settings, clock

    # -- one pass ------------------------------------------------------------------------------------

    def run_once(self) -> PassResult:
        result = PassResult()
        self.enqueue(result)
        self.deliver(result)
        return result

    def run(self, stop: threading.Event) -> None:
        """Passes every `poll_s` until `stop` is set; a failing pass is logged and the next one tried."""
        while not stop.is_set():
            try:
                result = self.run_once()
                if result.queued or result.sent or result.failed:
                    log.info(
                        "notifications: %d queued, %d sent, %d to retry, %d failed",
                        result.queued,
                        result.sent,
                        result.retried,
                        result.failed,
                    )
            except Exception:  # the database away for a moment: the next pass tries again
                log.exception("notification pass failed")
            stop.wait(self.settings.poll_s)

    # -- events -> queued deliveries --------------------------------------------------------------

    def enqueue(self, result: PassResult) -> None:
        now = self.clock()
        with session_scope(self.sessions) as db:
            stored = db.get(AppSetting, CURSOR_KEY)
            query = select(Change).where(Change.kind.in_(WATCHED)).order_by(Change.id)
            if stored is None:  # first pass on this database: only the recent past
                query = query.where(Change.created_at >= now - timedelta(seconds=self.settings.catch_up_s))
            else:
                query = query.where(Change.id > int(stored.value))
            changes = list(db.scalars(query.limit(self.settings.batch_size)))
            if changes:
                cursor = changes[-1].id
            elif stored is None:
                cursor = db.scalar(select(func.max(Change.id))) or 0
            else:
                return
            events = self._events(db, changes)
            result.events += len(events)
            rows = self._deliveries(db, events, now)
            if rows:
                result.queued += len(
                    insert_ignore(db, NotificationDelivery.__table__, rows, returning=NotificationDelivery.id)
                )
            if stored is None:
                db.add(AppSetting(key=CURSOR_KEY, value=str(cursor)))
            else:
                stored.value = str(cursor)

    @staticmethod
    def _events(db: Session, changes: list[Change]) -> dict[str, Event]:
        events: dict[str, Event] = {}
        for change in changes:
            if not (change.ref_id or "").isdigit():
                continue
            row_id = int(change.ref_id)
            if change.kind == "alert":
                alert = db.get(Alert, row_id)
                if alert is not None:
                    event = _alert_event(alert, db.get(Vehicle, alert.vehicle_id))
                    events.setdefault(event.key, event)
            else:
                appointment = db.get(ServiceAppointment, row_id)
                if appointment is not None:
                    event = _appointment_event(appointment, db.get(Vehicle, appointment.vehicle_id))
                    events.setdefault(event.key, event)
        return events

    def _deliveries(self, db: Session, events: dict[str, Event], now: datetime) -> list[dict]:
        if not events:
            return []
        types = sorted({e.type for e in events.values()})
        rules = db.execute(
            select(NotificationRule, User)
            .join(User, User.username == NotificationRule.username)
            .where(
                NotificationRule.active.is_(True),
                NotificationRule.event_type.in_(types),
                User.active.is_(True),
                User.role.in_(sorted(AREAS["notifications"])),
            )
        ).all()
        rows = []
        for event in events.values():
            body = json.dumps(self._document(event), sort_keys=True)
            for rule, user in rules:
                if rule.event_type != event.type:
                    continue
                if user.dealer_code is not None and user.dealer_code != event.dealer_code:
                    continue  # a dealer's staff hear only of their dealer's vehicles
                with i18n.using(i18n.of_user(user.language, user.time_zone)):
                    subject = event.subject()
                rows.append(
                    {
                        "rule_id": rule.id,
                        "username": rule.username,
                        "channel": rule.channel,
                        "target": rule.target,
                        "event_key": event.key,
                        "event_type": event.type,
                        "vehicle_id": event.vehicle_id,
                        "subject": subject[:200],
                        "body": body,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "last_error": "",
                        "created_at": now,
                        "sent_at": None,
                    }
                )
        return rows

    def _document(self, event: Event) -> dict:
        url = self.settings.portal_url.rstrip("/")
        return {
            "event": event.type,
            "event_key": event.key,
            "vehicle_id": event.vehicle_id,
            "dealer_code": event.dealer_code,
            "at": event.at.isoformat(),
            **event.data,
            "url": f"{url}/vehicles/{event.vehicle_id}" if url else None,
        }

    # -- queued deliveries -> sent, retried or failed ------------------------------------------------

    def deliver(self, result: PassResult) -> None:
        now = self.clock()
        lease = timedelta(seconds=2 * self.settings.send_timeout_s + 30)
        with session_scope(self.sessions) as db:
            due = list(
                db.scalars(
                    select(NotificationDelivery)
                    .where(
                        NotificationDelivery.status == "pending", NotificationDelivery.next_attempt_at <= now
                    )
                    .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
                    .limit(self.settings.batch_size)
                )
            )
            work = []
            for d in due:  # taken for this attempt: another worker leaves it until the lease ends
                d.next_attempt_at = now + lease
                rule = db.get(NotificationRule, d.rule_id) if d.rule_id is not None else None
                user = db.scalar(select(User).where(User.username == d.username)) if d.username else None
                work.append(
                    (
                        d.id,
                        d.channel,
                        d.target,
                        d.subject,
                        d.body,
                        d.event_type,
                        rule.secret if rule else None,
                        i18n.of_user(user.language, user.time_zone) if user else i18n.of_user(None, None),
                    )
                )
        for delivery_id, channel, target, subject, body, event_type, secret, reader in work:
            error = self._send(delivery_id, channel, target, subject, body, event_type, secret, reader)
            self._record(delivery_id, error, result)

    def _send(
        self,
        delivery_id: int,
        channel: str,
        target: str,
        subject: str,
        body: str,
        event: str,
        secret: str | None,
        reader: i18n.UserLocale,
    ) -> str | None:
        try:
            if channel == "email":
                with i18n.using(reader):
                    text = _email_text(body)
                send.send_email(self.settings, target, subject, text)
            else:
                send.send_webhook(
                    self.settings,
                    target,
                    body.encode("utf-8"),
                    secret=secret,
                    event=event,
                    delivery_id=delivery_id,
                )
        except send.DeliveryFailed as exc:
            return str(exc)
        except Exception as exc:  # never let one delivery stop the others
            return f"{type(exc).__name__}: {exc}"[:500]
        return None

    def _record(self, delivery_id: int, error: str | None, result: PassResult) -> None:
        now = self.clock()
        with session_scope(self.sessions) as db:
            d = db.get(NotificationDelivery, delivery_id)
            if d is None:
                return
            d.attempts += 1
            if error is None:
                d.status, d.sent_at, d.last_error, d.next_attempt_at = "sent", now, "", now
                result.sent += 1
                return
            d.last_error = error
            result.errors.append(error)
            if d.attempts >= self.settings.max_attempts:
                d.status, d.next_attempt_at = "failed", now
                result.failed += 1
            else:
                d.next_attempt_at = now + timedelta(seconds=self.backoff_s(d.attempts))
                result.retried += 1

    def backoff_s(self, attempts: int) -> float:
        """Wait after `attempts` failed attempts: base, 2 x base, 4 x base, ... at most backoff_max_s."""
        return min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2 ** max(attempts - 1, 0))


def _email_text(body: str) -> str:
    """The e-mail for a delivery's document, in the current language and zone (the recipient's)."""
    doc = json.loads(body)
    if doc.get("text"):  # written for its reader (a service reminder to a customer)
        return doc["text"]
    reader = i18n.current()
    at = datetime.fromisoformat(doc["at"])
    lines = [
        f"{i18n.gettext(EVENT_TYPES.get(doc['event'], doc['event']))} — {doc['vehicle_id']}",
        i18n.gettext(EMAIL_AT).format(when=reader.datetime(at, "datetime_s"), zone=reader.zone_label(at)),
        "",
    ]
    for key, name in EMAIL_FIELDS.items():
        if doc.get(key) not in (None, ""):
            value = localize_note(doc[key]) if key == "reason" else doc[key]
            lines.append(i18n.gettext(EMAIL_LINE).format(field=i18n.gettext(name), value=value))
    if doc.get("url"):
        lines += ["", doc["url"]]
    return "\n".join(lines) + "\n"


def start_in_thread(worker: NotificationWorker) -> tuple[threading.Thread, threading.Event]:
    """The worker beside a server in the same process; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="dms-notify", daemon=True)
    thread.start()
    return thread, stop
