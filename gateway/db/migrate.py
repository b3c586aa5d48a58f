"""Schema migrations, run at the start of the gateway and of the portal: `upgrade(url)`.

The gateway's core revisions form the `gateway` branch; the dealer portal adds its own revisions on a
branch labelled `dealer` in the same versions folder (its first revision depends on the gateway's
first). Upgrading to `heads` applies both. To write a new revision:

    .venv/bin/python -m gateway.db.migrate revision "add foo" [--branch gateway|dealer] --db sqlite:///x.db
"""
from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from gateway.db.session import check_connection, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


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
