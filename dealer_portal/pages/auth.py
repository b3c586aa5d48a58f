"""Login and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dealer_portal import messages, web_session
from dealer_portal.pages import page_router
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor
from dealer_portal.web import LoginRequired, page, read_session, set_session_cookie, state
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
