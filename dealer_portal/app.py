"""The web application: the gateway's REST API (under /api) plus the portal's pages and static files.

    app = create_app("sqlite:///var/dms.db", PortalSettings())

The database must be migrated (`dealer_portal.migrate.upgrade(url)`; `dms portal run` does it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from dealer_portal import api_aftersales, api_docs, api_sales, api_workshop, web_session
from dealer_portal.pages import (
    admin,
    auth,
    counter,
    customers,
    dealer_settings,
    dispatch,
    fleet,
    insight,
    invoices,
    notifications,
    parts,
    payables,
    preferences,
    purchasing,
    reminders,
    scrapping,
    service,
    service_requests,
    vehicles,
    warranty,
    work_orders,
    workshop,
)
from dealer_portal.pages import exchange as exchange_pages
from dealer_portal.pages import logistics as logistics_pages
from dealer_portal.pages import promotions as promotion_pages
from dealer_portal.pages import sales as sales_pages
from dealer_portal.pages import sales_forecast as forecast_pages
from dealer_portal.pages import stock as stock_pages
from dealer_portal.pages import used_cars as used_car_pages
from dealer_portal.pages import yard as yard_pages
from dealer_portal.security_headers import SecurityHeaders
from dealer_portal.settings import PortalSettings
from dealer_portal.web import LocaleMiddleware, PortalState, http_error_page, make_templates, read_session
from dms.contract.messages import utc_now
from gateway.api import create_app as create_api_app
from gateway.api.errors import ERROR_RESPONSES
from gateway.db.models import User
from gateway.db.session import make_engine, make_sessionmaker, session_scope

STATIC = Path(__file__).resolve().parent / "static"
ROUTERS = (
    auth.router,
    fleet.router,
    vehicles.router,
    dispatch.router,
    service.router,
    parts.router,
    scrapping.router,
    insight.router,
    preferences.router,
    yard_pages.router,  # before the stock pages: /stock/yard is not a stock id
    stock_pages.router,
    sales_pages.router,
    forecast_pages.router,
    promotion_pages.router,
    used_car_pages.router,
    logistics_pages.router,
    exchange_pages.router,
    admin.router,
    notifications.router,
    service_requests.router,
    customers.router,
    work_orders.router,
    warranty.router,
    invoices.router,
    purchasing.router,
    counter.router,
    dealer_settings.router,
    workshop.router,
    reminders.router,
    payables.router,
)


def _api_app(db_url: str, settings: PortalSettings, clock: Callable[[], datetime]) -> FastAPI:
    """The gateway's REST API app, which the pages join."""
    app = create_api_app(db_url, settings.gateway, clock=clock, docs_openapi_url=api_docs.openapi_url_for)
    app.state.gateway.authenticators.append(_cookie_user)
    return app


def _cookie_user(request, db) -> User | None:
    """Lets a logged-in browser read the API with its session cookie: safe methods only, since a
    cookie is sent cross-site and API writes carry no CSRF token (they need a bearer token)."""
    if request.method not in ("GET", "HEAD"):
        return None
    session = read_session(request)
    if session is None or session.username is None:
        return None
    user = db.scalar(select(User).where(User.username == session.username))
    return user if user is not None and user.active else None


def _cookie_key(sessions, settings: PortalSettings) -> bytes:
    if settings.session_secret:
        return web_session.derive_key(settings.session_secret)
    from gateway.auth import jwt_secret

    with session_scope(sessions) as db:  # shared by every process on this database
        secret = jwt_secret(db, settings.gateway.jwt_secret or os.environ.get("DMS_JWT_SECRET"))
    return web_session.derive_key(secret)


def create_app(
    db_url: str, settings: PortalSettings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    settings = settings or PortalSettings()
    app = _api_app(db_url, settings, clock)
    sessions = make_sessionmaker(make_engine(db_url))
    app.state.portal = PortalState(
        sessions=sessions,
        settings=settings,
        clock=clock,
        cookie_key=_cookie_key(sessions, settings),
        templates=make_templates(),
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api_docs.router)  # the API's documentation in the reader's language
    app.include_router(api_aftersales.router)  # /api/dealer: after-sales records for integrations
    app.include_router(api_workshop.router)  # /api/dealer: reminders and workshop teams
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(api_sales.router, responses=ERROR_RESPONSES)  # /api/dealer: stock, exchange
    app.add_exception_handler(StarletteHTTPException, http_error_page)
    app.add_middleware(LocaleMiddleware)
    tiles = settings.map.tile_origin
    app.add_middleware(SecurityHeaders, image_origins=(tiles,) if tiles else ())
    return app
