"""Login and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dealer_portal import messages, web_session
from dealer_portal.forms import FieldError
from dealer_portal.pages import page_router
from dealer_portal.records import audit, password_reset
from dealer_portal.records.actor import Actor
from dealer_portal.web import LoginRequired, page, read_session, set_session_cookie, state
from dms.errors import UserError
from gateway.auth import authenticate

router = page_router()
HOME = {
    "technician": "/service",
    "service_advisor": "/service",
    "salesperson": "/sales",
    "sales_manager": "/sales",
}


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/"):
    st = state(request)
    session = read_session(request)
    if session is None:
        session = web_session.WebSession.anonymous(st.clock(), st.settings.session_ttl_minutes * 60)
    response = st.templates.TemplateResponse(
        request,
        "login.html",
        {"ctx": None, "actor": None, "csrf": session.csrf, "next": _safe_next(next)},
    )
    set_session_cookie(response, request, session)
    return response


def _login_refused(request: Request, next: str, message: str, status_code: int, headers=None):
    return state(request).templates.TemplateResponse(
        request,
        "login.html",
        {
            "ctx": None,
            "actor": None,
            "csrf": read_session(request).csrf,
            "next": _safe_next(next),
            "error": message,
        },
        status_code=status_code,
        headers=headers,
    )


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
):
    st = state(request)
    now = st.clock()
    limiter = request.app.state.gateway.sign_ins  # shared with POST /api/token
    keys = limiter.keys(request.client.host if request.client else None, username)
    wait = limiter.retry_after(keys)
    if wait is not None:  # before the password hash, which is what a guesser makes us spend
        return _login_refused(
            request,
            next,
            messages.localize(messages.Text(messages.TOO_MANY_SIGN_INS, wait=wait)),
            429,
            {"Retry-After": str(wait)},
        )
    with st.sessions() as db:
        user = authenticate(db, username.strip(), password)
        if user is None:
            limiter.failed(keys)
            return _login_refused(request, next, messages.localize(messages.WRONG_PASSWORD), 401)
        audit.record(
            db, Actor(user.username, user.role, user.dealer_code), now, "login", "user", user.username
        )
        db.commit()
        target = _safe_next(next)
        if target == "/":
            target = HOME.get(user.role, "/fleet")
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(
        response,
        request,
        web_session.WebSession.for_user(user.username, now, st.settings.session_ttl_minutes * 60),
    )
    return response


@router.post("/logout")
def logout(request: Request):
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(web_session.COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request):
    try:
        ctx = page()(request)
    except LoginRequired:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME.get(ctx.actor.role, "/fleet"), status_code=303)


# -- password reset by a one-time link (records/password_reset.py) ----------------------------------


def _anonymous(request: Request, template: str, status_code: int = 200, **data):
    """A page for someone not signed in (its forms carry the anonymous session's CSRF token)."""
    st = state(request)
    session = read_session(request)
    if session is None:
        session = web_session.WebSession.anonymous(st.clock(), st.settings.session_ttl_minutes * 60)
    response = st.templates.TemplateResponse(
        request, template, {"ctx": None, "actor": None, "csrf": session.csrf, **data}, status_code=status_code
    )
    set_session_cookie(response, request, session)
    return response


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_form(request: Request):
    return _anonymous(request, "password_forgot.html", username="", asked=False)


@router.post("/password/forgot", response_class=HTMLResponse)
def forgot(request: Request, username: Annotated[str, Form(max_length=64)] = ""):
    st = state(request)
    limiter = request.app.state.gateway.sign_ins  # asking counts like a failed sign-in: no mail flood
    keys = limiter.keys(request.client.host if request.client else None, username)
    wait = limiter.retry_after(keys)
    minutes = st.settings.reset_link_minutes
    if wait is not None:
        error = messages.localize(messages.Text(messages.TOO_MANY_SIGN_INS, wait=wait))
        return _anonymous(request, "password_forgot.html", 429, username=username, asked=False, error=error)
    limiter.failed(keys)
    with st.sessions() as db:
        try:
            password_reset.request_link(
                db,
                username,
                st.clock(),
                notify=st.settings.notify,
                base_url=st.settings.notify.portal_url or str(request.base_url),
                minutes=minutes,
            )
        except UserError as exc:  # the mail server refused: say so, nothing stored
            db.rollback()
            error = messages.localize_error(exc)
            return _anonymous(
                request, "password_forgot.html", 503, username=username, asked=False, error=error
            )
        db.commit()
    return _anonymous(request, "password_forgot.html", username=username, asked=True, minutes=minutes)


@router.get("/password/reset/{token}", response_class=HTMLResponse)
def reset_form(request: Request, token: str):
    st = state(request)
    with st.sessions() as db:
        try:
            _row, user = password_reset.valid_token(db, token, st.clock())
        except UserError as exc:
            return _anonymous(request, "password_reset.html", 410, invalid=messages.localize_error(exc))
        return _anonymous(
            request, "password_reset.html", reset_token=token, username=user.username, errors={}
        )


@router.post("/password/reset/{token}", response_class=HTMLResponse)
def reset(
    request: Request,
    token: str,
    password: Annotated[str, Form(max_length=200)] = "",
    repeat: Annotated[str, Form(max_length=200)] = "",
):
    st = state(request)
    with st.sessions() as db:
        try:
            password_reset.use_link(db, token, password, repeat, st.clock())
        except FieldError as exc:
            db.rollback()
            _row, user = password_reset.valid_token(db, token, st.clock())
            errors = {k: messages.localize(v) for k, v in exc.errors.items()}
            return _anonymous(
                request, "password_reset.html", 422, reset_token=token, username=user.username, errors=errors
            )
        except UserError as exc:
            db.rollback()
            return _anonymous(request, "password_reset.html", 410, invalid=messages.localize_error(exc))
        db.commit()
    return _anonymous(request, "password_reset.html", done=True)
