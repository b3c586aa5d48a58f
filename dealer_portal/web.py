"""What every page route shares: the per-request context (database session, acting user, clock),
rendering, redirects after a POST, CSRF checking and the translation of domain errors into pages."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dealer_portal import web_session
from dealer_portal.records.actor import AREAS, Actor, Forbidden, NotFound
from dealer_portal.records.money import format_cents
from dealer_portal.settings import PortalSettings
from dms.errors import UserError
from gateway.db.models import User

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAV = [
    ("fleet", "/fleet", "Fleet board"),
    ("vehicles", "/vehicles", "Vehicles"),
    ("dispatch", "/dispatch", "Dispatch"),
    ("service", "/service", "Service"),
    ("parts", "/parts", "Parts"),
    ("scrapping", "/scrapping", "Scrapping"),
    ("kpis", "/kpis", "KPIs"),
    ("audit", "/audit", "Audit"),
]


@dataclass
class PortalState:
    """Everything the routes need from the app, in one place (app.state.portal)."""

    sessions: sessionmaker[Session]
    settings: PortalSettings
    clock: Callable[[], datetime]
    cookie_key: bytes
    templates: Jinja2Templates


class LoginRequired(Exception):
    """No valid session: send the browser to the login page."""


def _dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if value else "—"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters.update(cents=format_cents, dt=_dt)
    templates.env.globals.update(NAV=NAV)
    return templates


def state(request: Request) -> PortalState:
    return request.app.state.portal


def read_session(request: Request) -> web_session.WebSession | None:
    st = state(request)
    return web_session.decode(request.cookies.get(web_session.COOKIE), st.cookie_key, st.clock())


def set_session_cookie(response: Response, request: Request, session: web_session.WebSession) -> None:
    st = state(request)
    response.set_cookie(
        web_session.COOKIE,
        web_session.encode(session, st.cookie_key),
        max_age=st.settings.session_ttl_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=st.settings.secure_cookies,
        path="/",
    )


@dataclass
class Ctx:
    """One page request: the database session, who acts, the time, and how to answer."""

    request: Request
    db: Session
    actor: Actor
    now: datetime
    csrf: str

    @property
    def csrf_field(self) -> Markup:
        return Markup(f'<input type="hidden" name="{web_session.CSRF_FIELD}" value="{escape(self.csrf)}">')

    def render(self, template: str, status_code: int = 200, **data) -> HTMLResponse:
        return state(self.request).templates.TemplateResponse(
            self.request,
            template,
            {"ctx": self, "actor": self.actor, **read_flash(self.request), **data},
            status_code=status_code,
        )

    def done(self, url: str, message: str = "saved") -> RedirectResponse:
        """Commit, then redirect (POST/redirect/GET) with a short confirmation."""
        self.db.commit()
        return RedirectResponse(flash_url(self.request, url, "ok", message), status_code=303)


def _with_params(url: str, **params: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{urlencode(params)}" + (f"#{parts.fragment}" if parts.fragment else "")


FLASH_KINDS = ("ok", "error")


def flash_url(request: Request, url: str, kind: str, message: str) -> str:
    """`url` carrying a message for the next page, signed for this browser's session."""
    signature = web_session.flash_signature(state(request).cookie_key, read_session(request), kind, message)
    return _with_params(url, **{kind: message, "sig": signature})


def read_flash(request: Request) -> dict[str, str | None]:
    """The messages of the URL that this portal signed for this session; any other text is not shown."""
    query, session, key = request.query_params, read_session(request), state(request).cookie_key
    shown: dict[str, str | None] = dict.fromkeys(FLASH_KINDS)
    for kind in FLASH_KINDS:
        message = query.get(kind)
        if message and hmac.compare_digest(
            query.get("sig", ""), web_session.flash_signature(key, session, kind, message)
        ):
            shown[kind] = message
    return shown


def _open_db(request: Request) -> Session:
    db = state(request).sessions()
    request.state.db = db  # closed (rolled back unless committed) by PageRoute
    return db


def page(area: str | None = None) -> Callable[[Request], Ctx]:
    """A dependency: the logged-in user's context, refused unless their role may use `area`."""
    if area is not None and area not in AREAS:
        raise ValueError(f"unknown area {area!r}")

    def dependency(request: Request) -> Ctx:
        session = read_session(request)
        if session is None or session.username is None:
            raise LoginRequired()
        db = _open_db(request)
        user = db.scalar(select(User).where(User.username == session.username))
        if user is None or not user.active:
            raise LoginRequired()
        actor = Actor(user.username, user.role, user.dealer_code)
        if area is not None:
            actor.require(area)
        return Ctx(request, db, actor, state(request).clock(), session.csrf)

    return dependency


async def csrf_guard(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token (form field or htmx header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get(web_session.CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(web_session.CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not web_session.csrf_ok(read_session(request), sent):
        raise Forbidden(
            "the form has expired or did not come from this portal (CSRF check failed); reload the page"
        )


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    session = read_session(request)
    return state(request).templates.TemplateResponse(
        request,
        "error.html",
        {
            "ctx": None,
            "actor": None,
            "title": title,
            "message": message,
            "logged_in": bool(session and session.username),
            "csrf": session.csrf if session else "",
        },
        status_code=status,
    )


def _back(request: Request) -> str:
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = not referer.netloc or referer.netloc == request.url.netloc
    return referer.path if same_site and referer.path else "/"


class PageRoute(APIRoute):
    """Turns domain errors into answers a person can act on, and always closes the request's session."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                if request.headers.get("hx-request"):
                    return Response(status_code=401, headers={"HX-Redirect": "/login"})
                target = request.url.path if request.method == "GET" else "/"
                return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
            except Forbidden as exc:
                return _error_page(request, 403, "Not allowed", str(exc))
            except NotFound as exc:
                return _error_page(request, 404, "Not found", str(exc))
            except UserError as exc:
                if request.method == "POST":
                    target = flash_url(request, _back(request), "error", str(exc))
                    return RedirectResponse(target, status_code=303)
                return _error_page(request, 400, "Cannot do that", str(exc))
            finally:
                db = getattr(request.state, "db", None)
                if db is not None:
                    db.close()

        return guarded
