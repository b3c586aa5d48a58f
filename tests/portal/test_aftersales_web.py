"""Issue #21's pages without a browser: customers, amendments, clock and warranty claims answer, keep
refused input, and refuse the wrong role and another dealer's records."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.support.portal import csrf_of, portal_client


def _post(client, url: str, data: dict, referer: str):
    token = csrf_of(client.get(referer).text)
    return client.post(url, data={**data, "csrf_token": token}, headers={"referer": referer})


def test_customer_pages_dedupe_and_isolation(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    page = sam.get("/customers?q=1234567").text
    assert page.count("Spree Logistics GmbH") == 1  # four visits, one customer
    spree = re.search(r'data-customer="(\d+)"', page).group(1)
    detail = sam.get(f"/customers/{spree}").text
    assert "VAN-1" in detail and "VAN-2" in detail and "rattle from rear door" in detail
    refused = _post(sam, "/customers", {"name": "Copy GmbH", "phone": "+49 (30) 123-4567"}, "/customers")
    assert refused.status_code == 422 and "already has this phone" in refused.text
    assert 'value="Copy GmbH"' in refused.text  # what was typed is kept
    olga = portal_client(app, "olga")
    assert olga.get(f"/customers/{spree}").status_code == 404
    assert "Spree" not in olga.get("/customers").text
    assert portal_client(app, "tim").get("/customers").status_code == 403
    assert portal_client(app, "dora").get("/customers").status_code == 403


def test_order_page_shows_amendment_forms_to_the_desk_only(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    service = sam.get("/service?show=all").text
    settled = re.search(r'<tr data-order="(\d+)">(?:(?!</tr>).)*Settled', service, re.DOTALL).group(1)
    page = sam.get(f"/service/{settled}").text
    assert 'data-testid="amend"' not in page  # a settled order is not amended
    tim = portal_client(app, "tim")
    assert tim.post(f"/service/{settled}/amend/promise", data={"csrf_token": "x"}).status_code == 403


def test_warranty_pages_and_export(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    listing = sam.get("/warranty").text
    order_id = re.search(r'name="order_id" value="(\d+)"', listing).group(1)
    created = _post(sam, "/warranty", {"order_id": order_id}, "/warranty")
    assert created.status_code == 303
    claim_url = created.headers["location"].split("?")[0]
    assert "Draft" in sam.get(claim_url).text
    exported = sam.get(claim_url + "/export.json")
    assert exported.status_code == 200 and exported.json()["format"] == "dms.warranty_claim/1"
    refused = _post(sam, claim_url + "/reject", {"note": ""}, claim_url)
    assert refused.status_code == 400  # a draft cannot be rejected
    assert portal_client(app, "olga").get(claim_url).status_code == 404
    assert portal_client(app, "tim").get("/warranty").status_code == 403


def test_invoice_pages_payment_and_pdf(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    listing = sam.get("/invoices?show=all").text
    numbers = re.findall(r'data-invoice="(D1-\d{4}-\d{6})"', listing)
    assert len(numbers) == 7  # the sample history's settled orders, one invoice each
    url = re.search(r'href="(/invoices/\d+)"', listing).group(1)
    refused = _post(sam, url + "/payment", {"amount": "99999", "method": "cash"}, url)
    assert refused.status_code == 422 and "outstanding" in refused.text and 'value="99999"' in refused.text
    pdf = sam.get(url + "/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert portal_client(app, "olga").get(url).status_code == 404
    assert portal_client(app, "olga").get(url + "/pdf").status_code == 404
    assert portal_client(app, "tim").get("/invoices").status_code == 403


def _bearer(app, user: str) -> dict[str, str]:
    from fastapi.testclient import TestClient

    from dealer_portal.sample_data import password_for

    answer = TestClient(app).post("/api/token", data={"username": user, "password": password_for(user)})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_dealer_api_customers_claims_and_payments(sample_app):
    from fastapi.testclient import TestClient

    app, _ = sample_app
    api, sam, olga = TestClient(app), _bearer(app, "sam"), _bearer(app, "olga")
    found = api.post("/api/dealer/customers", json={"name": "x", "phone": "+49 30 123 4567"}, headers=sam)
    assert found.status_code == 200 and not found.json()["created"]
    assert found.json()["customer"]["name"] == "Spree Logistics GmbH"
    made = api.post(
        "/api/dealer/customers", json={"name": "Zhao Min", "email": "zm@example.com"}, headers=sam
    )
    assert made.json()["created"] and made.json()["customer"]["dealer_code"] == "D1"
    cid = made.json()["customer"]["id"]
    assert api.get(f"/api/dealer/customers/{cid}", headers=olga).status_code == 404
    assert api.post("/api/dealer/customers", json={"name": "x", "extra": 1}, headers=sam).status_code == 422

    open_ = api.get("/api/dealer/invoices", params={"outstanding": True}, headers=sam).json()
    invoice = open_[0]
    too_much = {"amount": str(Decimal(invoice["outstanding"]) + 1), "method": "cash"}
    assert (
        api.post(f"/api/dealer/invoices/{invoice['id']}/payments", json=too_much, headers=sam).status_code
        == 422
    )
    paid = api.post(
        f"/api/dealer/invoices/{invoice['id']}/payments",
        json={"amount": invoice["outstanding"], "method": "transfer", "reference": "BANK-1"},
        headers=sam,
    )
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert (
        api.post(
            f"/api/dealer/invoices/{invoice['id']}/payments",
            json={"amount": "1", "method": "cash"},
            headers=olga,
        ).status_code
        == 404
    )
    cookie = portal_client(app, "sam")  # the session cookie reads, but never writes
    assert cookie.get("/api/dealer/invoices").status_code == 200
    assert cookie.post(f"/api/dealer/invoices/{invoice['id']}/payments", json=too_much).status_code == 401
    assert api.get("/api/dealer/invoices", headers=_bearer(app, "tim")).status_code == 403

    desk = portal_client(app, "sam")  # the advisor drafts and submits in the portal ...
    drafts = api.get("/api/dealer/warranty-claims", params={"state": "draft"}, headers=sam).json()
    if drafts:  # (test_warranty_pages_and_export drafted the sample world's only claimable order)
        claim_url = f"/warranty/{drafts[0]['id']}"
    else:
        order_id = re.search(r'name="order_id" value="(\d+)"', desk.get("/warranty").text).group(1)
        created = _post(desk, "/warranty", {"order_id": order_id}, "/warranty")
        claim_url = created.headers["location"].split("?")[0]
    assert _post(desk, claim_url + "/submit", {}, claim_url).status_code == 303
    claim_id = claim_url.rsplit("/", 1)[1]
    decide = f"/api/dealer/warranty-claims/{claim_id}/decision"  # ... the manufacturer's system answers
    refused = api.post(decide, json={"accepted": False}, headers=sam)
    assert refused.status_code == 422 and "rejected" in refused.text
    assert api.post(decide, json={"accepted": True}, headers=olga).status_code == 404
    assert api.post(decide, json={"accepted": True}, headers=sam).json()["state"] == "accepted"
    exported = api.get(f"/api/dealer/warranty-claims/{claim_id}/export", headers=sam).json()
    assert exported["state"] == "accepted" and exported["lines"]
    listed = api.get("/api/dealer/warranty-claims", params={"state": "accepted"}, headers=sam).json()
    assert claim_id in {str(c["id"]) for c in listed}


def test_figures_by_period_page(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    page = sam.get("/finance?from=2026-01-01&to=2026-11-27")
    assert page.status_code == 200 and 'data-testid="revenue"' in page.text and "<svg" in page.text
    assert sam.get("/finance?from=2026-13-01").status_code == 400
    assert sam.get("/finance?from=2026-05-01&to=2026-04-01").status_code == 400
    assert portal_client(app, "dora").get("/finance").status_code == 403  # dispatchers see no dealer money
    olga = portal_client(app, "olga").get("/finance?from=2026-01-01&to=2026-11-27").text
    assert re.search(r'data-testid="revenue">CN¥0.00<', olga)


def test_hostile_ids_are_refused_not_crashed(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    huge = "9" * 25
    for url in (f"/customers/{huge}", f"/warranty/{huge}", f"/invoices/{huge}", f"/purchasing/{huge}"):
        assert sam.get(url).status_code == 422, url
    assert _post(sam, "/warranty", {"order_id": huge}, "/warranty").status_code in (400, 422)
    assert _post(sam, "/counter", {"part_0": huge, "qty_0": "1"}, "/counter").status_code in (400, 422)
    assert sam.get("/finance?from=" + "x" * 500).status_code == 400
