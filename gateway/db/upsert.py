"""Bulk inserts (optionally `ON CONFLICT DO NOTHING`), updates and key lookups, on SQLite and PostgreSQL.

On PostgreSQL a batch is one short statement with binary array parameters, `INSERT ... SELECT * FROM unnest(<one array per column>)`:
psycopg parses and caches it once, whereas a multi-row VALUES statement is new SQL text for every batch
size and costs more to prepare than to execute (measured: ~3x the whole ingest cost). A plain insert
(no conflict handling, nothing returned) is a binary COPY instead: half the client CPU of the arrays and
a quarter less server time. On SQLite the rows go through the driver's executemany.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, Float, Table, any_, bindparam, literal, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def one_of(db: Session, column, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(<one array parameter>)`, so that the statement
    is the same text for any number of values (an IN list of 2,000 parameters cost more to render and
    parse than to run: ~40 % of the gateway's ingest time at 10,000 vehicles)."""
    if db.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(values), postgresql.ARRAY(column.type)))
    return column.in_(values)


def insert_ignore(
    db: Session, table: Table, rows: Sequence[dict[str, Any]], returning: Column | None = None
) -> list[Any]:
    """Insert `rows`, skipping any that collide with a unique key; with `returning`, that column of the
    rows actually inserted (under concurrency a colliding row waits for the other transaction, then is
    skipped: exactly one inserter wins)."""
    found = bulk_insert(
        db, table, rows, ignore_conflicts=True, returning=(returning.name,) if returning is not None else ()
    )
    return [r[0] for r in found]


def bulk_insert(
    db: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    ignore_conflicts: bool = False,
    returning: Sequence[str] = (),
    on_conflict: str | None = None,
) -> list[tuple]:
    """Insert `rows` (dicts with the same keys); the `returning` columns of the inserted rows.
    `on_conflict`: the SQL after `ON CONFLICT` (e.g. `(key) DO UPDATE SET ...`, naming the table and
    `excluded`), the same on both databases; one statement however many rows (no two may share the key)."""
    if not rows:
        return []
    conflict = on_conflict or ("DO NOTHING" if ignore_conflicts else None)
    if db.get_bind().dialect.name == "postgresql":
        if conflict is None and not returning:
            _pg_copy(db, table, rows)
            return []
        return _pg_unnest_insert(db, table, rows, conflict, tuple(returning))
    stmt = sqlite.insert(table)
    if on_conflict is not None:
        columns = tuple(rows[0])
        # typed parameters: the columns' own conversions (a UTC timestamp is stored naive, as elsewhere)
        stmt = text(_sqlite_sql(table, columns, on_conflict)).bindparams(
            *(bindparam(c, type_=table.c[c].type) for c in columns)
        )
        db.execute(stmt, _sqlite_rows(rows))
        return []
    if ignore_conflicts:
        stmt = stmt.on_conflict_do_nothing()
    rows = _sqlite_rows(rows)
    if not returning:
        db.execute(stmt, rows)
        return []
    stmt = stmt.returning(*(table.c[name] for name in returning), sort_by_parameter_order=True)
    return [tuple(r) for r in db.execute(stmt, rows)]


class JSONText(str):
    """A value for a JSON column that is JSON text already (pydantic's `model_dump_json` is several
    times faster than `model_dump` + `json.dumps`): stored as it is."""


def _sqlite_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """SQLAlchemy's JSON type serialises what it is given: hand it the value, not its text."""
    return [{k: json.loads(v) if isinstance(v, JSONText) else v for k, v in row.items()} for row in rows]


def _json_text(value: Any) -> str:
    return value if isinstance(value, JSONText) else json.dumps(value)


@lru_cache(maxsize=64)
def _sqlite_sql(table: Table, columns: tuple[str, ...], on_conflict: str) -> str:
    names, values = ", ".join(columns), ", ".join(f":{c}" for c in columns)
    return f"INSERT INTO {table.name} ({names}) VALUES ({values}) ON CONFLICT {on_conflict}"


