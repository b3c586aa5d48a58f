"""Error answers as the OpenAPI document describes them.

Every error is `{"detail": ...}`: a string for 400, 401, 403, 404, 409 and 429, and for 422 the list
of `{loc, msg, type}` FastAPI documents (HTTPValidationError), also when the refusal comes from our
own checks (an unknown dealer, a rule outside its limits) or from the database, so that a client
reads one shape whatever refused the value.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError


class ErrorBody(BaseModel):
    detail: str


def _doc(description: str) -> dict:
    return {"model": ErrorBody, "description": description}


# Documented on every route (a route answers the ones that apply to it).
ERROR_RESPONSES: dict[int | str, dict] = {
    400: _doc("The request body cannot be read (e.g. malformed form data)."),
    401: _doc("Not authenticated, or the token is invalid or expired."),
    403: _doc("Authenticated, but the user's role or dealer may not do this."),
    404: _doc("No such record, or not one this user may see."),
    409: _doc("Conflicts with an existing record (e.g. vehicle id or VIN already registered)."),
    429: _doc("Too many failed sign-in attempts; retry after the Retry-After seconds."),
}


def unprocessable(message: str, *where: str | int) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"loc": ["body", *where], "msg": message, "type": "value_error"}],
    )


async def refused_value(request: Request, exc: DataError) -> JSONResponse:
    """PostgreSQL refuses some input SQLite takes (a NUL character in a text, found by fuzzing): the
    caller's mistake, answered 422 with the database's reason, not a 500."""
    message = f"invalid value: {str(exc.orig).splitlines()[0]}"
    return JSONResponse(
        {"detail": [{"loc": ["body"], "msg": message, "type": "value_error"}]},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )
