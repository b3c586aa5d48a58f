"""The web layer without a browser (Starlette's test client): sessions, CSRF, roles, errors, exports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from dealer_portal import web_session
from dealer_portal.app import create_app
from dealer_portal.cli import parse_http
from dealer_portal.sample_data import create_sample_database, password_for
from dms.errors import UserError

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('portal-web') / 'portal.db'}"
    create_sample_database(url, NOW, password_rounds=4)
    clock = {"now": NOW}
    return create_app(url, clock=lambda: clock["now"]), clock


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _client(app, user: str | None = None) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if user:
        token = _csrf(client.get("/login").text)
        response = client.post(
            "/login", data={"username": user, "password": password_for(user), "csrf_token": token}
        )
        assert response.status_code == 303, response.text
    return client


def test_login_needs_the_csrf_token_of_the_session(sample_app):
    app, _ = sample_app
    client = TestClient(app, follow_redirects=False)
    client.get("/login")
    response = client.post(
        "/login", data={"username": "dora", "password": password_for("dora"), "csrf_token": "forged"}
    )
    assert response.status_code == 403 and "CSRF" in response.text
    assert _client(app, "dora").get("/fleet").status_code == 200


def test_forged_or_expired_cookie_means_logged_out(sample_app):
    app, clock = sample_app
    client = _client(app, "dora")
    good = client.cookies.get(web_session.COOKIE)
    body, sig = good.rsplit(".", 1)
    client.cookies.set(web_session.COOKIE, body + "." + sig[::-1])
    assert client.get("/fleet").headers["location"].startswith("/login")
    client.cookies.set(web_session.COOKIE, good)
    assert client.get("/fleet").status_code == 200
    clock["now"] = NOW + timedelta(hours=11)  # past the 10 h session
    try:
        assert client.get("/fleet").status_code == 303
    finally:
        clock["now"] = NOW


def test_role_and_dealer_limits_on_pages(sample_app):
    app, _ = sample_app
    tim = _client(app, "tim")
    assert tim.get("/parts").status_code == 403
    assert "a technician may not use dispatch" in tim.get("/dispatch").text
    assert tim.get("/service").status_code == 200
    olga = _client(app, "olga")
    assert olga.get("/vehicles/VAN-1").status_code == 404
    listed = set(re.findall(r'href="/vehicles/(VAN-\d)"', olga.get("/vehicles").text))
    assert listed == {"VAN-5", "VAN-6"}
    assert olga.get("/audit").status_code == 403
    assert "Havel Kurier" in olga.get("/service").text and "Spree Logistics" not in olga.get("/service").text
    assert "Spree Logistics" in _client(app, "sam").get("/service").text


def test_a_refused_step_comes_back_as_a_message_on_the_page(sample_app):
    app, _ = sample_app
    sam = _client(app, "sam")
    page = sam.get("/vehicles/VAN-2")
    response = sam.post(
        "/vehicles/VAN-2/odometer",
        data={"km": "10", "csrf_token": _csrf(page.text)},
        headers={"referer": "http://testserver/vehicles/VAN-2"},
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/vehicles/VAN-2?error=odometer+10+km+is+below")
    assert "is below the last reading" in sam.get(response.headers["location"]).text


def test_csv_export_and_document_round_trip(sample_app):
    app, _ = sample_app
    sam = _client(app, "sam")
    csv_text = sam.get("/vehicles.csv").text
    assert csv_text.splitlines()[0].startswith("vehicle_id,model,plate,vin")
    assert {line.split(",")[0] for line in csv_text.splitlines()[1:]} == {"VAN-1", "VAN-2", "VAN-3", "VAN-4"}
    token = _csrf(sam.get("/vehicles/VAN-3").text)
    response = sam.post(
        "/vehicles/VAN-3/documents",
        data={"title": "Insurance", "csrf_token": token},
        files={"file": ("policy 2026.pdf", b"%PDF-1.4 test", "application/pdf")},
    )
    assert response.status_code == 303
    doc_link = re.search(r'href="(/documents/\d+)">Insurance', sam.get("/vehicles/VAN-3").text).group(1)
    download = sam.get(doc_link)
    assert (
        download.content == b"%PDF-1.4 test" and "policy_2026.pdf" in download.headers["content-disposition"]
    )
    assert _client(app, "olga").get(doc_link).status_code == 404


def test_session_cookie_reads_the_gateway_api_but_cannot_write_it(sample_app):
    app, _ = sample_app
    dora = _client(app, "dora")
    response = dora.get("/api/vehicles")
    assert response.status_code == 200, response.text
    assert dora.post("/api/alerts/1/ack").status_code == 401


def test_http_address_is_checked():
    assert parse_http("0.0.0.0:8080") == ("0.0.0.0", 8080)
    assert parse_http(":9000") == ("127.0.0.1", 9000)
    with pytest.raises(UserError, match="HOST:PORT"):
        parse_http("localhost")


def test_the_live_view_button_asks_the_vehicle_through_the_command_broker(sample_app, monkeypatch):
    monkeypatch.delenv("DMS_COMMAND_BROKER", raising=False)
    app, _ = sample_app
    dora, sam = _client(app, "dora"), _client(app, "sam")
    page = dora.get("/vehicles/VAN-2")
    assert (
        "/vehicles/VAN-2/live" in page.text and "/vehicles/VAN-2/live" not in sam.get("/vehicles/VAN-2").text
    )
    response = dora.post(
        "/vehicles/VAN-2/live",
        data={"csrf_token": _csrf(page.text)},
        headers={"referer": "http://testserver/vehicles/VAN-2"},
    )
    # No command broker configured here (tests/uplink/test_live_view.py sends one through Mosquitto).
    assert response.status_code == 303 and "error=no+command+broker" in response.headers["location"]
    refused = sam.post("/vehicles/VAN-2/live", data={"csrf_token": _csrf(sam.get("/vehicles/VAN-2").text)})
    assert refused.status_code == 403
