"""The portal's schema: its own migration tree, applied after the gateway's tables it refers to.

.venv/bin/python -m dealer_portal.migrate revision "add foo" --db sqlite:///x.db
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import Engine

from dealer_portal.records.tables import PORTAL_TABLES
from gateway.db import migrate as gateway_migrate
from gateway.db.migrate import MigrationTree

PORTAL_TREE = MigrationTree(
    "dealer",
    Path(__file__).resolve().parent / "migrations" / "versions",
    "alembic_version_dealer",
    frozenset(t.name for t in PORTAL_TABLES),
)


def upgrade(url: str | Engine) -> None:
    """The gateway's tables, then the portal's, at their latest revisions."""
    gateway_migrate.upgrade(url)
    gateway_migrate.upgrade(url, tree=PORTAL_TREE)


def is_up_to_date(url: str | Engine) -> bool:
    return gateway_migrate.is_up_to_date(url) and gateway_migrate.is_up_to_date(url, PORTAL_TREE)


def current_heads(url: str | Engine) -> set[str]:
    return gateway_migrate.current_heads(url, PORTAL_TREE)


if __name__ == "__main__":
    sys.exit(
        gateway_migrate.revision_cli(
            None, PORTAL_TREE, "python -m dealer_portal.migrate", before=gateway_migrate.upgrade
        )
    )
