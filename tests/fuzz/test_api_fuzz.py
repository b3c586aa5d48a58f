"""REST API inputs: any JSON body, query string and path parameter gives a 2xx/4xx answer, never a 500
(the test client re-raises server exceptions, so a crash fails with its traceback).
SQLite in the fast stage; PostgreSQL (stricter types: integer ranges, NUL bytes) in the slow stage."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from gateway import auth
from gateway.api import create_app
from gateway.db.session import make_engine, make_sessionmaker, session_scope
from gateway.settings import GatewaySettings
from tests.support.db import T0, FakeClock
from tests.support.factories import register
from tests.support.fuzz import check_property, json_scalars, json_values, mutated

SETTINGS = GatewaySettings(jwt_secret="a fuzzing secret that is long enough")
VEHICLE = {
    "vehicle_id": "NEW-1",
    "vin": "1HGCM82633A004352",
    "plate": "M-AB 1",
    "model": "Van",
    "purchase_date": "2024-01-31",
    "service_life_years": 8,
    "mileage_limit_km": 300000,
    "dealer_code": "D1",
}
RULE = {
    "name": "Oil",
    "model": "Van",
    "vehicle_id": "V1",
    "type": "km",
    "start": 1000,
    "period": 1000,
    "lead": 50,
    "active": True,
}
READS = [
    "/api/vehicles",
    "/api/vehicles/{id}",
    "/api/vehicles/{id}/events",
    "/api/alerts",
    "/api/maintenance/due",
    "/api/maintenance/rules",
    "/api/dead-letters",
    "/api/changes",
    "/api/me",
]
WRITES = [
    ("POST", "/api/vehicles", VEHICLE),
    ("PATCH", "/api/vehicles/{id}", VEHICLE),
    ("POST", "/api/maintenance/rules", RULE),
    ("PATCH", "/api/maintenance/rules/{id}", RULE),
    ("POST", "/api/alerts/{id}/ack", {}),
]
QUERY_KEYS = [
    "archived",
    "dealer",
    "online",
    "since",
    "type",
    "limit",
    "open",
    "status",
    "vehicle_id",
    "reason",
    "after",
]
path_ids = st.sampled_from(
    ["V1", "1", "0", "-1", "99999999999999999999", "%00", "..", "V1%2F..", " "]
) | st.text(min_size=1, max_size=20).map(lambda s: quote(s, safe=""))
queries = st.dictionaries(
    st.sampled_from(QUERY_KEYS) | st.text(max_size=6),
    json_scalars.map(lambda v: "" if v is None else str(v)),
    max_size=4,
)


# the gateway tests' `db_url` fixture, with PostgreSQL only in the deep (slow) run
pytestmark = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True
)


@pytest.fixture
def api(db_url):
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    register(sessions, "V1", now=T0, dealer="D1")
    with session_scope(sessions) as db:
        auth.create_user(db, "root", "pw-root", "admin", dealer_code=None, now=T0, rounds=4)
        auth.create_user(db, "sa", "pw-sa", "service_advisor", dealer_code="D1", now=T0, rounds=4)
    client = TestClient(create_app(db_url, SETTINGS, clock=FakeClock()))
    tokens = {
        name: client.post("/api/token", data={"username": name, "password": f"pw-{name}"}).json()[
            "access_token"
        ]
        for name in ("root", "sa")
    }
    client.headers_for = {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}
    yield client
    client.close()
    engine.dispose()


def no_server_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])


def test_reads_with_any_query(depth, api):
    def check(path, pid, query, who):
        no_server_error(api.get(path.replace("{id}", pid), params=query, headers=api.headers_for[who]))

    check_property(depth, check, st.sampled_from(READS), path_ids, queries, st.sampled_from(["root", "sa"]))


def test_writes_with_any_body(depth, api):
    def check(write, pid, body, who):
        method, path, _ = write
        no_server_error(
            api.request(method, path.replace("{id}", pid), json=body, headers=api.headers_for[who])
        )

    bodies = st.sampled_from([VEHICLE, RULE]).flatmap(lambda doc: mutated(doc, list(doc))) | json_values
    check_property(
        depth,
        check,
        st.sampled_from(WRITES),
        path_ids | st.just("1"),
        bodies,
        st.sampled_from(["root", "sa"]),
    )


def test_raw_bodies_and_login_forms(depth, api):
    def check(write, raw, form):
        method, path, _ = write
        no_server_error(
            api.request(
                method,
                path.replace("{id}", "V1"),
                content=raw,
                headers={**api.headers_for["root"], "Content-Type": "application/json"},
            )
        )
        no_server_error(api.post("/api/token", data=form))

    forms = st.dictionaries(
        st.sampled_from(["username", "password", "grant_type", "scope"]), st.text(max_size=30)
    )
    check_property(depth, check, st.sampled_from(WRITES), st.binary(max_size=200), forms)
