"""The web application: the gateway's REST API (under /api) plus the portal's pages and static files.

    app = create_app("sqlite:///var/dms.db", PortalSettings())

The database must be migrated (`gateway.db.migrate.upgrade(url)`; `dms portal run` does it).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dealer_portal import web_session
from dealer_portal.pages import auth, dispatch, fleet, insight, parts, scrapping, service, vehicles
from dealer_portal.settings import PortalSettings
from dealer_portal.web import PortalState, make_templates
from dms.contract.messages import utc_now
from gateway.db.session import make_engine, make_sessionmaker, session_scope

STATIC = Path(__file__).resolve().parent / "static"
ROUTERS = (auth.router, fleet.router, vehicles.router, dispatch.router, service.router, parts.router,
           scrapping.router, insight.router)


def _api_app(db_url: str, settings: PortalSettings) -> FastAPI:
    """The gateway's REST API app, which the pages join (a bare app until the gateway ships its API)."""
    try:
        from gateway.api import create_app as create_api_app
    except ImportError:
        return FastAPI(title="dms back office", docs_url="/api/docs", openapi_url="/api/openapi.json")
    return create_api_app(db_url, settings.gateway)


def _cookie_key(sessions, settings: PortalSettings) -> bytes:
    if settings.session_secret:
        return web_session.derive_key(settings.session_secret)
    from gateway.auth import jwt_secret

    with session_scope(sessions) as db:  # shared by every process on this database
        secret = jwt_secret(db, settings.gateway.jwt_secret or os.environ.get("DMS_JWT_SECRET"))
    return web_session.derive_key(secret)


def create_app(db_url: str, settings: PortalSettings | None = None, *,
               clock: Callable[[], datetime] = utc_now) -> FastAPI:
    settings = settings or PortalSettings()
    app = _api_app(db_url, settings)
    sessions = make_sessionmaker(make_engine(db_url))
    app.state.portal = PortalState(sessions=sessions, settings=settings, clock=clock,
                                   cookie_key=_cookie_key(sessions, settings), templates=make_templates())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
