"""What every page route shares: the per-request context (database session, acting user, clock),
rendering, redirects after a POST, CSRF checking and the translation of domain errors into pages.

A refused form (a UserError while handling a POST) is not a redirect that wipes it: the page the form
was posted from is rendered again, in the same response, with what the user typed and each problem next
to its field (`Ctx.form(action)` in the templates)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from dealer_portal import i18n, messages, web_session
from dealer_portal.forms import FieldError, check_lengths, max_length
from dealer_portal.records.actor import AREAS, Actor, Forbidden, NotFound
from dealer_portal.records.workshop_tables import DealerSettings
from dealer_portal.settings import PortalSettings
from dms.errors import AlreadyExists, UserError
from gateway.db.models import User

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAV = messages.NAV


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


def _dt(value: datetime | None, fmt: str = "datetime") -> str:
    """A time in the reader's zone and language (`fmt`: a kind of i18n.PATTERNS or an strftime format
    the templates used)."""
    return i18n.current().datetime(value, fmt)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters.update(
        cents=lambda c, currency=None: i18n.current().money(c, currency),
        dt=_dt,
        num=lambda v, digits=0: i18n.current().number(v, digits),
        fixed=lambda v, digits=1: i18n.current().fixed(v, digits),
        label=messages.label,
        localize=messages.localize,
        note=messages.localize_note,
        input_dt=lambda v: i18n.current().input_value(v),
    )
    templates.env.globals.update(
        NAV=NAV,
        max_length=max_length,
        _=i18n.gettext,
        gettext=i18n.gettext,
        ngettext=lambda singular, plural, n: i18n.current().ngettext(singular, plural, n),
        locale=i18n.current,
        LANGUAGES=i18n.LANGUAGES,
        TIME_ZONES=i18n.TIME_ZONES,
    )
    return templates


def resolve_locale(request: Request) -> i18n.UserLocale:
    """The request's language and zone: the user's setting, the login page's choice (cookie), the
    browser's Accept-Language, English; the user's zone or the portal's default one."""
    st = state(request)
    language = zone = None
    currency = st.settings.currency
    session = read_session(request)
    if session is not None and session.username:
        with st.sessions() as db:
            row = db.execute(
                select(User.language, User.time_zone, User.dealer_code).where(
                    User.username == session.username
                )
            ).first()
            if row is not None and row[2]:  # a dealer's staff see amounts in their dealer's currency
                currency = (
                    db.scalar(select(DealerSettings.currency).where(DealerSettings.dealer_code == row[2]))
                    or currency
                )
        if row is not None:
            language, zone = row[0], row[1]
    language = (
        i18n.language_of(language)
        or i18n.language_of(request.cookies.get(i18n.LANG_COOKIE))
        or i18n.negotiate(request.headers.get("accept-language"))
        or i18n.DEFAULT_LANGUAGE
    )
    zone = i18n.valid_zone(zone) or st.settings.default_time_zone
    return i18n.UserLocale(language, zone, currency)


class LocaleMiddleware:
    """Sets the request's UserLocale (i18n.current) for the pages; /static and the REST API are left
    as they are (the API speaks English and UTC)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or path == "/api" or path.startswith(("/static/", "/api/")):
            return await self.app(scope, receive, send)
        locale = await run_in_threadpool(resolve_locale, Request(scope))
        token = i18n.use(locale)
        try:
            await self.app(scope, receive, send)
        finally:
            i18n.reset(token)


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


@dataclass(frozen=True)
class FormView:
    """One form of a page as the templates fill it: what was typed and each field's problem, when this
    form was the one refused; empty otherwise."""

    values: dict[str, str]
    errors: dict[str, str]

    def value(self, field: str, default: object = "") -> object:
        return self.values.get(field, default)

    def error(self, field: str) -> str:
        return self.errors.get(field, "")


NO_FORM = FormView({}, {})
SUBMITTED = "dms.submitted"  # the scope key carrying the refused form to the page rendered again


@dataclass(frozen=True)
class Submitted:
    action: str
    form: FormView
    message: str


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

    def form(self, action: str) -> FormView:
        """The form posting to `action`, refilled when it is the one that was refused."""
        submitted: Submitted | None = self.request.scope.get(SUBMITTED)
        return submitted.form if submitted and submitted.action == action else NO_FORM

    def render(self, template: str, status_code: int = 200, **data) -> HTMLResponse:
        flash = read_flash(self.request)
        submitted: Submitted | None = self.request.scope.get(SUBMITTED)
        if submitted:
            flash = {
                "ok": None,
                "error": messages._(messages.FORM_NOT_SAVED).format(message=submitted.message),
            }
        return state(self.request).templates.TemplateResponse(
            self.request,
            template,
            {"ctx": self, "actor": self.actor, **flash, **data},
            status_code=status_code,
        )

    def done(self, url: str, message: str = messages.SAVED, **params: object) -> RedirectResponse:
        """Commit, then redirect (POST/redirect/GET) with a short confirmation: `message` a msgid (N_)
        filled with `params` (or a Text), in the user's language."""
        self.db.commit()
        given = message if isinstance(message, messages.Text) and not params else None
        text = messages.localize(given or messages.Text(message, **params))
        return RedirectResponse(flash_url(self.request, url, "ok", text), status_code=303)


