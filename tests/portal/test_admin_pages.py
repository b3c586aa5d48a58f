"""Admin screens (users, dealers, maintenance rules, dead letters), notifications pages and 'request
service' through the web layer: admin only, audited, refused forms keep their fields."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from dealer_portal.records.tables import AuditEntry, ServiceOrder
from gateway.db.models import DeadLetter, MaintenanceRule, StatusSample, User, Vehicle
from gateway.ingest.dead_letters import dead_letter_row
from tests.support.factories import status
from tests.support.portal import SAMPLE_NOW, csrf_of, portal_client


def _post(client, path: str, data: dict | None = None, page: str | None = None):
    token = csrf_of(client.get(page or "/notifications").text)
    return client.post(
        path,
        data={**(data or {}), "csrf_token": token},
        headers={"referer": f"http://testserver{page or path}"},
    )


def _sessions(app):
    return app.state.portal.sessions


def _login(app, username: str, password: str):
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    return client, response.status_code


def _audit(app, action: str) -> list[AuditEntry]:
    with _sessions(app)() as db:
        return list(db.query(AuditEntry).filter_by(action=action))


@pytest.mark.parametrize("user", ["dora", "sam", "tim"])
def test_admin_screens_refuse_other_roles(sample_app, user):
    app, _ = sample_app
    client = portal_client(app, user)
    for path in ("/admin/users", "/admin/dealers", "/admin/rules", "/admin/dead-letters", "/admin/users/1"):
        assert client.get(path).status_code == 403, path
    token = csrf_of(client.get("/vehicles" if user != "tim" else "/service").text)
    response = client.post("/admin/users", data={"username": "mallory", "role": "admin", "csrf_token": token})
    assert response.status_code == 403
    with _sessions(app)() as db:
        assert db.query(User).filter_by(username="mallory").count() == 0
    assert "/admin" not in client.get("/fleet" if user != "tim" else "/service").text


def test_a_user_is_created_with_a_temporary_password_shown_once_then_reset_and_disabled(sample_app):
    app, _ = sample_app
    admin = portal_client(app, "ada")
    page = _post(
        admin, "/admin/users", {"username": "nina", "role": "dispatcher", "dealer_code": ""}, "/admin/users"
    )
    assert page.status_code == 201
    first = re.search(r'<code class="secret">([^<]+)</code>', page.text).group(1)
    client, code = _login(app, "nina", first)
    assert code == 303
    with _sessions(app)() as db:
        nina = db.query(User).filter_by(username="nina").one()
        assert nina.password_hash.startswith("$2") and first not in nina.password_hash
    assert first not in admin.get(f"/admin/users/{nina.id}").text  # shown once, never again
    reset = _post(admin, f"/admin/users/{nina.id}/reset", page=f"/admin/users/{nina.id}")
    second = re.search(r'<code class="secret">([^<]+)</code>', reset.text).group(1)
    assert second != first
    assert _login(app, "nina", first)[1] == 401 and _login(app, "nina", second)[1] == 303
    assert client.get("/fleet").status_code == 200  # signed in with the first password, still a valid user
    done = _post(admin, f"/admin/users/{nina.id}/active", {"active": "0"}, f"/admin/users/{nina.id}")
    assert done.status_code == 303
    assert client.get("/fleet").status_code == 303  # disabled: the session ends at the next request
    assert _login(app, "nina", second)[1] == 401
    actions = {e.action for e in _audit(app, "admin:user_added") + _audit(app, "admin:password_reset")}
    assert actions == {"admin:user_added", "admin:password_reset"}
    assert _audit(app, "admin:user_disabled")[0].entity_id == "nina"


def test_role_and_dealer_changes_are_checked(sample_app):
    app, _ = sample_app
    admin = portal_client(app, "ada")
    with _sessions(app)() as db:
        dora = db.query(User).filter_by(username="dora").one().id
        ada = db.query(User).filter_by(username="ada").one().id
    refused = _post(
        admin, f"/admin/users/{dora}", {"role": "service_advisor", "dealer_code": ""}, f"/admin/users/{dora}"
    )
    assert refused.status_code == 422
    assert 'data-field-error="dealer_code"' in refused.text
    assert 'value="service_advisor" selected' in refused.text  # what was chosen is kept
    mine = _post(
        admin, f"/admin/users/{ada}", {"role": "dispatcher", "dealer_code": ""}, f"/admin/users/{ada}"
    )
    assert mine.status_code == 400 and "your own administrator access" in mine.text
    ok = _post(
        admin, f"/admin/users/{dora}", {"role": "dispatcher", "dealer_code": "D2"}, f"/admin/users/{dora}"
    )
    assert ok.status_code == 303
    with _sessions(app)() as db:
        assert db.get(User, dora).dealer_code == "D2"
        db.get(User, dora).dealer_code = None
        db.commit()


def test_users_list_pages_and_filters(sample_app):
    app, _ = sample_app
    admin = portal_client(app, "ada")
    page = admin.get("/admin/users?role=technician")
    assert (
        'data-user="tim"' in page.text
        and 'data-user="otto"' in page.text
        and 'data-user="dora"' not in page.text
    )
    assert 'data-testid="pager"' in page.text


def test_dealers_are_added_and_renamed(sample_app):
    app, _ = sample_app
    admin = portal_client(app, "ada")
    assert (
        _post(
            admin, "/admin/dealers", {"dealer_code": "D9", "name": "West Garage"}, "/admin/dealers"
        ).status_code
        == 303
    )
    again = _post(admin, "/admin/dealers", {"dealer_code": "D9", "name": "x"}, "/admin/dealers")
    assert again.status_code == 422 and "already exists" in again.text
    bad = _post(admin, "/admin/dealers", {"dealer_code": "no spaces", "name": "x"}, "/admin/dealers")
    assert bad.status_code == 422 and 'data-field-error="dealer_code"' in bad.text
    assert _post(admin, "/admin/dealers/D9", {"name": "West Garage Ltd"}, "/admin/dealers").status_code == 303
    assert "West Garage Ltd" in admin.get("/admin/dealers").text
    assert _audit(app, "admin:dealer_renamed")[0].detail == "West Garage -> West Garage Ltd"


def test_maintenance_rules_are_created_edited_and_disabled_with_the_gateways_checks(sample_app):
    app, _ = sample_app
    admin = portal_client(app, "ada")
    form = {"name": "Brake fluid", "type": "months", "target_kind": "model", "model": "Ford Transit Custom"}
    made = _post(admin, "/admin/rules", {**form, "start": "24", "period": "24", "lead": "30"}, "/admin/rules")
    assert made.status_code == 303
    with _sessions(app)() as db:
        rule = db.query(MaintenanceRule).filter_by(name="Brake fluid").one()
    too_long = _post(
        admin,
        f"/admin/rules/{rule.id}",
        {**form, "start": "24", "period": "5000", "lead": "30"},
        f"/admin/rules/{rule.id}",
    )
    assert too_long.status_code == 422 and "between 1 and 1200" in too_long.text
    assert 'value="5000"' in too_long.text
    unknown = _post(
        admin,
        "/admin/rules",
        {**form, "target_kind": "vehicle", "vehicle_id": "NOPE-1", "period": "12"},
        "/admin/rules",
    )
    assert unknown.status_code == 422 and "unknown vehicle" in unknown.text
    edit = {
        **form,
        "target_kind": "vehicle",
        "vehicle_id": "VAN-1",
        "start": "0",
        "period": "12,5",
        "lead": "7",
    }
    assert _post(admin, f"/admin/rules/{rule.id}", edit, f"/admin/rules/{rule.id}").status_code == 303
    assert _post(admin, f"/admin/rules/{rule.id}/active", {"active": "0"}, "/admin/rules").status_code == 303
    with _sessions(app)() as db:
        rule = db.get(MaintenanceRule, rule.id)
        assert (rule.vehicle_id, rule.model, rule.period, rule.active) == ("VAN-1", None, 12.5, False)
    assert len(_audit(app, "admin:rule_changed")) == 1 and len(_audit(app, "admin:rule_disabled")) == 1


def test_a_dead_letter_is_inspected_replayed_after_the_fix_and_another_discarded(sample_app):
    app, _ = sample_app
    admin = portal_client(app, "ada")
    topic, payload = status("VAN-77", SAMPLE_NOW, speed=31.0, odometer=1200.0)
    with _sessions(app)() as db:
        for row in (
            dead_letter_row(
                topic,
                payload,
                "unknown_vehicle",
                "vehicle 'VAN-77' is not registered",
                now=SAMPLE_NOW,
                max_bytes=65536,
            ),
            dead_letter_row(
                "dms/v1/X/status", b"\xff\xfe not json", "decode", "not JSON", now=SAMPLE_NOW, max_bytes=65536
            ),
        ):
            db.add(DeadLetter(**row))
        db.commit()
        first, second = [d.id for d in db.query(DeadLetter).order_by(DeadLetter.id)][-2:]
    listing = admin.get("/admin/dead-letters?reason=unknown_vehicle")
    assert f'data-letter="{first}"' in listing.text and f'data-letter="{second}"' not in listing.text
    shown = admin.get(f"/admin/dead-letters/{first}")
    assert "VAN-77" in shown.text and "not registered" in shown.text
    assert "ff fe" in admin.get(f"/admin/dead-letters/{second}").text  # binary shown as hex
    refused = _post(admin, f"/admin/dead-letters/{first}/replay", page=f"/admin/dead-letters/{first}")
    assert refused.status_code == 400 and "Register it first" in refused.text
    with _sessions(app)() as db:
        db.add(
            Vehicle(
                vehicle_id="VAN-77",
                dealer_code="D1",
                status="active",
                archived=False,
                created_at=SAMPLE_NOW,
                updated_at=SAMPLE_NOW,
            )
        )
        db.commit()
    done = _post(admin, f"/admin/dead-letters/{first}/replay", page=f"/admin/dead-letters/{first}")
    assert done.status_code == 303 and "1 applied" in done.headers["location"].replace("+", " ")
    assert (
        _post(
            admin, f"/admin/dead-letters/{second}/discard", page=f"/admin/dead-letters/{second}"
        ).status_code
        == 303
    )
    with _sessions(app)() as db:
        assert db.get(DeadLetter, first) is None and db.get(DeadLetter, second) is None
        assert db.query(StatusSample).filter_by(vehicle_id="VAN-77").count() == 1
    assert _audit(app, "admin:dead_letter_replayed") and _audit(app, "admin:dead_letter_discarded")


def test_a_dispatcher_requests_service_which_lands_in_the_dealers_list(sample_app):
    app, _ = sample_app
    dora = portal_client(app, "dora")
    form = {"reason": "brakes squeal", "preferred_date": "2026-12-02"}
    page = "/vehicles/VAN-1"
    assert 'data-testid="request-service"' in dora.get(page).text
    bad = _post(dora, "/vehicles/VAN-1/request-service", {"reason": "", "preferred_date": "2026-01-01"}, page)
    assert bad.status_code == 422 and 'data-field-error="reason"' in bad.text
    done = _post(dora, "/vehicles/VAN-1/request-service", form, page)
    assert done.status_code == 303
    again = _post(dora, "/vehicles/VAN-1/request-service", form, page)
    assert again.status_code == 400 and "already has an open service request" in again.text
    with _sessions(app)() as db:
        order = db.query(ServiceOrder).filter(ServiceOrder.reason.like("brakes squeal%")).one()
        assert (order.dealer_code, order.state) == ("D1", "proposed")
    assert "brakes squeal" in portal_client(app, "sam").get("/service").text
    assert "brakes squeal" not in portal_client(app, "olga").get("/service").text
    sam = portal_client(app, "sam")
    token = csrf_of(sam.get(f"/service/{order.id}").text)
    confirmed = sam.post(
        f"/service/{order.id}/confirm", data={"scheduled_at": "2026-12-02T09:00", "csrf_token": token}
    )
    assert confirmed.status_code == 303
    assert _audit(app, "service:requested")[0].actor == "dora"
    # a dealer's advisor may not request, nor may a dispatcher of another dealer for this vehicle
    assert _post(sam, "/vehicles/VAN-1/request-service", form, page).status_code == 403
    with _sessions(app)() as db:
        db.get(User, db.query(User).filter_by(username="dora").one().id).dealer_code = "D2"
        db.commit()
    try:
        refused = _post(dora, "/vehicles/VAN-2/request-service", form, "/notifications")
        assert refused.status_code == 404 and "no vehicle" in refused.text  # another dealer's: not found
        assert len(_audit(app, "service:requested")) == 1
    finally:
        with _sessions(app)() as db:
            db.query(User).filter_by(username="dora").one().dealer_code = None
            db.commit()


def test_notification_rules_page_and_log(sample_app):
    app, _ = sample_app
    dora = portal_client(app, "dora")
    bad = _post(
        dora, "/notifications", {"event_type": "microsleep", "channel": "webhook", "target": "gopher://x"}
    )
    assert (
        bad.status_code == 422
        and 'data-field-error="target"' in bad.text
        and 'value="gopher://x"' in bad.text
    )
    ok = _post(
        dora,
        "/notifications",
        {"event_type": "microsleep", "channel": "email", "target": "dora@fleet.example"},
    )
    assert ok.status_code == 303
    assert "dora@fleet.example" in dora.get("/notifications").text
    assert dora.get("/notifications/log").status_code == 200
    assert portal_client(app, "tim").get("/notifications").status_code == 403
    assert "dora@fleet.example" not in portal_client(app, "sam").get("/notifications").text
