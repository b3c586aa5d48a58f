"""The language and time zone switcher in the page header (and the language choice on the login page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from dealer_portal import i18n, messages
from dealer_portal.forms import FieldError
from dealer_portal.pages import page_router
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor
from dealer_portal.web import flash_url, read_session, state
from gateway.db.models import User

router = page_router()
YEAR_S = 365 * 24 * 3600


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/preferences")
def save_preferences(
    request: Request,
    language: Annotated[str, Form()] = "",
    time_zone: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
):
    """Stores the user's language and zone (`users.language`, `users.time_zone`); before login only the
    language, in a cookie, so the login page and the first page after it are in that language."""
    if language not in i18n.LANGUAGES:
        raise FieldError({"language": messages.Text(messages.UNKNOWN_LANGUAGE)})
    zone = time_zone.strip()
    if zone and i18n.valid_zone(zone) is None:
        raise FieldError({"time_zone": messages.Text(messages.UNKNOWN_ZONE, zone=zone)})
    st = state(request)
    session = read_session(request)
    target = _safe_next(next)
    if session is not None and session.username:
        with st.sessions() as db:
            user = db.scalar(select(User).where(User.username == session.username))
            if user is not None and user.active:
                user.language = language
                if zone:
                    user.time_zone = zone
                audit.record(
                    db,
                    Actor(user.username, user.role, user.dealer_code),
                    st.clock(),
                    "preferences",
                    "user",
                    user.username,
                    f"{language} {user.time_zone or ''}".strip(),
                )
                db.commit()
        token = i18n.use(i18n.UserLocale(language, zone or i18n.current().zone, st.settings.currency))
        try:
            target = flash_url(request, target, "ok", i18n.gettext(messages.LANGUAGE_SAVED))
        finally:
            i18n.reset(token)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        i18n.LANG_COOKIE,
        language,
        max_age=YEAR_S,
        httponly=True,
        samesite="lax",
        secure=st.settings.secure_cookies,
        path="/",
    )
    return response