@lru_cache(maxsize=256)
def _pg_sql(table: Table, columns: tuple[str, ...], conflict: str | None, returning: tuple[str, ...]) -> str:
    dialect = postgresql.dialect()
    arrays = ", ".join(f"%(c{i})b::{_pg_type(table.c[name], dialect)}[]" for i, name in enumerate(columns))
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
        f"SELECT * FROM unnest({arrays})"
    )
    if conflict is not None:
        sql += f" ON CONFLICT {conflict}"
    if returning:
        sql += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
    return sql


def _pg_type(column: Column, dialect) -> str:
    impl = getattr(column.type, "impl", column.type)
    return "JSON" if isinstance(impl, JSON) else impl.compile(dialect=dialect)


@lru_cache(maxsize=1024)
def _pg_converter(column: Column):
    """How a column's Python values become array elements (None: as they are)."""
    impl = getattr(column.type, "impl", column.type)
    if isinstance(impl, JSON):
        return _json_text  # sent as text[], cast to json[] in the statement
    if isinstance(impl, Float):
        return float  # a mix of ints and floats must not make psycopg pick an integer array
    return None


def _pg_array(column: Column, rows: Sequence[dict[str, Any]]) -> list[Any]:
    values = [row[column.name] for row in rows]
    convert = _pg_converter(column)
    if convert is None:
        return values
    return [None if v is None else convert(v) for v in values]


def _pg_unnest_insert(
    db: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: str | None,
    returning: tuple[str, ...],
) -> list[tuple]:
    columns = tuple(rows[0])
    sql = _pg_sql(table, columns, conflict, returning)
    params = {f"c{i}": _pg_array(table.c[name], rows) for i, name in enumerate(columns)}
    result = db.connection().exec_driver_sql(sql, params)
    return [tuple(r) for r in result] if returning else []


# COPY's binary format names the client-side type of each column; JSON's binary form is its text.
_COPY_TYPES = {"float": "float8", "json": "text"}


@lru_cache(maxsize=64)
def _pg_copy_sql(table: Table, columns: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    dialect = postgresql.dialect()
    types = (_pg_type(table.c[name], dialect).split("(")[0].lower() for name in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT BINARY)'
    return sql, tuple(_COPY_TYPES.get(t, t) for t in types)


def _pg_copy(db: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    columns = tuple(rows[0])
    sql, types = _pg_copy_sql(table, columns)
    arrays = [_pg_array(table.c[name], rows) for name in columns]
    # The session's own connection and transaction, through the driver (SQLAlchemy has no COPY).
    cursor = db.connection().connection.driver_connection.cursor()
    with cursor.copy(sql) as copy:
        copy.set_types(types)
        for row in zip(*arrays):
            copy.write_row(row)


def bulk_update(db: Session, table: Table, rows: Sequence[dict[str, Any]], key: str) -> None:
    """UPDATE each row (dicts with the same keys) matched on the `key` column. PostgreSQL: one
    `UPDATE .. FROM unnest(..)` statement; SQLite: executemany."""
    if not rows:
        return
    columns = tuple(rows[0])
    if db.get_bind().dialect.name == "postgresql":
        params = {f"c{i}": _pg_array(table.c[name], rows) for i, name in enumerate(columns)}
        db.connection().exec_driver_sql(_pg_update_sql(table, columns, key), params)
        return
    db.execute(
        table.update()
        .where(table.c[key] == bindparam("_key"))
        .values({name: bindparam(name) for name in columns if name != key}),
        [{**row, "_key": row[key]} for row in rows],
    )


@lru_cache(maxsize=64)
def _pg_update_sql(table: Table, columns: tuple[str, ...], key: str) -> str:
    dialect = postgresql.dialect()
    arrays = ", ".join(f"%(c{i})b::{_pg_type(table.c[name], dialect)}[]" for i, name in enumerate(columns))
    sets = ", ".join(f'"{c}" = s."{c}"' for c in columns if c != key)
    names = ", ".join(f'"{c}"' for c in columns)
    return (
        f'UPDATE "{table.name}" AS t SET {sets} FROM unnest({arrays}) AS s({names}) '
        f'WHERE t."{key}" = s."{key}"'
    )
