"""Errors a user can act on.

Raise `UserError` for anything caused by input or environment (missing file, bad URL, bad config
value, unreachable broker). The `dms` command prints its message as one line and exits non-zero;
anything else that escapes is a bug and is reported as such.
"""


class UserError(Exception):
    """A problem the user can fix; the message is shown as is, on one line."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.hint})" if self.hint else base


class AlreadyExists(UserError):
    """The record conflicts with one that exists (a name, id or VIN taken): HTTP 409 in the API."""
