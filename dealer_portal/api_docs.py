"""The REST API's documentation pages in the reader's language.

The API itself answers in English (clients parse it), but the pages people read, Swagger UI and ReDoc at
/api/docs and /api/redoc, load a translated copy of the OpenAPI document for a reader who chose another
language: the API's description, the error answers every route documents (gateway.api.errors) and
FastAPI's two standard answers. Swagger UI's and ReDoc's own buttons stay as those tools ship them.
"""

from __future__ import annotations

import copy

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from dealer_portal import i18n
from dealer_portal.messages import N_

# The gateway's English texts (gateway.api.app.DESCRIPTION, gateway.api.errors.ERROR_RESPONSES) as
# msgids; tests/portal/test_api_docs_i18n.py keeps them equal to the gateway's.
API_DOC_TEXTS = (
    N_(
        "Fleet live status, driver events, maintenance and dead letters. Authenticate with POST /api/token "
        "(OAuth2 password flow) and send `Authorization: Bearer <token>`."
    ),
    N_("The request body cannot be read (e.g. malformed form data)."),
    N_("Not authenticated, or the token is invalid or expired."),
    N_("Authenticated, but the user's role or dealer may not do this."),
    N_("No such record, or not one this user may see."),
    N_("Conflicts with an existing record (e.g. vehicle id or VIN already registered)."),
    N_("Too many failed sign-in attempts; retry after the Retry-After seconds."),
    N_("Successful Response"),
    N_("Validation Error"),
)
SPEC_PATH = "/api/openapi/{language}.json"

router = APIRouter()


def openapi_url_for(request: Request) -> str:
    """The document the reader's docs page loads: the API's own in English, else the translated copy."""
    from dealer_portal.web import resolve_locale

    language = resolve_locale(request).language
    if language == i18n.DEFAULT_LANGUAGE:
        return request.app.openapi_url
    return SPEC_PATH.format(language=language)


def translated(document: dict, language: str) -> dict:
    """A copy of an OpenAPI document with its descriptions in `language` where the catalogue has them
    (API_DOC_TEXTS, and the parameters described in words the portal's pages use too)."""
    catalogue = i18n.translations(language)
    out = copy.deepcopy(document)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("description", "summary") and isinstance(value, str):
                    node[key] = catalogue.gettext(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(out)
    return out


@router.get(SPEC_PATH, include_in_schema=False)
def localized_openapi(language: str, request: Request) -> JSONResponse:
    if language not in i18n.LANGUAGES:
        raise HTTPException(404)
    return JSONResponse(translated(request.app.openapi(), language))
