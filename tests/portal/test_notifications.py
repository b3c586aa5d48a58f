"""Notification rules and the delivery worker: per event type and user, e-mail through a real SMTP
server on loopback and a signed webhook to a loopback receiver, retries with backoff, a delivery log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dealer_portal.forms import FieldError
from dealer_portal.notify import rules
from dealer_portal.notify.send import SIGNATURE_HEADER, signature
from dealer_portal.notify.settings import NotifySettings
from dealer_portal.notify.tables import NotificationDelivery
from dealer_portal.notify.worker import NotificationWorker
from dealer_portal.records.actor import Forbidden
from gateway.changes import record_changes
from gateway.db.models import Alert, Vehicle
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.notify import smtp_server, webhook_receiver
from tests.support.portal import ADVISOR, DISPATCHER, OTHER_ADVISOR, T0, TECH

SECRET = "s3cret-signing-key-0123"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def _alert(db, vehicle_id="VAN-1", type_="microsleep", at=T0):
    alert = Alert(
        alert_key=f"event:{vehicle_id}:{type_}:{at.isoformat()}",
        kind="driver_event",
        vehicle_id=vehicle_id,
        driver_id="drv-7",
        type=type_,
        level=2,
        detail="eyes closed 1.2 s",
        opened_at=at,
    )
    db.add(alert)
    db.flush()
    record_changes(db, [("alert", vehicle_id, str(alert.id))], now=at)
    db.commit()
    return alert


def _delivery(db):
    """The one delivery as it stands (the test's read transaction ended: SQLite would lock the worker out)."""
    d = db.query(NotificationDelivery).one()
    values = {k: getattr(d, k) for k in ("status", "attempts", "last_error", "next_attempt_at")}
    db.rollback()
    return values


def _worker(db_url, clock, **settings):
    sessions = make_sessionmaker(make_engine(db_url))
    return NotificationWorker(sessions, NotifySettings(**{"webhook_allow_private": True, **settings}), clock)


def test_rules_refuse_bad_targets_and_other_roles(world):
    with pytest.raises(FieldError) as bad:
        rules.create(
            world, DISPATCHER, event_type="microsleep", channel="email", target="not-mail", secret="", now=T0
        )
    assert "target" in bad.value.errors
    with pytest.raises(FieldError) as bad:
        rules.create(
            world,
            DISPATCHER,
            event_type="microsleep",
            channel="webhook",
            target="ftp://x/y",
            secret="",
            now=T0,
        )
    assert "target" in bad.value.errors
    with pytest.raises(FieldError) as bad:
        rules.create(
            world, DISPATCHER, event_type="nap", channel="email", target="a@b.example", secret="", now=T0
        )
    assert "event_type" in bad.value.errors
    with pytest.raises(Forbidden):
        rules.create(
            world, TECH, event_type="sleep", channel="email", target="t@b.example", secret="", now=T0
        )


def test_an_alert_mails_and_calls_the_webhook_of_matching_rules_only(world, db_url):
    clock = Clock(T0)
    worker = _worker(db_url, clock, smtp_port=1)  # port set below
    worker.run_once()  # first pass: sets the cursor
    with smtp_server() as box, webhook_receiver() as hooks:
        worker.settings = NotifySettings(
            smtp_host=box.host,
            smtp_port=box.port,
            portal_url="http://portal.test",
            webhook_allow_private=True,
        )
        rules.create(
            world,
            DISPATCHER,
            event_type="microsleep",
            channel="email",
            target="dora@fleet.example",
            secret="",
            now=T0,
        )
        rules.create(
            world,
            DISPATCHER,
            event_type="microsleep",
            channel="webhook",
            target=hooks.url + "/dms?x=1",
            secret=SECRET,
            now=T0,
        )
        rules.create(
            world,
            DISPATCHER,
            event_type="phone_use",
            channel="email",
            target="dora@fleet.example",
            secret="",
            now=T0,
        )
        rules.create(
            world,
            OTHER_ADVISOR,
            event_type="microsleep",
            channel="email",
            target="olga@d2.example",
            secret="",
            now=T0,
        )
        rules.create(
            world,
            ADVISOR,
            event_type="microsleep",
            channel="email",
            target="sam@d1.example",
            secret="",
            now=T0,
        )
        world.commit()
        alert = _alert(world)
        result = worker.run_once()
        assert (result.queued, result.sent, result.failed) == (3, 3, 0), result.errors
        # D2's advisor does not hear of D1's vehicle; the phone-use rule does not match
        assert sorted(m["To"] for m in box.messages) == ["dora@fleet.example", "sam@d1.example"]
        assert "Microsleep" in box.messages[0]["Subject"] and "VAN-1" in box.messages[0]["Subject"]
        assert "http://portal.test/vehicles/VAN-1" in box.messages[0].get_payload()
        (path, headers, body) = hooks.calls[0]
        assert path == "/dms?x=1"
        assert headers[SIGNATURE_HEADER] == signature(SECRET, body)
        assert json.loads(body) | {} == hooks.json() and hooks.json()["alert_id"] == alert.id
        assert hooks.json()["event"] == "microsleep" and hooks.json()["level"] == 2
        # the alert changes again (escalates, ends): nobody is told twice
        record_changes(world, [("alert", "VAN-1", str(alert.id))], now=T0)
        world.commit()
        assert worker.run_once().queued == 0
        assert len(box.messages) == 2 and len(hooks.calls) == 1


def test_a_failing_webhook_is_retried_with_backoff_then_given_up(world, db_url):
    clock = Clock(T0)
    with webhook_receiver() as hooks:
        worker = _worker(db_url, clock, max_attempts=3, backoff_base_s=30, backoff_max_s=45)
        worker.run_once()
        rules.create(
            world, DISPATCHER, event_type="sleep", channel="webhook", target=hooks.url, secret="", now=T0
        )
        world.commit()
        hooks.fail_next = 10
        _alert(world, type_="sleep")
        first = worker.run_once()
        assert (first.queued, first.sent, first.retried) == (1, 0, 1)
        delivery = _delivery(world)
        assert delivery["status"] == "pending" and delivery["attempts"] == 1
        assert "HTTP 500" in delivery["last_error"]
        assert delivery["next_attempt_at"] == T0 + timedelta(seconds=30)
        assert worker.run_once().sent + worker.run_once().retried == 0  # not due yet: nothing sent
        assert len(hooks.calls) == 1
        clock.now = T0 + timedelta(seconds=30)
        assert worker.run_once().retried == 1
        assert _delivery(world)["next_attempt_at"] == clock.now + timedelta(seconds=45)  # 60 s capped at 45
        clock.now += timedelta(seconds=45)
        assert worker.run_once().failed == 1
        delivery = _delivery(world)
        assert (delivery["status"], delivery["attempts"], len(hooks.calls)) == ("failed", 3, 3)


def test_an_unreachable_receiver_fails_an_attempt_not_the_worker(world, db_url):
    clock = Clock(T0)
    worker = _worker(db_url, clock, smtp_host="127.0.0.1", smtp_port=9, send_timeout_s=2)
    worker.run_once()
    rules.create(
        world, DISPATCHER, event_type="drowsiness", channel="email", target="d@x.example", secret="", now=T0
    )
    rules.create(
        world,
        DISPATCHER,
        event_type="drowsiness",
        channel="webhook",
        target="http://127.0.0.1:9/x",
        secret="",
        now=T0,
    )
    world.commit()
    _alert(world, type_="drowsiness")
    result = worker.run_once()
    assert (result.queued, result.retried) == (2, 2)
    assert all("127.0.0.1" in e for e in result.errors)


def test_a_first_pass_notifies_only_the_recent_past(world, db_url):
    rules.create(
        world, DISPATCHER, event_type="microsleep", channel="email", target="d@x.example", secret="", now=T0
    )
    world.commit()
    _alert(world, at=T0 - timedelta(hours=2))
    worker = _worker(db_url, Clock(T0), catch_up_s=600, smtp_port=9, send_timeout_s=1)
    assert worker.run_once().queued == 0


def test_a_dealerless_vehicle_is_heard_by_fleet_staff_only(world, db_url):
    world.get(Vehicle, "VAN-2").dealer_code = None
    rules.create(
        world, DISPATCHER, event_type="microsleep", channel="email", target="d@x.example", secret="", now=T0
    )
    rules.create(
        world, ADVISOR, event_type="microsleep", channel="email", target="s@x.example", secret="", now=T0
    )
    world.commit()
    worker = _worker(db_url, Clock(T0), smtp_port=9, send_timeout_s=1)
    worker.run_once()
    _alert(world, vehicle_id="VAN-2")
    worker.run_once()
    assert [d.username for d in world.query(NotificationDelivery)] == ["dora"]


def test_webhooks_to_the_operators_own_network_are_refused_by_default(world, db_url):
    with webhook_receiver() as hooks:
        worker = _worker(db_url, Clock(T0), webhook_allow_private=False)
        worker.run_once()
        rules.create(
            world, DISPATCHER, event_type="sleep", channel="webhook", target=hooks.url, secret="", now=T0
        )
        world.commit()
        _alert(world, type_="sleep")
        result = worker.run_once()
        assert result.retried == 1 and "private or local address" in result.errors[0]
        assert hooks.calls == []
