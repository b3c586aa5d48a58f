"""The web layer without a browser (Starlette's test client): sessions, CSRF, roles, errors, exports."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from dealer_portal import web_session
from dealer_portal.cli import parse_http
from dealer_portal.sample_data import password_for
from dms.errors import UserError
from tests.support.portal import SAMPLE_NOW as NOW
from tests.support.portal import csrf_of, portal_client


def test_login_needs_the_csrf_token_of_the_session(sample_app):
    app, _ = sample_app
    client = TestClient(app, follow_redirects=False)
    client.get("/login")
    response = client.post(
        "/login", data={"username": "dora", "password": password_for("dora"), "csrf_token": "forged"}
    )
    assert response.status_code == 403 and "CSRF" in response.text
    assert portal_client(app, "dora").get("/fleet").status_code == 200


def test_forged_or_expired_cookie_means_logged_out(sample_app):
    app, clock = sample_app
    client = portal_client(app, "dora")
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
    tim = portal_client(app, "tim")
    assert tim.get("/parts").status_code == 403
    assert "a technician may not use dispatch" in tim.get("/dispatch").text
    assert tim.get("/service").status_code == 200
    olga = portal_client(app, "olga")
    assert olga.get("/vehicles/VAN-1").status_code == 404
    listed = set(re.findall(r'href="/vehicles/(VAN-\d)"', olga.get("/vehicles").text))
    assert listed == {"VAN-5", "VAN-6"}
    assert olga.get("/audit").status_code == 403
    assert "Havel Kurier" in olga.get("/service").text and "Spree Logistics" not in olga.get("/service").text
    assert "Spree Logistics" in portal_client(app, "sam").get("/service").text


def test_a_refused_step_comes_back_as_a_message_on_the_page(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    page = sam.get("/vehicles/VAN-2")
    response = sam.post(
        "/vehicles/VAN-2/odometer",
        data={"km": "10", "csrf_token": csrf_of(page.text)},
        headers={"referer": "http://testserver/vehicles/VAN-2"},
    )
    assert response.status_code == 422  # the same page again, not a redirect that drops the input
    field = re.search(
        r'<label class="field invalid">\s*<input name="km"[^>]*value="10"[^>]*>'
        r'<span class="field-error" data-field-error="km">([^<]+)</span>',
        response.text,
    )
    assert field and "is below the last reading" in field.group(1)
    assert 'role="alert">Not saved: odometer 10 km is below' in response.text


def test_csv_export_and_document_round_trip(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    csv_text = sam.get("/vehicles.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Fleet id,Model,Plate,VIN")
    assert {line.split(",")[0] for line in csv_text.splitlines()[1:]} == {"VAN-1", "VAN-2", "VAN-3", "VAN-4"}
    token = csrf_of(sam.get("/vehicles/VAN-3").text)
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
    assert portal_client(app, "olga").get(doc_link).status_code == 404


def test_session_cookie_reads_the_gateway_api_but_cannot_write_it(sample_app):
    app, _ = sample_app
    dora = portal_client(app, "dora")
    response = dora.get("/api/vehicles")
    assert response.status_code == 200, response.text
    assert dora.post("/api/alerts/1/ack").status_code == 401


def test_http_address_is_checked():
    assert parse_http("0.0.0.0:8080") == ("0.0.0.0", 8080)
    assert parse_http(":9000") == ("127.0.0.1", 9000)
    with pytest.raises(UserError, match="HOST:PORT"):
        parse_http("localhost")


def test_unknown_addresses_answer_a_page_but_the_api_keeps_json(sample_app):
    app, _ = sample_app
    dora = portal_client(app, "dora")
    for client in (dora, TestClient(app)):  # signed in or not
        page = client.get("/no/such/page")
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "Page not found" in page.text and "There is no page at /no/such/page" in page.text
        assert '"detail"' not in page.text
    api = dora.get("/api/no/such/thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    assert dora.get("/api/vehicles/NOPE").headers["content-type"] == "application/json"
    wrong_method = dora.put("/fleet")
    assert wrong_method.status_code == 405 and "Method Not Allowed" in wrong_method.text
    assert wrong_method.headers["content-type"].startswith("text/html")


def test_api_docs_are_served_from_installed_files_not_a_cdn(sample_app):
    app, _ = sample_app
    client = TestClient(app)
    for url, asset in (("/api/docs", "swagger-ui-bundle.js"), ("/api/redoc", "redoc.standalone.js")):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "cdn.jsdelivr" not in page.text and "fonts.googleapis" not in page.text, url
        assert f'src="/api/docs/static/{asset}"' in page.text, url
        script = client.get(f"/api/docs/static/{asset}")
        assert script.status_code == 200 and len(script.content) > 100_000, asset
    assert client.get("/api/docs/static/swagger-ui.css").status_code == 200


def test_the_audit_log_is_paged_sorted_and_filtered_in_the_url(sample_app):
    from dealer_portal.records import audit
    from dealer_portal.records.actor import Actor

    app, _ = sample_app
    bulk = Actor("bulk", "admin", None)
    with app.state.portal.sessions() as db:
        for i in range(120):
            audit.record(
                db, bulk, NOW + timedelta(seconds=i), "update", "vehicle", "VAN-1", f"change {i:03d}"
            )
        db.commit()
    ada = portal_client(app, "ada")
    first = ada.get("/audit", params={"who": "bulk", "sort": "oldest"}).text
    assert "1–50 of 120" in first and first.count("change 0") == 50 and "change 050" not in first
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert older == "/audit?who=bulk&sort=oldest&page=2"
    second = ada.get(older).text
    assert "51–100 of 120" in second and "change 050" in second and "change 100" not in second
    last = ada.get("/audit", params={"who": "bulk", "page": "99"}).text  # past the end: the last page
    assert "101–120 of 120" in last and "change 000" in last and 'rel="next"' not in last
    assert (
        "change 119" in ada.get("/audit", params={"who": "bulk"}).text.split("change 118")[0]
    )  # newest first
    assert "1–1 of 1" in ada.get("/audit", params={"who": "bulk", "q": "change 007"}).text


def test_the_live_view_button_asks_the_vehicle_through_the_command_broker(sample_app, monkeypatch):
    monkeypatch.delenv("DMS_COMMAND_BROKER", raising=False)
    app, _ = sample_app
    dora, sam = portal_client(app, "dora"), portal_client(app, "sam")
    page = dora.get("/vehicles/VAN-2")
    assert (
        "/vehicles/VAN-2/live" in page.text and "/vehicles/VAN-2/live" not in sam.get("/vehicles/VAN-2").text
    )
    response = dora.post(
        "/vehicles/VAN-2/live",
        data={"csrf_token": csrf_of(page.text)},
        headers={"referer": "http://testserver/vehicles/VAN-2"},
    )
    # No command broker configured here (tests/uplink/test_live_view.py sends one through Mosquitto): the
    # page comes back with the reason.
    assert response.status_code == 400 and "no command broker configured" in response.text
    refused = sam.post("/vehicles/VAN-2/live", data={"csrf_token": csrf_of(sam.get("/vehicles/VAN-2").text)})
    assert refused.status_code == 403
