"""The sales roles (issue #22): gw0012 widens the users.role check (and refuses to narrow it again while
a salesperson exists), `dms users add --role salesperson` works, and a salesperson signs in to /sales."""

from __future__ import annotations

import io

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gateway.db import migrate
from gateway.db.session import make_engine
from tools.cli import main


def test_gw0012_takes_the_sales_roles_and_downgrades_only_without_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'roles.db'}"
    migrate.upgrade(url)
    cfg = migrate.alembic_config(url=url)
    engine = make_engine(url)
    add = "INSERT INTO users (username, password_hash, role, active, created_at) VALUES (:u, 'x', :r, 1, '2026-01-01')"
    with engine.begin() as conn:
        conn.execute(text(add), {"u": "sue", "r": "salesperson"})
        conn.execute(text(add), {"u": "max", "r": "sales_manager"})
    with engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(text(add), {"u": "x", "r": "cashier"})
    with pytest.raises(RuntimeError, match="2 user"):
        command.downgrade(cfg, "gw0009")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users"))
    command.downgrade(cfg, "gw0009")
    with engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(text(add), {"u": "sue", "r": "salesperson"})
    engine.dispose()


def test_users_add_takes_the_salesperson_role(tmp_path, monkeypatch):
    db = f"sqlite:///{tmp_path / 'admin.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pw\n"))
    assert main(["users", "add", "sue", "--role", "salesperson", "--dealer", "D9", "--db", db]) == 0
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT role, dealer_code FROM users")).one() == ("salesperson", "D9")
    engine.dispose()
