"""The back office's REST API (FastAPI): `create_app(db_url, settings)`; the portal adds its pages to it."""

from gateway.api.app import create_app

__all__ = ["create_app"]
