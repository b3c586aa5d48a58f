"""`INSERT ... ON CONFLICT DO NOTHING` on SQLite and PostgreSQL alike: the building block of idempotency."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_ignore(db: Session, table: Table, rows: Sequence[dict[str, Any]],
                  returning: Column | None = None) -> list[Any]:
    """Insert `rows`, skipping any that collide with a unique key; with `returning`, that column of the
    rows actually inserted (under concurrency a colliding row waits for the other transaction, then is
    skipped: exactly one inserter wins)."""
    if not rows:
        return []
    insert = _INSERTS[db.get_bind().dialect.name]
    stmt = insert(table).on_conflict_do_nothing()
    if returning is None:
        db.execute(stmt, list(rows))
        return []
    return list(db.scalars(stmt.returning(returning), list(rows)))
