"""Issue #21, third part, over HTTP without a browser: renewal dates on the customer page (refused input
kept), the dealer settings' new fields, /finance by month and quarter, and the REST API of reminders and
teams with the pages' role and dealer checks."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.portal.test_aftersales_web import _bearer, _post
from tests.support.portal import SAMPLE_NOW, portal_client


def _spree(client) -> str:
    page = client.get("/customers?q=1234567").text
    return re.search(r'data-customer="(\d+)"', page).group(1)


def test_renewal_dates_on_the_customer_page_and_the_reminders_page(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    spree = _spree(sam)
    url = f"/customers/{spree}"
    action = f"{url}/vehicles/VAN-1/renewals"
    refused = _post(sam, action, {"inspection_due": "2026-02-30", "insurance_expires": "2026-12-01"}, url)
    assert refused.status_code == 422 and 'data-field-error="inspection_due"' in refused.text
    assert 'value="2026-12-01"' in refused.text  # what was typed is kept
    soon = (SAMPLE_NOW + timedelta(days=12)).date().isoformat()
    saved = _post(sam, action, {"inspection_due": soon, "insurance_expires": ""}, url)
    assert saved.status_code == 303
    assert f'value="{soon}"' in sam.get(url).text
    reminders = sam.get("/reminders").text
    assert re.search(rf'data-due="inspection:\d+:{soon}" data-kind="inspection"', reminders)
    olga = portal_client(app, "olga")
    assert _post(olga, action, {"inspection_due": soon}, "/customers").status_code == 404
    assert portal_client(app, "tim").get("/reminders").status_code == 403


def test_dealer_settings_keep_a_refused_window_and_save_the_labour_cost(sample_app):
    app, _ = sample_app
    ada = portal_client(app, "ada")
    form = {"currency": "CNY", "tax_rate": "13", "service_interval": "12", "renewal_window": "500",
            "labour_cost": "85.50"}  # fmt: skip
    refused = _post(ada, "/dealer-settings/D1", form, "/dealer-settings")
    assert refused.status_code == 422 and 'data-field-error="renewal_window"' in refused.text
    assert 'value="85.50"' in refused.text
    assert (
        _post(ada, "/dealer-settings/D1", form | {"renewal_window": "45"}, "/dealer-settings").status_code
        == 303
    )
    assert 'value="45"' in ada.get("/dealer-settings").text
    assert portal_client(app, "sam").get("/dealer-settings").status_code == 403


def test_finance_by_month_and_quarter_with_margins_and_profit_and_loss(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    page = sam.get("/finance?quarter=2026-Q4")
    assert (
        page.status_code == 200 and 'data-testid="pnl"' in page.text and 'data-testid="margins"' in page.text
    )
    assert "2026-10-01" in page.text and "2026-12-31" in page.text
    assert sam.get("/finance?month=2026-11").status_code == 200
    assert sam.get("/finance?month=2026-13").status_code == 400
    assert sam.get("/finance?quarter=2026-Q9").status_code == 400
    assert portal_client(app, "tim").get("/finance?month=2026-11").status_code == 403
    assert portal_client(app, "dora").get("/finance?month=2026-11").status_code == 403


def test_reminders_and_teams_api_with_roles_and_dealers(sample_app):
    from fastapi.testclient import TestClient

    app, _ = sample_app
    api, sam, olga, tim = TestClient(app), _bearer(app, "sam"), _bearer(app, "olga"), _bearer(app, "tim")
    listed = api.get("/api/dealer/reminders", headers=sam)
    assert listed.status_code == 200 and set(listed.json()) == {"due", "sent"}
    assert api.get("/api/dealer/reminders", headers=tim).status_code == 403
    assert {d["dealer_code"] for d in api.get("/api/dealer/reminders", headers=olga).json()["due"]} <= {"D2"}
    assert {d["dealer_code"] for d in listed.json()["due"]} == {"D1"}
    (first, *_) = listed.json()["due"]
    key = first["key"]
    if first["state"] == "no_consent":  # not contacted any way without consent; then the desk records it
        refused = api.post("/api/dealer/reminders/done", json={"key": key, "note": "called"}, headers=sam)
        assert refused.status_code == 422 and "has not agreed to be contacted" in refused.text
        desk = portal_client(app, "sam")
        url = f"/customers/{first['customer_id']}"
        page = desk.get(url).text
        fields = {
            n: re.search(rf'name="{n}"[^>]*value="([^"]*)"', page)[1] for n in ("name", "phone", "email")
        }
        assert _post(desk, f"{url}/edit", fields | {"consent": "yes"}, url).status_code == 303
    assert (
        api.post("/api/dealer/reminders/done", json={"key": key, "note": "x"}, headers=olga).status_code
        == 404
    )
    assert (
        api.post("/api/dealer/reminders/done", json={"key": key, "note": ""}, headers=sam).status_code == 422
    )
    done = api.post("/api/dealer/reminders/done", json={"key": key, "note": "called"}, headers=sam)
    assert done.status_code == 200 and done.json()["delivery"] == "done"
    assert api.post("/api/dealer/reminders/send", json={"key": "nope"}, headers=sam).status_code == 404
    assert api.post("/api/dealer/reminders/send", json={"key": "x" * 201}, headers=sam).status_code == 422
    assert api.post("/api/dealer/reminders/send", json={"key": "k", "x": 1}, headers=sam).status_code == 422

    desk = portal_client(app, "sam")
    assert _post(desk, "/workshop/teams", {"team": "Brakes"}, "/workshop").status_code == 303
    teams = api.get("/api/dealer/teams", headers=sam).json()
    (brakes,) = [t for t in teams["teams"] if t["name"] == "Brakes"]
    assert {m["username"] for m in teams["technicians"]} == {"tim"}  # D1's technicians only
    put = api.put("/api/dealer/technicians/tim/team", json={"team_id": brakes["id"]}, headers=sam)
    assert put.status_code == 200 and put.json()["team_id"] == brakes["id"]
    assert [t["members"] for t in api.get("/api/dealer/teams", headers=sam).json()["teams"]] == [["tim"]]
    assert (
        api.put("/api/dealer/technicians/tim/team", json={"team_id": brakes["id"]}, headers=olga).status_code
        == 404
    )
    assert (
        api.put("/api/dealer/technicians/otto/team", json={"team_id": brakes["id"]}, headers=sam).status_code
        == 404
    )
    assert api.put("/api/dealer/technicians/tim/team", json={"team_id": None}, headers=tim).status_code == 403
    assert api.get("/api/dealer/teams", headers=tim).status_code == 403
    assert "otto" in {m["username"] for m in api.get("/api/dealer/teams", headers=olga).json()["technicians"]}
    out = api.put("/api/dealer/technicians/tim/team", json={"team_id": None}, headers=sam)
    assert out.status_code == 200 and out.json()["team_id"] is None
    docs = api.get("/api/openapi.json").json()["paths"]
    assert {"/api/dealer/reminders", "/api/dealer/reminders/send", "/api/dealer/reminders/done",
            "/api/dealer/teams", "/api/dealer/technicians/{username}/team"} <= set(docs)  # fmt: skip


def test_finance_never_adds_two_currencies(sample_app):
    app, _ = sample_app
    ada, sam = portal_client(app, "ada"), portal_client(app, "sam")
    today = SAMPLE_NOW.date().isoformat()
    settings = {"currency": "EUR", "tax_rate": "19", "service_interval": "12"}
    assert _post(ada, "/dealer-settings/D1", settings, "/dealer-settings").status_code == 303
    part_id = re.search(r'<option value="(\d+)"', sam.get("/counter").text)[1]
    sold = _post(sam, "/counter", {"part_0": part_id, "qty_0": "1", "paid_by": "cash"}, "/counter")
    assert sold.status_code == 303
    page = sam.get(f"/finance?from=2026-01-01&to={today}").text
    assert 'data-testid="mixed-currencies"' in page and 'data-testid="revenue"' not in page  # no summed cards
    assert 'data-currency="CNY"' in page and 'data-currency="EUR"' in page
    assert 'data-testid="turnover-avg"' not in page
    assert _post(
        ada, "/dealer-settings/D1", settings | {"currency": "CNY", "tax_rate": "13"}, "/dealer-settings"
    )
