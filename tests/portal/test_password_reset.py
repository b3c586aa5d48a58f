"""Password reset by a one-time link (#20): token, expiry, single use, audit, sent through the
notifications' SMTP sender to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from dealer_portal.forms import FieldError
from dealer_portal.notify.settings import NotifySettings
from dealer_portal.records import password_reset
from dealer_portal.records.actor import Forbidden
from dealer_portal.records.tables import AuditEntry
from dms.errors import UserError
from gateway.auth import authenticate
from gateway.db.models import PasswordResetToken, User
from tests.support.notify import smtp_server
from tests.support.portal import ADMIN, DISPATCHER, T0

BASE = "http://portal.test"


def _link(box) -> str:
    body = box.messages[-1].get_payload(decode=True).decode("utf-8")
    return re.search(r"http://portal\.test/password/reset/(\S+)", body).group(1)


def _send(session, box, user_id, email="", actor=ADMIN, now=T0):
    notify = NotifySettings(smtp_host=box.host, smtp_port=box.port)
    return password_reset.send_link(
        session, actor, user_id, email, now, notify=notify, base_url=BASE, minutes=60
    )


def test_a_link_sets_the_password_once_within_its_time_and_is_audited(world):
    session = world
    dora = session.scalar(select(User).where(User.username == "dora"))
    with smtp_server() as box:
        with pytest.raises(FieldError):  # no address on file and none typed
            _send(session, box, dora.id)
        with pytest.raises(FieldError):
            _send(session, box, dora.id, "not-an-address")
        with pytest.raises(Forbidden):
            _send(session, box, dora.id, "dora@example.com", actor=DISPATCHER)
        _send(session, box, dora.id, "dora@example.com")
        token = _link(box)
        assert box.messages[-1]["To"] == "dora@example.com" and dora.email == "dora@example.com"
    stored = session.scalar(select(PasswordResetToken))
    assert token not in stored.token_sha256 and stored.token_sha256 == password_reset.token_hash(token)
    with pytest.raises(FieldError):
        password_reset.use_link(session, token, "short", "short", T0, rounds=4)
    with pytest.raises(FieldError):
        password_reset.use_link(session, token, "a-long-new-secret", "another-one-here", T0, rounds=4)
    password_reset.use_link(
        session, token, "a-long-new-secret", "a-long-new-secret", T0 + timedelta(minutes=5), rounds=4
    )
    assert authenticate(session, "dora", "a-long-new-secret") is not None
    with pytest.raises(UserError):  # once
        password_reset.use_link(session, token, "yet-another-secret", "yet-another-secret", T0, rounds=4)
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == "dora")).all()
    assert "password_reset_link" in actions and "password_reset_link_used" in actions


def test_an_expired_or_replaced_link_and_a_disabled_user_are_refused(world):
    session = world
    dora = session.scalar(select(User).where(User.username == "dora"))
    with smtp_server() as box:
        _send(session, box, dora.id, "dora@example.com")
        first = _link(box)
        _send(session, box, dora.id)  # the stored address; the first link ends
        second = _link(box)
    with pytest.raises(UserError):
        password_reset.valid_token(session, first, T0)
    with pytest.raises(UserError):  # 60 minutes
        password_reset.valid_token(session, second, T0 + timedelta(minutes=60))
    password_reset.valid_token(session, second, T0 + timedelta(minutes=59))
    dora.active = False
    with pytest.raises(UserError):
        password_reset.valid_token(session, second, T0)
    with pytest.raises(UserError):
        password_reset.valid_token(session, "made-up", T0)


def test_asking_on_the_login_page_mails_only_a_known_active_user_with_an_address(world):
    session = world
    with smtp_server() as box:
        notify = NotifySettings(smtp_host=box.host, smtp_port=box.port)
        for name in ("nobody", "dora"):  # dora has no address yet
            password_reset.request_link(session, name, T0, notify=notify, base_url=BASE, minutes=60)
        assert box.messages == []
        session.scalar(select(User).where(User.username == "dora")).email = "dora@example.com"
        password_reset.request_link(session, "dora", T0, notify=notify, base_url=BASE, minutes=60)
        assert len(box.messages) == 1 and "dora" in box.messages[0].get_payload(decode=True).decode()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "password_reset_link")).one()
    assert entry.actor == "dora" and "dora@example.com" in entry.detail


def test_a_mail_server_that_refuses_leaves_nothing_usable(world):
    from dealer_portal.background_server import free_port

    session = world
    dora = session.scalar(select(User).where(User.username == "dora"))
    notify = NotifySettings(smtp_host="127.0.0.1", smtp_port=free_port(), send_timeout_s=2)
    with pytest.raises(UserError, match="could not be sent"):
        password_reset.send_link(
            session, ADMIN, dora.id, "dora@example.com", T0, notify=notify, base_url=BASE, minutes=60
        )
