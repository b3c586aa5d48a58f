"""create_app(db_url, settings) -> FastAPI: the REST API under /api, OpenAPI at /api/openapi.json, its
documentation at /api/docs (Swagger UI) and /api/redoc (ReDoc), both served from installed files.

The database must already be migrated (`gateway.db.migrate.upgrade(url)`; `dms gateway run` and `dms portal run` do it).
/healthz, /readyz and /metrics: gateway/api/routes_health.py; every request is counted and logged
(logger `dms.access`). The portal adds its pages to the returned app and may register another way to authenticate
(`app.state.gateway.authenticators.append(fn)`, fn(request, db) -> User | None), e.g. its session cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI, Request
from sqlalchemy.exc import DataError

from dms.contract.messages import utc_now
from gateway.api import (
    routes_admin,
    routes_auth,
    routes_fleet,
    routes_health,
    routes_maintenance,
    routes_stream,
)
from gateway.api.context import ApiContext
from gateway.api.docs import add_docs
from gateway.api.errors import ERROR_RESPONSES, refused_value
from gateway.db.session import make_engine, make_sessionmaker
from gateway.observability import observe_requests
from gateway.settings import GatewaySettings

DESCRIPTION = (
    "Fleet live status, driver events, maintenance and dead letters. Authenticate with POST /api/token "
    "(OAuth2 password flow) and send `Authorization: Bearer <token>`."
)


def create_app(
    db_url: str,
    settings: GatewaySettings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    docs_openapi_url: Callable[[Request], str] | None = None,
) -> FastAPI:
    """The REST API; `docs_openapi_url`: which OpenAPI document the docs pages load (see add_docs)."""
    app = FastAPI(
        title="dms back office API",
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,  # gateway.api.docs serves both from installed files, not a CDN
        redoc_url=None,
        description=DESCRIPTION,
    )
    engine = make_engine(db_url)
    app.state.gateway = ApiContext(
        sessions=make_sessionmaker(engine), settings=settings or GatewaySettings(), clock=clock
    )
    for module in (routes_auth, routes_fleet, routes_maintenance, routes_admin, routes_stream):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    app.include_router(routes_health.router)
    app.add_exception_handler(DataError, refused_value)
    add_docs(app, docs_openapi_url)
    # Outermost: counts and logs every request, the portal's pages included (they join this app).
    app.add_middleware(observe_requests, metrics=app.state.gateway.metrics)
    return app
