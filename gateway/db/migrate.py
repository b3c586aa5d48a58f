"""Schema migrations, run at the start of the gateway and of the portal: `upgrade(url)`.

The gateway's core revisions form the `gateway` branch; the dealer portal adds its own revisions on a
branch labelled `dealer` in the same versions folder (its first revision depends on the gateway's
first). Upgrading to `heads` applies both. To write a new revision:

    .venv/bin/python -m gateway.db.migrate revision "add foo" [--branch gateway|dealer] --db sqlite:///x.db
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from gateway.db.session import check_connection, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
# Modules that declare tables on Base; the optional ones are skipped when not installed.
MODEL_MODULES = ["gateway.db.models"]
OPTIONAL_MODEL_MODULES = ["dealer_portal.models"]


def import_model_modules() -> None:
    """Import every module that adds tables to `Base.metadata` (for autogenerate and schema checks)."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    for name in OPTIONAL_MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))
    return cfg


def upgrade(url: str | Engine, revision: str = "heads") -> None:
    """Bring the database at `url` (a user URL or an Engine) to the latest schema of every branch."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        check_connection(engine)
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def is_up_to_date(url: str | Engine) -> bool:
    """True when every head of every branch is applied (a head another head depends on is not stored
    in alembic_version, so compare against everything the stored heads include)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    current = tuple(current_heads(url))
    applied = {r.revision for r in script.revision_map.iterate_revisions(current, "base", inclusive=True,
                                                                          implicit_base=True)} if current else set()
    return set(script.get_heads()) <= applied


def current_heads(url: str | Engine) -> set[str]:
    """The revisions the database is at (empty when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gateway.db.migrate")
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("upgrade")
    up.add_argument("--db", required=True)
    rev = sub.add_parser("revision", help="autogenerate a revision against a database at heads")
    rev.add_argument("message")
    rev.add_argument("--db", required=True)
    rev.add_argument("--branch", default="gateway", help="head to build on: gateway or dealer")
    rev.add_argument("--rev-id", default=None)
    args = parser.parse_args(argv)
    if args.cmd == "upgrade":
        upgrade(args.db)
        return 0
    upgrade(args.db)
    cfg = alembic_config(args.db)
    command.revision(cfg, message=args.message, autogenerate=True, head=f"{args.branch}@head",
                     rev_id=args.rev_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
