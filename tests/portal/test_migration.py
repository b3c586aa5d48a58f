"""The `dealer` migration branch creates exactly the tables the portal's models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dealer_portal.records.tables import PORTAL_TABLES
from gateway.db.base import Base
from gateway.db.migrate import current_heads
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
