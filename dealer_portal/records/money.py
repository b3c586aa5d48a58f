"""Money is kept in integer cents; these turn user text into cents and cents into text."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from dms.errors import UserError


def parse_cents(text: str | float, what: str = "amount") -> int:
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise UserError(f"{what} is not a number: {text!r}") from None
    if value < 0:
        raise UserError(f"{what} cannot be negative")
    return int((value * 100).quantize(Decimal(1)))


def format_cents(cents: int | None) -> str:
    if cents is None:
        return "—"
    return f"{cents / 100:,.2f}"
