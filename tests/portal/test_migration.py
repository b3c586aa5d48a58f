"""The `dealer` migration branch creates exactly the tables the portal's models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dealer_portal.migrate import current_heads
from dealer_portal.records.tables import PORTAL_TABLES
from gateway.db.base import Base
from gateway.db.session import make_engine


def test_models_and_migrations_agree(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        ours = {t.name for t in PORTAL_TABLES}
        about_ours = [d for d in diff if any(name in repr(d) for name in ours)]
        assert about_ours == [], "tables.py changed without a new revision on the `dealer` branch"
        assert any(head.startswith("dp") for head in current_heads(engine))  # the dealer branch is applied
    finally:
        engine.dispose()


def test_a_database_migrated_before_the_trees_were_split_upgrades_in_either_order(tmp_path):
    """Before the portal owned its tree, both owners' revisions were recorded in `alembic_version`
    (gateway heads and `dp0001` side by side). The gateway alone must start on such a database, and
    the portal must take its revision back instead of creating its tables a second time."""
    from sqlalchemy import text

    from dealer_portal.migrate import PORTAL_TREE, is_up_to_date, upgrade
    from gateway.db import migrate as gateway_migrate

    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    gateway_migrate.upgrade(url)
    gateway_migrate.upgrade(url, "dp0001", tree=PORTAL_TREE)  # the portal as it was before the split
    engine = make_engine(url)
    with engine.begin() as conn:  # the old layout: one version table for everyone
        conn.execute(
            text("INSERT INTO alembic_version (version_num) SELECT version_num FROM alembic_version_dealer")
        )
        conn.execute(text("DROP TABLE alembic_version_dealer"))
    gateway_migrate.upgrade(url)  # the gateway starts first and does not know dp0001
    assert gateway_migrate.is_up_to_date(url)
    with engine.connect() as conn:
        assert set(conn.execute(text("SELECT version_num FROM alembic_version_unowned")).scalars()) == {
            "dp0001"
        }
    upgrade(url)  # then the portal: takes dp0001 back, creates nothing twice, and goes on to its head
    assert is_up_to_date(url) and "dp0001" not in current_heads(url)
    with engine.connect() as conn:
        assert list(conn.execute(text("SELECT version_num FROM alembic_version_unowned"))) == []
        assert "dp0001" not in set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    engine.dispose()


def test_the_gateway_alone_creates_no_portal_table(tmp_path):
    from sqlalchemy import inspect

    from gateway.db import migrate as gateway_migrate

    url = f"sqlite:///{tmp_path / 'gw.db'}"
    gateway_migrate.upgrade(url)
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert not tables & {t.name for t in PORTAL_TABLES}
    assert "vehicles" in tables
