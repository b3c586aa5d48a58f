"""Fixtures of the portal tests: a migrated SQLite database per test (copied from one migrated template)
and a small world in it: two dealers, their staff, vehicles and parts."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone

import pytest

from dealer_portal.headless import CHROMIUM, CHROMIUM_ARGS

from dealer_portal.records.actor import Actor
from gateway.db.session import make_engine, make_sessionmaker

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    from dealer_portal.migrate import upgrade

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
        session.add(
            User(
                username=actor.username,
                password_hash=hash_password("secret-" + actor.username),
                role=actor.role,
                dealer_code=actor.dealer_code,
                active=True,
                created_at=T0,
            )
        )
    for vid, vin, plate, bought in (
        ("VAN-1", "WVWZZZ1JZXW000001", "B-AB 101", date(2020, 5, 1)),
        ("VAN-2", "WVWZZZ1JZXW000002", "B-AB 102", date(2014, 1, 15)),
    ):
        session.add(
            Vehicle(
                vehicle_id=vid,
                vin=vin,
                plate=plate,
                model="Transit Custom",
                purchase_date=bought,
                service_life_years=10,
                mileage_limit_km=300_000,
                dealer_code="D1",
                status="active",
                archived=False,
                created_at=T0,
                updated_at=T0,
            )
        )
    session.commit()


@pytest.fixture
def world(session):
    seed_world(session)
    return session


# --------------------------------------------------------------------------------------------
# Browser tests: a seeded portal over a temp SQLite database, real headless Chromium
# --------------------------------------------------------------------------------------------



@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> str:
    """A migrated database holding the sample world (dealer_portal.sample_data), one per test module."""
    from dealer_portal.sample_data import create_sample_database

    url = f"sqlite:///{tmp_path_factory.mktemp('portal-browser') / 'portal.db'}"
    create_sample_database(url, datetime.now(timezone.utc), password_rounds=4)
    return url


@pytest.fixture(scope="module")
def portal_url(sample_db) -> str:
    from dealer_portal.app import create_app
    from dealer_portal.background_server import serve

    with serve(create_app(sample_db)) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    import os

    from tests.conftest import IN_CI

    if not os.access(CHROMIUM, os.X_OK):
        message = (
            f"{CHROMIUM} not installed (apt-get install chromium; scripts/ensure_system_packages.sh does it)"
        )
        pytest.fail(message) if IN_CI else pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def login(page, base_url: str, username: str) -> None:
    from dealer_portal.sample_data import password_for

    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password_for(username))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=who]")
