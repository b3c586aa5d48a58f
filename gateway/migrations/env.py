"""Alembic environment for the back office (gateway core tables + the dealer portal's branch `dealer`).

Run through `gateway.db.migrate.upgrade(url)` (which upgrades to `heads`, plural, because the portal
keeps its revisions on their own branch in this versions folder). Autogenerate compares against
`Base.metadata` with every model module below imported.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import text

from gateway.db.base import Base
from gateway.db.migrate import import_model_modules
from gateway.db.session import make_engine

import_model_modules()
config = context.config
target_metadata = Base.metadata
MIGRATION_LOCK_ID = 604_2026  # PostgreSQL advisory lock: gateway and portal may start at the same time


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run gateway.db.migrate.upgrade(url)")
run_migrations_online()
