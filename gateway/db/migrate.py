"""Schema migrations, run at the start of the gateway and of the portal: `upgrade(url)`.

Each owner of tables keeps its own revisions: the gateway's in `gateway/migrations/versions` (applied
revisions recorded in `alembic_version`), the dealer portal's in `dealer_portal/migrations/versions`
(recorded in `alembic_version_dealer`; see `dealer_portal.migrate`). Both run through the one
environment in `gateway/migrations` (its PostgreSQL advisory lock serialises a gateway and a portal
starting together). `upgrade(url)` brings the gateway's tables up; the portal upgrades the gateway's
first, then its own. To write a new gateway revision:

    .venv/bin/python -m gateway.db.migrate revision "add foo" --db sqlite:///x.db
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

from gateway.db.session import check_connection, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
LEGACY_TABLE = "alembic_version"
"""Where every owner's revisions were recorded before each owner had a table of its own."""
UNOWNED_TABLE = "alembic_version_unowned"
"""Revisions found in the gateway's table that the gateway does not know, kept for their owner."""


@dataclass(frozen=True)
class MigrationTree:
    """One owner's revisions: the folder they live in, the table that records which are applied, and
    the tables they create (autogenerate compares only these)."""

    name: str
    versions: Path
    version_table: str
    tables: frozenset[str] = frozenset()


def gateway_tree() -> MigrationTree:
    from gateway.db import models

    return MigrationTree("gateway", MIGRATIONS_DIR / "versions", LEGACY_TABLE, models.GATEWAY_TABLES)


def alembic_config(tree: MigrationTree | None = None, url: str | None = None) -> Config:
    tree = tree or gateway_tree()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(tree.versions))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["version_table"] = tree.version_table
    cfg.attributes["tables"] = tree.tables
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))
    return cfg


def upgrade(url: str | Engine, revision: str = "heads", tree: MigrationTree | None = None) -> None:
    """Bring the database at `url` (a user URL or an Engine) to the latest schema of `tree` (default:
    the gateway's)."""
    tree = tree or gateway_tree()
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        check_connection(engine)
        cfg = alembic_config(tree)
        with engine.begin() as conn:
            _adopt_recorded_revisions(conn, tree, cfg)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def _version_table(name: str) -> sa.Table:
    """Alembic's own layout of a version table."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{name}_pkc"),
    )


def _adopt_recorded_revisions(conn: Connection, tree: MigrationTree, cfg: Config) -> None:
    """Move applied revisions into the table of the tree that owns them.

    A database migrated before each owner had its own table records every owner's revisions in
    `alembic_version`; alembic would stop at a revision its tree does not know. So the gateway parks
    what it does not know in `alembic_version_unowned`, and each tree takes its own revisions from
    either table, which makes the switch work in whichever order gateway and portal start."""
    from alembic.script import ScriptDirectory

    known = {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}
    existing = set(sa.inspect(conn).get_table_names())

    def move(source: str, target: str, revisions: list[str]) -> None:
        if not revisions:
            return
        table = _version_table(target)
        table.create(conn, checkfirst=True)
        conn.execute(table.insert(), [{"version_num": r} for r in revisions])
        src = _version_table(source)
        conn.execute(src.delete().where(src.c.version_num.in_(revisions)))

    for source in (LEGACY_TABLE, UNOWNED_TABLE):
        if source == tree.version_table or source not in existing:
            continue
        rows = list(conn.execute(sa.select(_version_table(source).c.version_num)).scalars())
        move(source, tree.version_table, [r for r in rows if r in known])
    if tree.version_table == LEGACY_TABLE and LEGACY_TABLE in existing:
        rows = list(conn.execute(sa.select(_version_table(LEGACY_TABLE).c.version_num)).scalars())
        move(LEGACY_TABLE, UNOWNED_TABLE, [r for r in rows if r not in known])


def is_up_to_date(url: str | Engine, tree: MigrationTree | None = None) -> bool:
    """True when every head of `tree` is applied (a head another head depends on is not stored in the
    version table, so compare against everything the stored heads include)."""
    from alembic.script import ScriptDirectory

    tree = tree or gateway_tree()
    script = ScriptDirectory.from_config(alembic_config(tree))
    current = tuple(current_heads(url, tree))
    applied = (
        {
            r.revision
            for r in script.revision_map.iterate_revisions(
                current, "base", inclusive=True, implicit_base=True
            )
        }
        if current
        else set()
    )
    return set(script.get_heads()) <= applied


def current_heads(url: str | Engine, tree: MigrationTree | None = None) -> set[str]:
    """The revisions of `tree` the database is at (empty when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    tree = tree or gateway_tree()
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": tree.version_table})
            return set(context.get_current_heads())
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def revision_cli(argv: list[str] | None, tree: MigrationTree, prog: str, before=None) -> int:
    """`upgrade --db URL` / `revision MESSAGE --db URL`: the developer's commands for one tree
    (`before(url)` first brings up what the tree builds on)."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog)
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("upgrade")
    up.add_argument("--db", required=True)
    rev = sub.add_parser("revision", help="autogenerate a revision against a database at heads")
    rev.add_argument("message")
    rev.add_argument("--db", required=True)
    rev.add_argument("--rev-id", default=None)
    args = parser.parse_args(argv)
    if before is not None:
        before(args.db)
    upgrade(args.db, tree=tree)
    if args.cmd == "revision":
        cfg = alembic_config(tree, args.db)
        command.revision(cfg, message=args.message, autogenerate=True, rev_id=args.rev_id)
    return 0


if __name__ == "__main__":
    sys.exit(revision_cli(None, gateway_tree(), "python -m gateway.db.migrate"))
