"""Fixtures of the portal tests: a migrated SQLite database per test (copied from one migrated template)
and a small world in it: two dealers, their staff, vehicles and parts."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from dealer_portal.headless import CHROMIUM, CHROMIUM_ARGS
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.portal import SAMPLE_NOW, seed_world


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


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory):
    """The portal app over the sample world at SAMPLE_NOW, and its settable clock ({"now": ...})."""
    from dealer_portal.app import create_app
    from dealer_portal.sample_data import create_sample_database

    url = f"sqlite:///{tmp_path_factory.mktemp('portal-web') / 'portal.db'}"
    create_sample_database(url, SAMPLE_NOW, password_rounds=4)
    clock = {"now": SAMPLE_NOW}
    return create_app(url, clock=lambda: clock["now"]), clock


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
    create_sample_database(url, datetime.now(UTC), password_rounds=4)
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

    from tests.support.services import IN_CI

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
