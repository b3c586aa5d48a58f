"""Form values arrive as text; these turn them into typed values or a `FieldError` that names the form
field it is about, so the page can show the message next to that field and keep what was typed.

Numbers are read the way people write them in either convention: "12.5" and "12,5" are twelve and a
half, "1,250.50", "1.250,50" and "1 250,50" are grouped thousands; an input that means different numbers
in the two conventions ("1,250", "12.500") is refused with both readings rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from dealer_portal import i18n
from dealer_portal import messages as msg
from dealer_portal.messages import Text
from dms.errors import UserError

# Longest text each form field accepts (the database column or less); the templates' maxlength
# attributes and the server's check (`check_lengths`, on every portal POST) read this one table.
MAX_LENGTH = {
    "vehicle_id": 64,
    "model": 80,
    "plate": 20,
    "vin": 17,
    "dealer_code": 32,
    "number": 40,
    "name": 120,
    "supplier": 120,
    "bin": 20,
    "to_bin": 20,
    "note": 200,
    "driver": 120,
    "purpose": 200,
    "reason": 200,
    "override_reason": 500,
    "description": 200,
    "customer_name": 120,
    "customer_phone": 40,
    "title": 120,
    "complaint": 2000,
    "paperwork": 2000,
    "username": 64,
    "password": 200,
    "next": 2000,
    # new-vehicle stock, sales and logistics (#22)
    "configuration": 120,
    "colour": 40,
    "location": 20,
    "coc_number": 40,
    "interest": 120,
    "source": 40,
    "options": 2000,
    "trade_in_vin": 17,
    "trade_in_description": 200,
    "received_by": 120,
    "waybill": 40,
    "carrier": 120,
    "vins": 2000,
    "position": 120,
    "target": 500,  # a notification's e-mail address or webhook URL
    "secret": 200,  # a webhook's signing secret
    # after-sales and customers (issue #21)
    "phone": 40,
    "email": 120,
    "customer_email": 120,
    "text": 2000,
    "resolution": 2000,
    "approved_by": 120,
    "reference": 120,
    "comment": 2000,
    # teams, dealer settings and supplier invoices (#21, dp0008)
    "team": 80,
    "supplier_number": 60,
}
DEFAULT_MAX_LENGTH = 100
"""Any other field: numbers, dates, choices, tokens."""


def max_length(field: str) -> int:
    return MAX_LENGTH.get(field, DEFAULT_MAX_LENGTH)


class FieldError(UserError):
    """Input the user can correct, tied to the form fields it concerns: {field name: message}."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


@contextmanager
def about(field: str) -> Iterator[None]:
    """A UserError raised inside (e.g. by the records layer) is about this form field."""
    try:
        yield
    except FieldError:
        raise
    except UserError as exc:
        first = exc.args[0] if exc.args else ""
        # a Text keeps its msgid and values, so that the field's message is shown translated (str() would
        # leave only the English)
        raise FieldError({field: first if isinstance(first, Text) and not exc.hint else str(exc)}) from None


def check_lengths(form: Mapping[str, object]) -> None:
    """Every text field of a form within its limit (MAX_LENGTH), whatever the browser let through."""
    errors = {
        name: Text(
            msg.TOO_LONG, what=Text(msg.FIELD_LABELS.get(name, name)), limit=max_length(name), length=len(v)
        )
        for name, v in form.items()
        if isinstance(v, str) and len(v) > max_length(name)
    }
    if errors:
        raise FieldError(errors)


_SIMPLE = re.compile(r"(\d+)(?:([.,])(\d+))?")
_GROUPED = re.compile(r"(\d{1,3})((?:([ ,.'\u00a0\u202f])\d{3})(?:\3\d{3})*)(?:([.,])(\d+))?")


def decimal(text: str, what: str, *, field: str) -> Decimal:
    """A number as typed, in either decimal convention; see the module's docstring."""
    s = text.strip()
    sign = ""
    if s[:1] in ("+", "-"):
        sign, s = s[0].replace("+", ""), s[1:].strip()
    if simple := _SIMPLE.fullmatch(s):
        whole, sep, frac = simple.groups()
        if sep and len(frac) == 3 and len(whole) <= 3 and not whole.startswith("0"):
            raise FieldError(
                {
                    field: Text(
                        msg.AMBIGUOUS_NUMBER,
                        what=Text(what),
                        text=text.strip(),
                        grouped=f"{sign}{whole}{frac}",
                        decimal=f"{sign}{whole}.{frac}",
                    )
                }
            )
        digits = whole + (f".{frac}" if sep else "")
    elif (grouped := _GROUPED.fullmatch(s)) and grouped.group(3) != grouped.group(4):
        head, groups, sep, point, frac = grouped.groups()
        digits = head + groups.replace(sep, "") + (f".{frac}" if point else "")
    else:
        raise FieldError({field: Text(msg.REQUIRED if not s else msg.NOT_A_NUMBER, what=Text(what))})
    return Decimal(sign + digits)


