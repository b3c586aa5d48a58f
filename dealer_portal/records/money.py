"""Money is kept in integer cents; this turns cents into text (forms.cents reads what users type)."""

from __future__ import annotations


def format_cents(cents: int | None) -> str:
    if cents is None:
        return "—"
    return f"{cents / 100:,.2f}"
