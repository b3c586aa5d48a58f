"""The API's interactive documentation, Swagger UI at /api/docs and ReDoc at /api/redoc, served from
files installed with the package (fastapi-offline ships Swagger UI's and ReDoc's builds): no CDN, so
the pages work on a machine without internet, as a back office in a workshop often is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS, REDOC, ASSETS_URL = "/api/docs", "/api/redoc", "/api/docs/static"
OAUTH2_REDIRECT = f"{DOCS}/oauth2-redirect"


def add_docs(app: FastAPI, openapi_url_for: Callable[[Request], str] | None = None) -> None:
    """Swagger UI and ReDoc for `app` (created with docs_url=None, redoc_url=None). `openapi_url_for`:
    which OpenAPI document a reader's page loads (the portal's points a Chinese reader to a translated
    copy); default: the app's own."""

    def spec(request: Request) -> str:
        return openapi_url_for(request) if openapi_url_for else app.openapi_url

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="api-docs-assets")
    title = app.title

    @app.get(DOCS, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=spec(request),
            title=f"{title} - Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=spec(request),
            title=f"{title} - ReDoc",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