def number(text: str, what: str, *, field: str, minimum: float | None = 0) -> float:
    value = float(decimal(text, what, field=field))
    if minimum is not None and value < minimum:
        raise FieldError({field: Text(msg.TOO_SMALL, what=Text(what), limit=f"{minimum:g}")})
    return value


def whole_number(text: str, what: str, *, field: str, minimum: int = 0) -> int:
    value = decimal(text, what, field=field)
    if value != value.to_integral_value():
        raise FieldError({field: Text(msg.NOT_A_WHOLE_NUMBER, what=Text(what))})
    if value < minimum:
        raise FieldError({field: Text(msg.TOO_SMALL, what=Text(what), limit=minimum)})
    return int(value)


def optional_whole_number(text: str, what: str, *, field: str) -> int | None:
    """A whole number as typed, or None for an empty field (the records layer says what is missing)."""
    return whole_number(text, what, field=field) if text.strip() else None


def cents(text: str, what: str, *, field: str) -> int:
    """Money as typed ("12,50", "1.250,00", "95") in integer cents; never negative."""
    value = decimal(text, what, field=field)
    if value < 0:
        raise FieldError({field: Text(msg.TOO_SMALL, what=Text(what), limit=0)})
    return int((value * 100).quantize(Decimal(1)))


def utc_datetime(text: str, what: str, *, field: str) -> datetime:
    """'2026-03-02T08:00' (an <input type=datetime-local>) read in the user's time zone (the request's
    i18n.current(); UTC unless chosen), returned in UTC, as every time is stored."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FieldError({field: Text(msg.NOT_A_DATETIME, what=Text(what))}) from None
    return i18n.current().parse_local(value) if value.tzinfo is None else value.astimezone(UTC)


def optional_int(text: str, what: str, *, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_ROW_ID:
        raise FieldError({field: Text(msg.NOT_A_CHOICE, what=Text(what))})
    return int(text)


MAX_ROW_ID = 2**63 - 1  # larger numbers name no row (and overflow the database drivers)


# pydantic's error types -> the human message (the `ctx` of the error fills {limit})
_PYDANTIC = {
    "missing": msg.REQUIRED,
    "string_too_short": msg.TOO_SHORT,
    "string_too_long": msg.TOO_LONG,
    "greater_than_equal": msg.TOO_SMALL,
    "greater_than": msg.TOO_SMALL,
    "less_than_equal": msg.TOO_LARGE,
    "less_than": msg.TOO_LARGE,
    "int_parsing": msg.NOT_A_WHOLE_NUMBER,
    "int_from_float": msg.NOT_A_WHOLE_NUMBER,
    "float_parsing": msg.NOT_A_NUMBER,
    "date_parsing": msg.NOT_A_DATE,
    "date_from_datetime_parsing": msg.NOT_A_DATE,
    "datetime_parsing": msg.NOT_A_DATETIME,
    "datetime_from_date_parsing": msg.NOT_A_DATETIME,
}


def validation_field_errors(exc) -> FieldError:
    """A pydantic ValidationError of form input as people read it, one message per field: never the
    validator's own text ("String should match pattern ...")."""
    errors: dict[str, Text] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        what = Text(msg.FIELD_LABELS.get(field, field.replace("_", " ")))
        ctx = err.get("ctx") or {}
        limit = next((ctx[k] for k in ("min_length", "max_length", "ge", "gt", "le", "lt") if k in ctx), "")
        got = err.get("input")
        if err["type"] == "value_error":  # our own validators' messages are written for people
            text = Text(msg.OWN_CHECK, what=what, error=Text(str(ctx.get("error", ""))))
        elif err["type"] == "string_pattern_mismatch":
            text = Text(msg.PATTERN_HINTS.get(field, msg.NOT_ACCEPTED), what=what)
        elif err["type"] == "string_too_short" and not got:
            text = Text(msg.REQUIRED, what=what)
        else:
            text = Text(
                _PYDANTIC.get(err["type"], msg.NOT_ACCEPTED),
                what=what,
                limit=limit,
                length=len(got) if isinstance(got, str) else "",
            )
        errors.setdefault(field, text)
    return FieldError(errors)
