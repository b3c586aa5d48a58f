"""One page of a list that grows (every list page: the audit log, vehicles, service, parts, customers, ...): its rows, where it is, and links to the
neighbouring pages that keep the list's filters and sort order in the URL, so a view can be shared,
bookmarked and reloaded."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    rows: list
    number: int
    size: int
    total: int
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    """The list's filters and sort order as they stand in the URL (empty values left out)."""
    prefix: str = ""
    """Put before `page` and `sort` in the URL when a page shows several paged lists (`odo_page`)."""
    sort: str = ""
    sorts: Mapping[str, str] = field(default_factory=dict)
    """The orders this list offers (name -> msgid of its label), the first being the default."""
    anchor: str = ""
    """Where on the page the list sits (`#odometer`), kept by its links."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.total, self.number * self.size)

    def url(self, **changes: str | int) -> str:
        """This list's URL with some parameters changed (a new filter or sort starts at page 1);
        `page` and `sort` name this list's own (prefixed) parameters."""
        page_key = f"{self.prefix}page"
        named = {f"{self.prefix}{k}" if k in ("page", "sort") else k: str(v) for k, v in changes.items()}
        params = {**self.params, page_key: str(self.number), **named}
        if page_key not in named:
            params[page_key] = "1"
        if self.sorts and params.get(f"{self.prefix}sort") == next(iter(self.sorts)):
            params[f"{self.prefix}sort"] = ""  # the default order needs no parameter
        # page 1 of this list, or of another on the same page, goes without saying
        kept = {k: v for k, v in params.items() if v and not (k.endswith("page") and v == "1")}
        return (f"{self.path}?{urlencode(kept)}" if kept else self.path) + self.anchor


PageNumber = Annotated[str, Query(alias="page", max_length=12)]
"""The `page` URL parameter of a list page, read with `page_number` (anything odd is page 1, never a 422)."""


def page_number(text: str | int) -> int:
    """A page number from the URL; anything else is the first page."""
    text = str(text)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else 1


def _clamp(number: int | str, total: int, size: int) -> int:
    return min(max(page_number(number), 1), max(1, -(-total // size)))


def paginate(
    session: Session,
    query: Select,
    number: int | str,
    path: str,
    params: Mapping[str, str],
    size: int = PER_PAGE,
) -> Page:
    """Rows of page `number` (from 1; past the end means the last page) of an ordered query."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number = _clamp(number, total, size)
    rows = list(session.scalars(query.offset((number - 1) * size).limit(size)))
    return Page(rows, number, size, total, path, {k: v for k, v in params.items() if v})


def paginate_rows(
    rows: Sequence, number: int | str, path: str, params: Mapping[str, str], size: int = PER_PAGE
) -> Page:
    """The same for a list a records function already built (filtered and checked per row there)."""
    number = _clamp(number, len(rows), size)
    shown = list(rows[(number - 1) * size : number * size])
    return Page(shown, number, size, len(rows), path, {k: v for k, v in params.items() if v})


@dataclass(frozen=True)
class Order:
    """One way to sort a list a records function built: its label (a msgid) and its key."""

    label: str
    key: Callable[[Any], Any]
    descending: bool = False


def listed(
    rows: Sequence,
    number: int | str,
    path: str,
    params: Mapping[str, str],
    *,
    orders: Mapping[str, Order] | None = None,
    sort: str = "",
    prefix: str = "",
    anchor: str = "",
    size: int = PER_PAGE,
) -> Page:
    """`paginate_rows` for a list offering `orders`: sorted by the one `sort` names (an unknown name
    is the first, the default), its page and sort kept in the URL under `prefix`, the other
    parameters in `params` (filters, and other lists' pages) kept as they are."""
    orders = orders or {}
    sort = sort if sort in orders else next(iter(orders), "")
    if sort:
        order = orders[sort]
        rows = sorted(rows, key=order.key, reverse=order.descending)
    page = paginate_rows(rows, number, path, params, size)
    return Page(
        page.rows,
        page.number,
        page.size,
        page.total,
        path,
        {**page.params, f"{prefix}sort": "" if sort == next(iter(orders), "") else sort},
        prefix=prefix,
        sort=sort,
        sorts={name: o.label for name, o in orders.items()},
        anchor=anchor,
    )
