"""Form values arrive as text; these turn them into typed values or one clear UserError."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from dms.errors import UserError


def utc_datetime(text: str, what: str) -> datetime:
    """'2026-03-02T08:00' (an <input type=datetime-local>) read as UTC, like every time in the portal."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{what}: enter a date and time like 2026-03-02 08:00") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def number(text: str, what: str, *, minimum: float | None = 0) -> float:
    try:
        value = float(text.strip().replace(",", ""))
    except ValueError:
        raise UserError(f"{what}: enter a number") from None
    if not math.isfinite(value):
        raise UserError(f"{what}: enter a number")
    if minimum is not None and value < minimum:
        raise UserError(f"{what} cannot be below {minimum:g}")
    return value


def optional_int(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise UserError(f"not a valid choice: {text!r}")
    return int(text)
