"""Signed session cookies and CSRF tokens (standard library only).

The cookie holds {user, csrf token, expiry} as base64 JSON plus an HMAC-SHA256 signature. The user is
re-read from the database on every request, so a deactivated user or a changed role takes effect at
once. Every session, even before login, carries a random CSRF token that forms send back in a hidden
field and htmx in the X-CSRF-Token header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

COOKIE = "dms_portal"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class WebSession:
    username: str | None
    csrf: str
    expires: int  # unix seconds

    @classmethod
    def anonymous(cls, now: datetime, ttl_s: int) -> WebSession:
        return cls(None, secrets.token_urlsafe(24), int(now.timestamp()) + ttl_s)

    @classmethod
    def for_user(cls, username: str, now: datetime, ttl_s: int) -> WebSession:
        """A fresh CSRF token at login, so a token seen before login is worthless after it."""
        return cls(username, secrets.token_urlsafe(24), int(now.timestamp()) + ttl_s)


def _sign(key: bytes, body: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode().rstrip("=")


def encode(session: WebSession, key: bytes) -> str:
    body = base64.urlsafe_b64encode(
        json.dumps(
            {"u": session.username, "c": session.csrf, "e": session.expires}, separators=(",", ":")
        ).encode()
    )
    return f"{body.decode()}.{_sign(key, body)}"


def decode(cookie: str | None, key: bytes, now: datetime) -> WebSession | None:
    """The session in a cookie, or None when it is missing, forged or expired."""
    if not cookie or "." not in cookie:
        return None
    body, signature = cookie.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(key, body.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
        session = WebSession(data["u"], str(data["c"]), int(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > now.timestamp() else None


def derive_key(secret: str) -> bytes:
    """A cookie key of its own, derived from a shared secret (never the secret itself)."""
    return hmac.new(secret.encode(), b"dms-portal-session-v1", hashlib.sha256).digest()


def flash_signature(key: bytes, session: WebSession | None, kind: str, message: str) -> str:
    """Signs a confirmation or error message carried in a redirect URL for this session only: a link
    crafted elsewhere (or taken from another user's session) cannot make the portal show its text."""
    csrf = session.csrf if session else ""
    return _sign(key, f"{csrf}\0{kind}\0{message}".encode())[:22]


def csrf_ok(session: WebSession | None, sent: str | None) -> bool:
    return bool(session and sent and hmac.compare_digest(session.csrf, sent))
