"""Migrations match the models; passwords, tokens and the change feed work on both databases."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from dms.errors import UserError
from gateway import auth
from gateway.changes import ChangeFeed, latest_change_id, record_changes
from gateway.db import models as models_module
from gateway.db.base import Base
from gateway.db.migrate import is_up_to_date, upgrade
from gateway.db.models import Dealer
from gateway.db.session import make_engine, session_scope
from tests.support.db import T0, downgrade, scratch_pg_database


def test_migrated_schema_matches_models_and_upgrade_is_repeatable(db_url, engine):
    upgrade(db_url)  # second run is a no-op
    assert is_up_to_date(db_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    ours = set(models_module.Base.metadata.tables) & {m.__tablename__ for m in _gateway_models()}
    assert [d for d in diffs if _table_of(d) in ours] == []


def test_live_status_pages_keep_room_for_updates_on_postgresql():
    query = text("SELECT reloptions FROM pg_class WHERE relname = 'vehicle_live_status'")
    with scratch_pg_database() as url:
        engine = make_engine(url)
        with engine.connect() as conn:
            assert conn.scalar(query) == ["fillfactor=50"]
        downgrade(url, "gw0004")
        with engine.connect() as conn:
            assert conn.scalar(query) is None
        engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_history_tables_drop_their_vehicle_key_and_get_it_back_on_downgrade(dialect, tmp_path):
    def keys(url: str) -> list[list]:
        engine = make_engine(url)
        found = [
            [fk["referred_table"] for fk in inspect(engine).get_foreign_keys(t)]
            for t in ("status_samples", "odometer_log")
        ]
        engine.dispose()
        return found

    with _scratch(dialect, tmp_path) as url:
        assert keys(url) == [[], []]
        downgrade(url, "gw0005")
        assert keys(url) == [["vehicles"], ["vehicles"]]
        upgrade(url)
        assert keys(url) == [[], []]


@contextmanager
def _scratch(dialect: str, tmp_path):
    if dialect == "postgresql":
        with scratch_pg_database() as url:
            yield url
    else:
        url = f"sqlite:///{tmp_path}/schema.db"
        upgrade(url)
        yield url


def _gateway_models():
    return [
        v
        for v in vars(models_module).values()
        if isinstance(v, type) and v.__module__ == models_module.__name__ and hasattr(v, "__tablename__")
    ]


def _table_of(diff) -> str | None:
    """The table a compare_metadata entry is about (entries are tuples, or lists of tuples)."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if name is not None and hasattr(part, "columns"):
            return name
    return item[2] if len(item) > 2 and isinstance(item[2], str) else None


def test_users_passwords_and_tokens(sessions):
    with session_scope(sessions) as db:
        db.add(Dealer(code="D1", name="One"))
        db.flush()
        user = auth.create_user(db, "ann", "s3cret pw", "service_advisor", dealer_code="D1", now=T0, rounds=4)
        with pytest.raises(UserError, match="already exists"):
            auth.create_user(db, "ann", "x", "admin", dealer_code=None, now=T0, rounds=4)
        with pytest.raises(UserError, match="belongs to a dealer"):
            auth.create_user(db, "tom", "x", "technician", dealer_code=None, now=T0, rounds=4)
        secret = auth.jwt_secret(db)
        token = auth.issue_token(user, secret, now=T0, ttl=timedelta(minutes=5))
    with session_scope(sessions) as db:
        assert auth.jwt_secret(db) == secret  # stored once, shared by every process
        assert auth.authenticate(db, "ann", "s3cret pw").dealer_code == "D1"
        assert auth.authenticate(db, "ann", "wrong") is None and auth.authenticate(db, "nobody", "x") is None
    claims = auth.decode_token(token, secret, now=T0 + timedelta(minutes=4))
    assert (claims.username, claims.role, claims.dealer_code) == ("ann", "service_advisor", "D1")
    with pytest.raises(auth.InvalidToken):
        auth.decode_token(token, secret, now=T0 + timedelta(minutes=6))
    with pytest.raises(auth.InvalidToken):
        auth.decode_token(token, "another secret entirely, long enough for HS256", now=T0)


def test_change_feed_sees_late_commits(engine, sessions):
    with session_scope(sessions) as db:
        feed = ChangeFeed(last_id=latest_change_id(db))
        record_changes(db, [("status", "V1", None), ("status", "V1", None), ("event", "V1", "7")], now=T0)
    with sessions() as db:
        assert [c.kind for c in feed.poll(db, now=T0)] == ["status", "event"]
        assert feed.poll(db, now=T0) == []
    # A gap (an id taken by a transaction that commits later) is looked at again.
    feed._gaps[feed.last_id + 100] = T0
    with sessions() as db:
        assert feed.poll(db, now=T0) == []


def test_bad_urls_are_one_line_user_errors(tmp_path):
    for url, match in (
        ("nonsense", "not a database URL"),
        ("mysql://x@y/z", "unsupported database"),
        ("sqlite://", "in-memory"),
        (f"sqlite:///{tmp_path}/no/such/dir/x.db", "does not exist"),
    ):
        with pytest.raises(UserError, match=match):
            make_engine(url)
    with pytest.raises(UserError, match="cannot connect"):
        upgrade("postgresql://nobody@127.0.0.1:1/none")


def test_prune_changes(sessions):
    from datetime import timedelta

    from gateway.changes import prune_changes

    with session_scope(sessions) as db:
        record_changes(db, [("status", "V1", None)], now=T0)
        record_changes(db, [("status", "V2", None)], now=T0 + timedelta(hours=2))
    with session_scope(sessions) as db:
        assert prune_changes(db, older_than=T0 + timedelta(hours=1)) == 1
    with sessions() as db:
        assert [c.vehicle_id for c in ChangeFeed().poll(db, now=T0)] == ["V2"]
