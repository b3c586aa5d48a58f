"""Each user's notification rules (event type x channel x target) and what they may read of the log."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import AUDIT_RULE_BY, N_, Text
from dealer_portal.notify.tables import NotificationDelivery, NotificationRule
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor, NotFound

# Event type -> how people read it. Driver states are the contract's alert types (DriverEventType);
# the rest come from the gateway's fleet flags and maintenance proposals.
EVENT_TYPES = {
    "microsleep": N_("Microsleep"),
    "sleep": N_("Sleep"),
    "drowsiness": N_("Drowsiness"),
    "yawning": N_("Yawning"),
    "long_distraction": N_("Distraction"),
    "vats": N_("Visual attention (VATS)"),
    "phone_use": N_("Phone use"),
    "unresponsive": N_("Unresponsive driver"),
    "not_monitoring": N_("Driver not monitored"),
    "repeated_fatigue": N_("Repeated fatigue (driver flag)"),
    "maintenance_due": N_("Maintenance due"),
    "service_request": N_("Service requested"),
}
CHANNELS = {"email": N_("E-mail"), "webhook": N_("Webhook")}
STATUSES = ("pending", "sent", "failed")
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")

BAD_EVENT = N_("Event: choose one of the offered events")
BAD_CHANNEL = N_("Channel: choose e-mail or webhook")
BAD_EMAIL = N_("Address: enter one e-mail address, like dispatch@example.com")
BAD_URL = N_("URL: enter an http:// or https:// address, like https://hooks.example.com/dms")
SECRET_ONLY_WEBHOOK = N_("Signing secret: only a webhook is signed; leave it empty for e-mail")
SHORT_SECRET = N_("Signing secret: at least 16 characters, or leave it empty")


def check_target(channel: str, target: str, secret: str) -> None:
    """One message per field for what cannot be a rule (FieldError)."""
    errors: dict[str, str] = {}
    if channel == "email":
        if not _EMAIL.fullmatch(target) or len(target) > 254:
            errors["target"] = BAD_EMAIL
        if secret:
            errors["secret"] = SECRET_ONLY_WEBHOOK
    elif channel == "webhook":
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in target):
            errors["target"] = BAD_URL
        if secret and len(secret) < 16:
            errors["secret"] = SHORT_SECRET
    else:
        errors["channel"] = BAD_CHANNEL
    if errors:
        raise FieldError(errors)


def create(
    db: Session, actor: Actor, *, event_type: str, channel: str, target: str, secret: str, now: datetime
) -> NotificationRule:
    actor.require("notifications")
    target, secret = target.strip(), secret.strip()
    if event_type not in EVENT_TYPES:
        raise FieldError({"event_type": BAD_EVENT})
    check_target(channel, target, secret)
    rule = NotificationRule(
        username=actor.username,
        event_type=event_type,
        channel=channel,
        target=target,
        secret=secret or None,
        active=True,
        created_at=now,
    )
    db.add(rule)
    db.flush()
    audit.record(
        db,
        actor,
        now,
        "notify:rule_added",
        "notification",
        rule.id,
        AUDIT_RULE_BY.format(event_type=event_type, channel=channel),
    )
    return rule


def own_rule(db: Session, actor: Actor, rule_id: int) -> NotificationRule:
    """One of the actor's rules (an admin may reach everyone's)."""
    actor.require("notifications")
    rule = db.get(NotificationRule, rule_id)
    if rule is None or (rule.username != actor.username and actor.role != "admin"):
        raise NotFound(Text(N_("no notification rule {id}"), id=rule_id))
    return rule


def set_active(db: Session, actor: Actor, rule_id: int, active: bool, now: datetime) -> NotificationRule:
    rule = own_rule(db, actor, rule_id)
    rule.active = active
    audit.record(db, actor, now, "notify:rule_" + ("on" if active else "off"), "notification", rule.id)
    return rule


def delete(db: Session, actor: Actor, rule_id: int, now: datetime) -> None:
    """Remove a rule; its deliveries stay in the log (no longer linked to it)."""
    rule = own_rule(db, actor, rule_id)
    for d in db.scalars(select(NotificationDelivery).where(NotificationDelivery.rule_id == rule.id)):
        d.rule_id = None
        if d.status == "pending":
            d.status, d.last_error = "failed", N_("the rule was deleted")
    db.flush()
    audit.record(db, actor, now, "notify:rule_deleted", "notification", rule.id, f"{rule.event_type}")
    db.delete(rule)


def rules_of(db: Session, actor: Actor) -> list[NotificationRule]:
    actor.require("notifications")
    return list(
        db.scalars(
            select(NotificationRule)
            .where(NotificationRule.username == actor.username)
            .order_by(NotificationRule.event_type, NotificationRule.id)
        )
    )


def log_query(actor: Actor, *, status: str = "", everyone: bool = False) -> Select:
    """The delivery log the actor may read: their own; an admin may ask for everyone's."""
    actor.require("notifications")
    query = select(NotificationDelivery).order_by(NotificationDelivery.id.desc())
    if not (everyone and actor.role == "admin"):
        query = query.where(NotificationDelivery.username == actor.username)
    if status in STATUSES:
        query = query.where(NotificationDelivery.status == status)
    return query
