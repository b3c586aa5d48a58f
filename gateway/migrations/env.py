"""Alembic environment shared by the back office's migration trees (the gateway's, the portal's).

Run through `gateway.db.migrate.upgrade(url, tree=...)`, which says in the config's attributes which
table records the tree's applied revisions and which tables are the tree's (autogenerate compares only
those against `Base.metadata`, so one owner's revision never touches another's tables).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from gateway.db.base import Base
from gateway.db.session import make_engine

config = context.config
target_metadata = Base.metadata
MIGRATION_LOCK_ID = 604_2026  # PostgreSQL advisory lock: gateway and portal may start at the same time


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    tables = config.attributes.get("tables")
    if not tables or type_ != "table":
        return True
    return name in tables


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=config.attributes.get("version_table", "alembic_version"),
        include_object=_ours,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
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
