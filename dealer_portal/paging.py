"""One page of a list that grows (every list page: the audit log, vehicles, service, parts, customers, ...): its rows, where it is, and links to the
neighbouring pages that keep the list's filters and sort order in the URL, so a view can be shared,
bookmarked and reloaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated
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
        """This list's URL with some parameters changed (a new filter or sort starts at page 1)."""
        params = {**self.params, "page": str(self.number), **{k: str(v) for k, v in changes.items()}}
        if "page" not in changes:
            params["page"] = "1"
        kept = {k: v for k, v in params.items() if v and not (k == "page" and v == "1")}
        return f"{self.path}?{urlencode(kept)}" if kept else self.path


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
