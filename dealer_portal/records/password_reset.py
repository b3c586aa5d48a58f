"""Password reset by a one-time link (#20): an administrator sends it to the user's e-mail address, or a
user who forgot their password asks for it on the login page. The link carries a random token; only its
SHA-256 is stored. It works once, until it expires, for an active user; issuing a new one ends the older
ones, and setting a password with it ends them all. Every step is audited. The e-mail goes out through
the notifications' SMTP sender (dealer_portal.notify.send), in the user's language.

The administrator's temporary password (records.admin.reset_password) stays for users without e-mail."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dealer_portal import i18n
from dealer_portal.forms import FieldError
from dealer_portal.messages import AUDIT_RESET_LINK_SENT, AUDIT_RESET_LINK_USED, N_, Text
from dealer_portal.notify import send
from dealer_portal.notify.settings import NotifySettings
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor
from dealer_portal.records.admin import get_user
from dms.errors import UserError
from gateway.auth import hash_password
from gateway.db.models import PasswordResetToken, User

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}")
MIN_PASSWORD = 10
RESET_PATH = "/password/reset/"

BAD_EMAIL = N_("E-mail: enter an address like name@example.com")
NO_EMAIL = N_("E-mail: {user} has no address yet; enter one")
LINK_NOT_SENT = N_("The link could not be sent ({error}); nothing was changed, try again later.")
LINK_INVALID = N_(
    "This reset link is not valid: it was used already, has expired or was replaced by a newer one. Ask for a new link."
)
PASSWORD_SHORT = N_("New password: at least {n} characters")
PASSWORDS_DIFFER = N_("Repeat: the two passwords are not the same")
MAIL_SUBJECT = N_("[DMS] Set a new password")
MAIL_TEXT = N_(
    "Hello {user},\n\nsomeone ({by}) asked for a new password for your DMS back-office account. Open this link to "
    "set one; it works once, until {until}:\n\n{link}\n\nIf you did not ask for it, ignore this e-mail: your "
    "password stays as it is."
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_email(email: str) -> str:
    email = email.strip()
    if not EMAIL.fullmatch(email):
        raise FieldError({"email": BAD_EMAIL})
    return email


def _issue(
    db: Session,
    actor: Actor,
    user: User,
    email: str,
    now: datetime,
    *,
    notify: NotifySettings,
    base_url: str,
    minutes: int,
) -> PasswordResetToken:
    """Store a new token (ending the user's older ones), mail the link, audit it."""
    token = secrets.token_urlsafe(32)
    db.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    row = PasswordResetToken(
        user_id=user.id,
        token_sha256=token_hash(token),
        email=email,
        requested_by=actor.username,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    db.add(row)
    reader = i18n.of_user(user.language, user.time_zone)
    with i18n.using(reader):
        until = f"{reader.datetime(row.expires_at)} {reader.zone_label(row.expires_at)}"
        subject = i18n.gettext(MAIL_SUBJECT)
        text = i18n.gettext(MAIL_TEXT).format(
            user=user.username,
            by=actor.username,
            until=until,
            link=f"{base_url.rstrip('/')}{RESET_PATH}{token}",
        )
    try:
        send.send_email(notify, email, subject, text)
    except send.DeliveryFailed as exc:
        raise UserError(Text(LINK_NOT_SENT, error=str(exc))) from None
    audit.record(
        db,
        actor,
        now,
        "password_reset_link",
        "user",
        user.username,
        AUDIT_RESET_LINK_SENT.format(email=email, until=f"{row.expires_at:%Y-%m-%d %H:%M} UTC"),
        dealer_code=user.dealer_code,
    )
    return row


def send_link(
    db: Session,
    actor: Actor,
    user_id: int,
    email: str,
    now: datetime,
    *,
    notify: NotifySettings,
    base_url: str,
    minutes: int,
) -> PasswordResetToken:
    """An administrator sends `user_id` a reset link at `email` (kept as the user's address)."""
    user = get_user(db, actor, user_id)  # requires 'admin'
    email = email.strip() or (user.email or "")
    if not email:
        raise FieldError({"email": Text(NO_EMAIL, user=user.username)})
    user.email = _check_email(email)
    return _issue(db, actor, user, user.email, now, notify=notify, base_url=base_url, minutes=minutes)


def request_link(
    db: Session, username: str, now: datetime, *, notify: NotifySettings, base_url: str, minutes: int
) -> None:
    """A user who forgot their password asks for a link. Nothing tells the asker whether the user
    exists or has an address (the page answers the same either way); a link goes only to an active
    user's stored address."""
    user = db.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active or not user.email:
        return
    me = Actor(user.username, user.role, user.dealer_code)
    _issue(db, me, user, user.email, now, notify=notify, base_url=base_url, minutes=minutes)


def valid_token(db: Session, token: str, now: datetime) -> tuple[PasswordResetToken, User]:
    """The unused, unexpired token of an active user, or UserError(LINK_INVALID)."""
    row = db.scalar(select(PasswordResetToken).where(PasswordResetToken.token_sha256 == token_hash(token)))
    user = db.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active or row.used_at is not None or row.expires_at <= now:
        raise UserError(LINK_INVALID)
    return row, user


def use_link(db: Session, token: str, password: str, repeat: str, now: datetime, *, rounds: int = 12) -> User:
    """Set the password with a link: once (the token and any other open one of the user end here)."""
    _row, user = valid_token(db, token, now)
    if len(password) < MIN_PASSWORD:
        raise FieldError({"password": Text(PASSWORD_SHORT, n=MIN_PASSWORD)})
    if password != repeat:
        raise FieldError({"repeat": PASSWORDS_DIFFER})
    user.password_hash = hash_password(password, rounds=rounds)
    db.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    audit.record(
        db,
        Actor(user.username, user.role, user.dealer_code),
        now,
        "password_reset_link_used",
        "user",
        user.username,
        AUDIT_RESET_LINK_USED,
        dealer_code=user.dealer_code,
    )
    return user
