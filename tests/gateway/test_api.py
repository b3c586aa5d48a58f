"""The REST API through FastAPI's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gateway import auth
from gateway.api import create_app
from gateway.db.session import session_scope
from gateway.ingest import Ingestor
from gateway.settings import GatewaySettings
from tests.support.db import T0
from tests.support.factories import event, later, presence, register, status

SETTINGS = GatewaySettings(jwt_secret="a test secret that is long enough!!", offline_after_s=60)
USERS = {
    "root": ("admin", None),
    "disp": ("dispatcher", None),
    "sa1": ("service_advisor", "D1"),
    "sa2": ("service_advisor", "D2"),
    "tech": ("technician", "D1"),
}


@pytest.fixture
def api(db_url, sessions, clock):
    register(
        sessions,
        "V1",
        "V2",
        now=T0,
        dealer="D1",
        rules=[dict(name="Oil", model="Van", type="km", start=1000, period=1000, lead=0)],
    )
    register(sessions, "W1", now=T0, dealer="D2", model="Truck")
    with session_scope(sessions) as db:
        for name, (role, dealer) in USERS.items():
            auth.create_user(db, name, f"pw-{name}", role, dealer_code=dealer, now=T0, rounds=4)
    ing = Ingestor(sessions, SETTINGS, clock=clock)
    ing.apply(
        [
            presence("V1", T0),
            status("V1", later(T0, 1), odometer=900, lat=48.1, lon=11.5, speed=40),
            status("V1", later(T0, 2), odometer=1001),
            event("V1", later(T0, 3), "sleep", 2, episode="e1"),
            status("W1", later(T0, 1), odometer=5),
            ("dms/v1/V1/status", b"nope"),
        ]
    )
    client = TestClient(create_app(db_url, SETTINGS, clock=clock))
    client.ingestor = ing
    return client


def login(client, name) -> dict:
    r = client.post("/api/token", data={"username": name, "password": f"pw-{name}"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_token_and_authentication(api):
    assert api.post("/api/token", data={"username": "root", "password": "bad"}).status_code == 401
    assert api.get("/api/vehicles").status_code == 401
    assert api.get("/api/vehicles", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert api.get("/api/me", headers=login(api, "sa1")).json() == {
        "username": "sa1",
        "role": "service_advisor",
        "dealer_code": "D1",
    }
    assert "/api/vehicles/{vehicle_id}" in api.get("/api/openapi.json").json()["paths"]


def test_live_status_and_dealer_isolation(api, clock):
    root, sa1, sa2 = login(api, "root"), login(api, "sa1"), login(api, "sa2")
    assert [v["vehicle_id"] for v in api.get("/api/vehicles", headers=root).json()["items"]] == [
        "V1",
        "V2",
        "W1",
    ]
    assert [v["vehicle_id"] for v in api.get("/api/vehicles", headers=sa2).json()["items"]] == ["W1"]
    v1 = api.get("/api/vehicles/V1", headers=sa1).json()
    assert (v1["online"], v1["odometer_km"], v1["latitude"], v1["speed_kmh"]) == (True, 1001, 48.1, 40)
    assert [a["type"] for a in v1["open_alerts"]] == ["sleep"]
    assert api.get("/api/vehicles/V1", headers=sa2).status_code == 404
    assert api.get("/api/vehicles/V1/events", headers=sa2).status_code == 404
    events = api.get("/api/vehicles/V1/events", headers=sa1).json()["items"]
    assert [(e["type"], e["level"]) for e in events] == [("sleep", 2)]
    clock.advance(61)
    assert api.get("/api/vehicles/V1", headers=root).json()["online"] is False


def test_the_live_view_request_needs_a_dispatcher_and_a_command_broker(api):
    url = "/api/vehicles/V1/live"
    assert api.post(url, headers=login(api, "tech")).status_code == 403
    assert api.post("/api/vehicles/NOPE/live", headers=login(api, "disp")).status_code == 404
    answer = api.post(url, headers=login(api, "disp"), json={"seconds": 60})
    assert answer.status_code == 503 and "no command broker" in answer.json()["detail"]
    assert api.post(url, headers=login(api, "disp"), json={"seconds": 99999}).status_code == 422


def test_maintenance_due_and_rules(api):
    root, sa1, sa2, tech = (login(api, n) for n in ("root", "sa1", "sa2", "tech"))
    due = api.get("/api/maintenance/due", headers=sa1).json()["items"]
    assert [(a["vehicle_id"], a["due_odometer_km"], a["status"]) for a in due] == [("V1", 1000.0, "proposed")]
    assert api.get("/api/maintenance/due", headers=sa2).json()["items"] == []
    rule = {"name": "Inspection", "vehicle_id": "V2", "type": "months", "start": 12, "period": 12, "lead": 30}
    assert api.post("/api/maintenance/rules", json=rule, headers=tech).status_code == 403
    assert api.post("/api/maintenance/rules", json=rule, headers=sa2).status_code == 404
    assert (
        api.post(
            "/api/maintenance/rules", json={**rule, "model": "Van", "vehicle_id": None}, headers=sa1
        ).status_code
        == 403
    )
    created = api.post("/api/maintenance/rules", json=rule, headers=sa1)
    assert created.status_code == 201, created.text
    assert api.post("/api/maintenance/rules", json={**rule, "period": 0}, headers=root).status_code == 422
    rid = created.json()["id"]
    assert api.patch(f"/api/maintenance/rules/{rid}", json={"lead": 14}, headers=sa1).json()["lead"] == 14
    assert len(api.get("/api/maintenance/rules", headers=sa2).json()["items"]) == 1  # the model-wide one


def test_vehicle_create_update_and_admin_only_dead_letters(api):
    root, disp, sa1 = login(api, "root"), login(api, "disp"), login(api, "sa1")
    body = {
        "vehicle_id": "V9",
        "vin": "1hgcm82633a004352",
        "plate": "M-1",
        "model": "Van",
        "dealer_code": "D1",
    }
    assert api.post("/api/vehicles", json=body, headers=sa1).status_code == 403
    r = api.post("/api/vehicles", json=body, headers=disp)
    assert r.status_code == 201 and r.json()["vin"] == "1HGCM82633A004352"
    assert api.post("/api/vehicles", json=body, headers=disp).status_code == 409
    assert (
        api.post("/api/vehicles", json={**body, "vehicle_id": "V10"}, headers=disp).status_code == 409
    )  # VIN
    assert api.post("/api/vehicles", json={"vehicle_id": "bad id"}, headers=disp).status_code == 422
    r = api.patch("/api/vehicles/V9", json={"status": "in_maintenance", "plate": "M-2"}, headers=root)
    assert (r.json()["status"], r.json()["plate"]) == ("in_maintenance", "M-2")
    assert api.patch("/api/vehicles/V9", json={"dealer_code": "NOPE"}, headers=root).status_code == 422
    assert api.get("/api/dead-letters", headers=disp).status_code == 403
    dead = api.get("/api/dead-letters", headers=root).json()["items"]
    assert [(d["reason"], d["payload_text"]) for d in dead] == [("not_json", "nope")]


def test_alert_ack_and_change_stream(api, clock):
    disp, sa1 = login(api, "disp"), login(api, "sa1")
    alert = api.get("/api/alerts", headers=disp).json()["items"][0]
    start = api.get("/api/changes", headers=disp).json()["last_id"]
    assert api.post(f"/api/alerts/{alert['id']}/ack", headers=sa1).status_code == 403
    acked = api.post(f"/api/alerts/{alert['id']}/ack", headers=disp).json()
    assert acked["acknowledged_by"] == "disp"
    assert api.get("/api/alerts", headers=disp).json()["items"] == []
    api.ingestor.apply([status("V2", later(T0, 5), speed=10), status("W1", later(T0, 5), speed=20)])
    kinds = [
        (c["kind"], c["vehicle_id"])
        for c in api.get(f"/api/changes?after={start}", headers=sa1).json()["items"]
    ]
    assert kinds == [("alert", "V1"), ("status", "V2")]  # not W1: another dealer's vehicle
    token = login(api, "sa2")["Authorization"].split()[1]
    with api.stream(
        "GET", f"/api/stream?limit=1&access_token={token}", headers={"Last-Event-ID": str(start)}
    ) as r:
        body = "".join(r.iter_text())
    assert "event: ready" in body and "event: status" in body and '"vehicle_id": "W1"' in body


def test_every_json_answer_is_declared_in_the_openapi_document(api):
    """Each endpoint that answers JSON names its response model (clients generate code from it)."""
    paths = api.get("/api/openapi.json").json()["paths"]
    undeclared = []
    for path, operations in paths.items():
        for method, op in operations.items():
            ok = next((r for code, r in op["responses"].items() if code.startswith("2")), {})
            schema = ok.get("content", {}).get("application/json", {}).get("schema")
            if schema is not None and not ("$ref" in schema or "properties" in schema):
                undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []
    vehicle = api.get("/api/openapi.json").json()["components"]["schemas"]["VehicleOut"]
    assert {"vehicle_id", "online", "open_alerts"} <= set(vehicle["properties"])
