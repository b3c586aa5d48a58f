"""Maintenance-rule values that once crashed or hung the gateway for the whole fleet (issue 16, item 1):
refused by the API, skipped when already stored, and the evaluation bounded whatever the values."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gateway import auth
from gateway.api import create_app
from gateway.db.models import DeadLetter, MaintenanceRule, ServiceAppointment
from gateway.db.session import session_scope
from gateway.ingest import Ingestor
from gateway.maintenance import (
    RULE_LIMITS,
    add_months,
    calendar_occurrence,
    propose_calendar_due,
    threshold_occurrence,
)
from gateway.settings import GatewaySettings
from tests.support.db import T0
from tests.support.factories import later, register, status

SETTINGS = GatewaySettings(jwt_secret="a test secret that is long enough!!")
HOSTILE = [  # each of these crashed or hung a gateway before the limits
    {"type": "months", "start": 100_000, "period": 12},
    {"type": "months", "start": 0, "period": 1e-9},
    {"type": "km", "start": 0, "period": 5e-324},
]


@pytest.fixture
def api(db_url, sessions, clock):
    register(sessions, "V1", now=T0, dealer="D1")
    with session_scope(sessions) as db:
        auth.create_user(db, "sa1", "pw-sa1", "service_advisor", dealer_code="D1", now=T0, rounds=4)
    client = TestClient(create_app(db_url, SETTINGS, clock=clock))
    token = client.post("/api/token", data={"username": "sa1", "password": "pw-sa1"}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.mark.parametrize("values", HOSTILE)
def test_api_refuses_rule_values_the_gateway_cannot_evaluate(api, values):
    answer = api.post("/api/maintenance/rules", json={"name": "X", "vehicle_id": "V1", "lead": 0, **values})
    assert answer.status_code == 422, answer.text


def test_a_patch_cannot_make_a_valid_rule_impossible(api):
    rule = api.post(
        "/api/maintenance/rules",
        json={"name": "Oil", "vehicle_id": "V1", "type": "km", "start": 15_000, "period": 15_000},
    )
    assert rule.status_code == 201, rule.text
    # 15,000 km is a fine km start but 1,250 years as a months start.
    answer = api.patch(f"/api/maintenance/rules/{rule.json()['id']}", json={"type": "months"})
    assert answer.status_code == 422 and "months rule start" in answer.json()["detail"][0]["msg"]
    assert api.get("/api/maintenance/rules").json()["items"][0]["type"] == "km"


def _store_hostile_rules(sessions) -> None:
    """As a database written before the limits (or edited by hand) may hold them."""
    register(
        sessions,
        "V1",
        now=T0,
        rules=[dict(name=f"bad{i}", model="Van", lead=0, **values) for i, values in enumerate(HOSTILE)]
        + [
            {"name": "Inspection", "model": "Van", "type": "months", "start": 0, "period": 12, "lead": 0},
            {"name": "Oil", "model": "Van", "type": "km", "start": 1000, "period": 1000, "lead": 0},
        ],
    )
    with session_scope(sessions) as db:
        assert len(db.scalars(select(MaintenanceRule)).all()) == 5


def test_stored_hostile_rules_are_skipped_and_the_rest_still_works(sessions, clock):
    _store_hostile_rules(sessions)
    started = time.monotonic()
    with session_scope(sessions) as db:
        created = propose_calendar_due(db, now=T0 + timedelta(days=400))
    assert time.monotonic() - started < 5  # the 1e-9 period spun for ever
    assert [a.reason.split(":")[0] for a in created] == ["Inspection"]

    ingest = Ingestor(sessions, SETTINGS, clock=clock)
    ingest.apply([status("V1", T0, odometer=900)])
    result = ingest.apply([status("V1", later(T0, 1), odometer=1001)])
    assert (result.applied, result.dead_lettered, result.appointments) == (1, 0, 1)
    with sessions() as db:
        assert db.scalars(select(DeadLetter)).all() == []
        reasons = sorted(a.reason.split(":")[0] for a in db.scalars(select(ServiceAppointment)))
    assert reasons == ["Inspection", "Oil"]


def _calendar_by_counting(start, period, lead, anchor, registered, today):
    """The original evaluation (count k up): the reference for valid, small rules."""
    k, found = 0, None
    while True:
        due = add_months(anchor, round(start + k * period))
        if due - timedelta(days=lead) > today:
            return found
        if due >= registered:
            found = (k, due)
        k += 1


class _Rule:
    def __init__(self, start, period, lead):
        self.start, self.period, self.lead = start, period, lead


dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    start=st.floats(0, 240),
    period=st.floats(1, 120),
    lead=st.floats(0, 400),
    anchor=dates,
    registered=dates,
    today=dates,
)
def test_calendar_evaluation_matches_counting_for_valid_rules(start, period, lead, anchor, registered, today):
    expected = _calendar_by_counting(start, period, lead, anchor, registered, today)
    assert calendar_occurrence(_Rule(start, period, lead), anchor, registered, today) == expected


any_float = st.floats(allow_nan=True, allow_infinity=True) | st.floats(min_value=-1e-300, max_value=1e-300)


@FUZZ
@given(
    start=any_float,
    period=any_float.filter(lambda p: p > 0),
    lead=any_float,
    anchor=st.dates(),
    today=st.dates(),
)
def test_calendar_evaluation_never_raises_nor_spins(start, period, lead, anchor, today):
    started = time.monotonic()
    calendar_occurrence(_Rule(start, period, lead), anchor, anchor, today)
    assert time.monotonic() - started < 0.5


@FUZZ
@given(start=any_float, period=any_float.filter(lambda p: p > 0), lead=any_float, value=any_float)
def test_threshold_occurrence_never_raises(start, period, lead, value):
    k = threshold_occurrence(start, period, lead, value)
    assert k is None or k >= 0


@FUZZ
@given(type_=st.sampled_from(sorted(RULE_LIMITS)), start=any_float, period=any_float, lead=any_float)
def test_rule_model_accepts_exactly_the_values_within_limits(type_, start, period, lead):
    from pydantic import ValidationError

    from gateway.registry import RuleIn

    limits = RULE_LIMITS[type_]
    inside = (
        0 <= start <= limits.start_max
        and limits.period_min <= period <= limits.period_max
        and 0 <= lead <= limits.lead_max
    )
    try:
        RuleIn(name="r", model="Van", type=type_, start=start, period=period, lead=lead)
    except ValidationError:
        assert not inside
    else:
        assert inside


def test_a_patch_naming_an_unknown_vehicle_is_a_422_not_a_500(api, sessions):
    """Found by schemathesis on PostgreSQL: the edited rule was flushed (foreign key) before the check."""
    with session_scope(sessions) as db:
        auth.create_user(db, "root", "pw-root", "admin", dealer_code=None, now=T0, rounds=4)
    token = api.post("/api/token", data={"username": "root", "password": "pw-root"}).json()["access_token"]
    root = {"Authorization": f"Bearer {token}"}
    rule = api.post(
        "/api/maintenance/rules",
        headers=root,
        json={"name": "Oil", "vehicle_id": "V1", "type": "km", "start": 15_000, "period": 15_000},
    )
    answer = api.patch(
        f"/api/maintenance/rules/{rule.json()['id']}", json={"vehicle_id": "NOPE"}, headers=root
    )
    assert answer.status_code == 422 and "unknown vehicle" in answer.json()["detail"][0]["msg"], answer.text
