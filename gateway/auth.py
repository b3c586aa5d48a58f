"""Users, passwords (bcrypt) and bearer tokens (JWT), shared by the gateway API and the dealer portal.

Tokens are signed with a secret from settings (`DMS_JWT_SECRET`) or, when none is configured, with a
random one generated once and stored in `app_settings`, so every process on the same database agrees.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt
import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from dms.errors import AlreadyExists, UserError
from gateway.db.models import ROLES, AppSetting, Dealer, User
from gateway.db.upsert import insert_ignore

JWT_ALGORITHM = "HS256"
JWT_SECRET_KEY = "jwt_secret"
BCRYPT_MAX_BYTES = 72  # bcrypt ignores (bcrypt>=5: rejects) anything longer
# Verifying against this keeps the time of "unknown user" close to "wrong password".
_DUMMY_HASH = bcrypt.hashpw(b"not a password", bcrypt.gensalt(rounds=4)).decode()


def hash_password(password: str, *, rounds: int = 12) -> str:
    """A bcrypt hash of `password`; UserError when it is empty or longer than bcrypt can take."""
    raw = password.encode("utf-8")
    if not raw:
        raise UserError("the password is empty")
    if len(raw) > BCRYPT_MAX_BYTES:
        raise UserError(f"the password is longer than {BCRYPT_MAX_BYTES} bytes")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    raw = password.encode("utf-8")
    if not raw or len(raw) > BCRYPT_MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(raw, password_hash.encode("ascii"))
    except ValueError:  # a malformed stored hash
        return False


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def create_user(
    db: Session,
    username: str,
    password: str,
    role: str,
    *,
    dealer_code: str | None,
    now: datetime,
    rounds: int = 12,
) -> User:
    """Add a user; UserError for an unknown role or dealer, or a name already taken."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    username = username.strip()
    if not username or len(username) > 64:
        raise UserError("a user name has 1 to 64 characters")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise AlreadyExists(f"user {username!r} already exists")
    if dealer_code is not None and db.get(Dealer, dealer_code) is None:
        raise UserError(
            f"unknown dealer {dealer_code!r}", hint="register it first: dms dealers add, or the API"
        )
    if role in ("service_advisor", "technician") and dealer_code is None:
        raise UserError(f"a {role} belongs to a dealer: give --dealer CODE")
    user = User(
        username=username,
        password_hash=hash_password(password, rounds=rounds),
        role=role,
        dealer_code=dealer_code,
        active=True,
        created_at=now,
    )
    db.add(user)
    db.flush()
    return user


def jwt_secret(db: Session, configured: str | None = None) -> str:
    """The configured secret, else the one stored in the database (created on first use)."""
    if configured:
        return configured
    insert_ignore(db, AppSetting.__table__, [{"key": JWT_SECRET_KEY, "value": secrets.token_urlsafe(48)}])
    return db.scalar(select(AppSetting.value).where(AppSetting.key == JWT_SECRET_KEY))


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: str
    dealer_code: str | None
    expires_at: datetime


def issue_token(user: User, secret: str, *, now: datetime, ttl: timedelta) -> str:
    expires = now + ttl
    claims = {
        "sub": user.username,
        "role": user.role,
        "dealer": user.dealer_code,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


class InvalidToken(Exception):
    """The bearer token is malformed, forged or expired."""


def decode_token(token: str, secret: str, *, now: datetime) -> TokenClaims:
    try:
        # Expiry is checked against the injected clock below, not the wall clock inside PyJWT.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "require": ["sub", "exp"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
    if now >= expires:
        raise InvalidToken("token expired")
    return TokenClaims(
        username=claims["sub"],
        role=claims.get("role", ""),
        dealer_code=claims.get("dealer"),
        expires_at=expires,
    )