def _with_params(url: str, **params: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{urlencode(params)}" + (f"#{parts.fragment}" if parts.fragment else "")


def local_day(ctx: Ctx) -> date:
    """Today in the reader's time zone (promotions run and floor-plan interest accrues by local days)."""
    return i18n.current().local(ctx.now).date()


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
        raise Forbidden(messages.Text(messages.CSRF_FAILED))
    if request.headers.get("content-type", "").startswith(("multipart/form-data", "application/x-www-form")):
        check_lengths(await request.form())


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    session = read_session(request)
    return state(request).templates.TemplateResponse(
        request,
        "error.html",
        {
            "ctx": None,
            "actor": None,
            "title": messages.localize(title),
            "message": messages.localize(message),
            "logged_in": bool(session and session.username),
            "csrf": session.csrf if session else "",
        },
        status_code=status,
    )


async def http_error_page(request: Request, exc: StarletteHTTPException) -> Response:
    """An HTTP error (an unknown address, a method a page does not take) as a page of the portal; the
    REST API under /api keeps answering JSON."""
    if request.url.path == "/api" or request.url.path.startswith("/api/"):
        return await http_exception_handler(request, exc)
    if exc.status_code == 404:
        title = messages.PAGE_NOT_FOUND
        message = messages.Text(messages.PAGE_NOT_FOUND_TEXT, path=request.url.path)
    else:
        title = messages.HTTP_STATUS.get(exc.status_code, HTTPStatus(exc.status_code).phrase)
        message = messages.REQUEST_REFUSED
    return _error_page(request, exc.status_code, title, message)


def _back(request: Request) -> str:
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = not referer.netloc or referer.netloc == request.url.netloc
    return referer.path if same_site and referer.path else "/"


async def _form_again(request: Request, exc: UserError) -> Response | None:
    """The page the refused form was posted from (its Referer, a page of this portal), rendered again
    with the typed values and the problem; None when there is no such page to go back to.

    The page is asked for through the whole app (a GET of the same session), so it renders exactly as
    when it was first shown, plus the form as the user left it."""
    referer = urlsplit(request.headers.get("referer", ""))
    if not referer.path or (referer.netloc and referer.netloc != request.url.netloc):
        return None
    query = urlencode([(k, v) for k, v in parse_qsl(referer.query) if k not in (*FLASH_KINDS, "sig")])
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != web_session.CSRF_FIELD}
    errors = {k: messages.localize(v) for k, v in exc.errors.items()} if isinstance(exc, FieldError) else {}
    scope = {
        key: request.scope[key]
        for key in ("type", "asgi", "http_version", "scheme", "server", "client", "root_path", "app")
        if key in request.scope
    }
    headers = [(k, v) for k, v in request.scope["headers"] if k not in (b"content-type", b"content-length")]
    scope.update(
        method="GET",
        path=referer.path,
        raw_path=referer.path.encode(),
        query_string=query.encode(),
        headers=headers,
        state={},
        **{SUBMITTED: Submitted(request.url.path, FormView(values, errors), messages.localize_error(exc))},
    )
    start: dict = {}
    body: list[bytes] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await request.app(scope, receive, send)
    page = Response(b"".join(body))
    page.raw_headers = list(start.get("headers", []))
    if start.get("status") != 200 or not page.headers.get("content-type", "").startswith("text/html"):
        return None
    page.status_code = 422 if errors else 409 if isinstance(exc, AlreadyExists) else 400
    return page


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
                return _error_page(request, 403, messages.NOT_ALLOWED, messages.localize_error(exc))
            except NotFound as exc:
                return _error_page(request, 404, messages.NOT_FOUND, messages.localize_error(exc))
            except UserError as exc:
                if request.method == "POST":
                    db = getattr(request.state, "db", None)
                    if db is not None:  # nothing of the refused step is kept
                        db.rollback()
                    again = None if request.headers.get("hx-request") else await _form_again(request, exc)
                    if again is not None:
                        return again
                    target = flash_url(request, _back(request), "error", messages.localize_error(exc))
                    return RedirectResponse(target, status_code=303)
                return _error_page(request, 400, messages.CANNOT_DO_THAT, messages.localize_error(exc))
            finally:
                db = getattr(request.state, "db", None)
                if db is not None:
                    db.close()

        return guarded
