"""Fixtures of the portal tests: a migrated SQLite database per test (copied from one migrated template)
and a small world in it: two dealers, their staff, vehicles and parts."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timezone

import pytest

from dealer_portal.records.actor import Actor
from gateway.db.session import make_engine, make_sessionmaker

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    from gateway.db.migrate import upgrade

    path = tmp_path_factory.mktemp("portal-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def db_url(migrated_template, tmp_path) -> str:
    path = tmp_path / "portal.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def session(db_url):
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        yield s
    engine.dispose()


ADMIN = Actor("ada", "admin", None)
DISPATCHER = Actor("dora", "dispatcher", None)
ADVISOR = Actor("sam", "service_advisor", "D1")
TECH = Actor("tim", "technician", "D1")
OTHER_ADVISOR = Actor("olga", "service_advisor", "D2")


def seed_world(session, hash_password=lambda p: "x" * 60) -> None:
    """Two dealers, one user per role (plus the second dealer's advisor), two vehicles serviced by D1."""
    from gateway.db.models import Dealer, User, Vehicle

    session.add_all([Dealer(code="D1", name="North Motors"), Dealer(code="D2", name="South Cars")])
    session.flush()
    for actor in (ADMIN, DISPATCHER, ADVISOR, TECH, OTHER_ADVISOR):
        session.add(User(username=actor.username, password_hash=hash_password("secret-" + actor.username),
                         role=actor.role, dealer_code=actor.dealer_code, active=True, created_at=T0))
    for vid, vin, plate, bought in (("VAN-1", "WVWZZZ1JZXW000001", "B-AB 101", date(2020, 5, 1)),
                                    ("VAN-2", "WVWZZZ1JZXW000002", "B-AB 102", date(2014, 1, 15))):
        session.add(Vehicle(vehicle_id=vid, vin=vin, plate=plate, model="Transit Custom", purchase_date=bought,
                            service_life_years=10, mileage_limit_km=300_000, dealer_code="D1", status="active",
                            archived=False, created_at=T0, updated_at=T0))
    session.commit()


@pytest.fixture
def world(session):
    seed_world(session)
    return session
