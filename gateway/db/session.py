"""Engines and sessions from the database URLs users write.

`sqlite:///path` (the embedded default) and `postgresql://user@host/db` (production; mapped to the
psycopg 3 driver). SQLite runs in WAL mode with a busy timeout and takes the write lock at BEGIN
(`BEGIN IMMEDIATE`), so that two processes (gateway and portal) wait for each other instead of failing
with "database is locked" when a read transaction later wants to write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from dms.errors import UserError

SQLITE_BUSY_TIMEOUT_MS = 30_000
_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
}


def normalize_url(url: str | URL) -> URL:
    """A user's database URL -> the SQLAlchemy URL with our driver; UserError when unusable."""
    try:
        parsed = make_url(str(url) if isinstance(url, URL) else url.strip())
    except ArgumentError:
        raise UserError(
            f"not a database URL: {str(url)!r}",
            hint="use sqlite:///path/to/file.db or postgresql://user@host/dbname",
        ) from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise UserError(
            f"unsupported database {parsed.drivername!r} in {parsed.render_as_string()!r}",
            hint="use sqlite:///path/to/file.db or postgresql://user@host/dbname",
        )
    parsed = parsed.set(drivername=driver)
    if driver == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise UserError(
                "an in-memory SQLite database cannot be shared between processes",
                hint="give a file: sqlite:///path/to/file.db",
            )
        parent = Path(parsed.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise UserError(f"directory of the SQLite database does not exist: {parent}")
    return parsed


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | URL, **kwargs) -> Engine:
    """An Engine for a user's URL (no connection is made yet; see `check_connection`). PostgreSQL
    connections are checked when taken from the pool (`pool_pre_ping`) unless the caller says otherwise:
    the ingest, which takes one for every batch, retries on a connection found dead instead."""
    parsed = normalize_url(url)
    if parsed.drivername == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(parsed, **kwargs)
    _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Plan each statement for the values it is given. A generic plan, which PostgreSQL adopts for a
        # prepared statement after five runs, cannot hash `= ANY($1)` and compares every row with every
        # id: 1 s instead of 5 ms for 2,000 ids once it was planned on a small table. Once per
        # connection, not per transaction (a round trip for every ingest batch).
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (the sqlite3 module's implicit transactions get in the way).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def check_connection(engine: Engine) -> None:
    """Connect once; an unreachable or refused database, or a file that is none, becomes one UserError
    line."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DatabaseError as exc:  # OperationalError (unreachable) or e.g. "file is not a database"
        first = (
            str(exc.orig or exc).strip().splitlines()[0]
            if str(exc.orig or exc).strip()
            else type(exc).__name__
        )
        where = engine.url.render_as_string(hide_password=True)
        raise UserError(f"cannot connect to database {where}: {first}") from None


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session] | Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any exception."""
    if isinstance(factory, Engine):
        factory = make_sessionmaker(factory)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
