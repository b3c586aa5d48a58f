"""What every API route needs, kept on `app.state.gateway`, and the dependencies built on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.api.ratelimit import SignInLimiter
from gateway.auth import InvalidToken, decode_token, jwt_secret
from gateway.commands import CommandPublisher, publisher_from
from gateway.db.models import User, Vehicle
from gateway.db.session import session_scope
from gateway.observability import ApiMetrics
from gateway.settings import GatewaySettings

# Another way to say who is calling (e.g. the portal's session cookie): return the user or None.
Authenticator = Callable[[Request, Session], User | None]
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/token", auto_error=False)

# Row ids are BIGINT (SQLite INTEGER): a larger number cannot name a row and overflows the drivers (500).
MAX_ROW_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=0, le=MAX_ROW_ID)]


@dataclass
class ApiContext:
    sessions: sessionmaker[Session]
    settings: GatewaySettings
    clock: Callable[[], datetime]
    authenticators: list[Authenticator] = field(default_factory=list)
    sign_ins: SignInLimiter | None = None
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    commands: CommandPublisher | None = None
    """Publishes commands to vehicles; None: made from `settings.command_broker` (or its env) on first use."""
    _secret: str | None = None

    def __post_init__(self) -> None:
        if self.sign_ins is None:
            self.sign_ins = SignInLimiter(self.settings.sign_in_failures_max, self.settings.sign_in_window_s)

    def command_publisher(self) -> CommandPublisher | None:
        if self.commands is None:
            self.commands = publisher_from(self.settings.command_broker)
        return self.commands

    def secret(self) -> str:
        """The token secret: settings, else DMS_JWT_SECRET, else the one stored in the database."""
        if self._secret is None:
            with session_scope(self.sessions) as db:
                self._secret = jwt_secret(db, self.settings.jwt_secret or os.environ.get("DMS_JWT_SECRET"))
        return self._secret


def api_context(request: Request) -> ApiContext:
    return request.app.state.gateway


def get_db(ctx: ApiContext = Depends(api_context)) -> Iterator[Session]:
    """A session per request; routes that write commit themselves."""
    with ctx.sessions() as db:
        yield db


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def current_user(
    request: Request, token: str | None = Depends(oauth2_scheme), ctx: ApiContext = Depends(api_context)
) -> User:
    """The caller (a detached User row): a bearer token (header, or `access_token` query for
    EventSource), or another registered authenticator. Inactive users are refused even with a valid token.

    It uses its own short transaction: a long response (the event stream) must not keep one open."""
    token = token or request.query_params.get("access_token")
    secret = ctx.secret() if token else None
    with ctx.sessions() as db:
        if token:
            try:
                claims = decode_token(token, secret, now=ctx.clock())
            except InvalidToken as exc:
                raise _unauthorized(f"invalid token: {exc}") from None
            user = db.scalar(select(User).where(User.username == claims.username))
        else:
            user = next(
                (u for u in (auth(request, db) for auth in ctx.authenticators) if u is not None), None
            )
            if user is None:
                raise _unauthorized("not authenticated")
    if user is None or not user.active:
        raise _unauthorized("unknown or inactive user")
    return user


def require_roles(*roles: str) -> Callable[..., User]:
    def dependency(user: User = Depends(current_user)) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role {' or '.join(roles)}")
        return user

    return dependency


def visible_vehicles(user: User) -> Select:
    """Vehicles this user may see: a dealer's staff see only their dealer's vehicles."""
    query = select(Vehicle)
    if user.dealer_code is not None:
        query = query.where(Vehicle.dealer_code == user.dealer_code)
    return query


def vehicle_or_404(db: Session, user: User, vehicle_id: str) -> Vehicle:
    vehicle = db.scalar(visible_vehicles(user).where(Vehicle.vehicle_id == vehicle_id))
    if vehicle is None:  # another dealer's vehicle looks exactly like a missing one
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no vehicle {vehicle_id!r}")
    return vehicle
