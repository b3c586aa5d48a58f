"""Databases for gateway tests: every test that takes `db_url` runs on SQLite and on PostgreSQL.

PostgreSQL: one fresh database `dms_test_<random>` per test session on 127.0.0.1:5432, migrated once,
emptied between tests, dropped at the end; skipped when PostgreSQL is down (failed under CI=true).
SQLite: a migrated template file copied per test.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from gateway.db.migrate import alembic_config, upgrade
from gateway.db.models import GATEWAY_TABLES
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.services import require_service

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class FakeClock:
    """An injectable clock the test moves by hand."""

    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("dbtemplate") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@contextmanager
def scratch_pg_database(revision: str = "heads") -> Iterator[str]:
    """A new PostgreSQL database migrated to `revision`, dropped at the end."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"dms_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url, revision)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def downgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    engine.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    with scratch_pg_database() as url:
        yield url


def empty_pg(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{name}"' for name in sorted(GATEWAY_TABLES))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A migrated, empty database URL as a user writes it."""
    if request.param == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    empty_pg(url)
    return url


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine):
    return make_sessionmaker(engine)
