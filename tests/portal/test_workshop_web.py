"""Issue #21's second part without a browser: the supplier-invoice, work-order and settings pages read in
Chinese with no portal English left, and a refused form keeps what was typed."""

from __future__ import annotations

import re

from tests.support.i18n import untranslated
from tests.support.portal import csrf_of, portal_client


def _texts(html: str) -> list[str]:
    return re.findall(r">([^<>]+)<", re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL))


def _post(client, url: str, data: dict, referer: str):
    token = csrf_of(client.get(referer).text)
    return client.post(url, data={**data, "csrf_token": token}, headers={"referer": referer})


def test_the_new_forms_and_a_supplier_invoice_read_in_chinese(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    sam.headers["accept-language"] = "zh-CN"
    needs = sam.get("/purchasing").text
    part_id = re.search(r'data-need="BP-220"><td><input type="checkbox" name="part_id" value="(\d+)"', needs)[
        1
    ]
    ordered = _post(sam, "/purchasing", {"part_id": part_id}, "/purchasing")
    po_url = ordered.headers["location"].split("?")[0]
    line_id = re.search(r'action="/purchasing/\d+/receive/(\d+)"', sam.get(po_url).text)[1]
    _post(sam, f"{po_url}/receive/{line_id}", {"qty": "2", "bin": "B-07"}, po_url)
    po_page = sam.get(po_url).text
    assert "登记供应商发票" in po_page and untranslated(_texts(po_page)) == []
    form = {"supplier_number": "BR-1", "invoice_date": "2026-11-27", "due_date": "2026-12-27"}
    refused = _post(
        sam, f"{po_url}/supplier-invoice", form | {f"qty_{line_id}": "5", f"unit_{line_id}": "1"}, po_url
    )
    alert = re.search(r'role="alert">([^<]+)', refused.text)
    assert refused.status_code == 422 and "已收货未开票的只有 2" in refused.text, alert
    assert 'value="BR-1"' in refused.text and untranslated(_texts(refused.text)) == []
    made = _post(
        sam, f"{po_url}/supplier-invoice", form | {f"qty_{line_id}": "2", f"unit_{line_id}": "1"}, po_url
    )
    invoice = sam.get(made.headers["location"].split("?")[0]).text
    assert "差额待核" in invoice and untranslated(_texts(invoice)) == []
    service = sam.get("/service?show=all").text
    order_id = re.search(r'<tr data-order="(\d+)">', service)[1]
    order = sam.get(f"/service/{order_id}").text
    assert untranslated(_texts(order)) == []
    ada = portal_client(app, "ada")
    ada.headers["accept-language"] = "zh-CN"
    bad = _post(
        ada,
        "/dealer-settings/D1",
        {"currency": "XX", "tax_rate": "70", "service_interval": "12"},
        "/dealer-settings",
    )
    assert bad.status_code == 422 and "ISO 4217" in bad.text and 'value="70"' in bad.text
    assert untranslated(_texts(bad.text)) == []


def test_a_dealers_staff_see_amounts_in_their_dealers_currency(sample_app):
    app, _ = sample_app
    ada = portal_client(app, "ada")
    saved = _post(
        ada,
        "/dealer-settings/D1",
        {"currency": "EUR", "tax_rate": "19", "service_interval": "12"},
        "/dealer-settings",
    )
    assert saved.status_code == 303
    mine = portal_client(app, "sam").get("/parts").text
    assert "€" in mine and "CN¥" not in mine
    assert "€" not in portal_client(app, "olga").get("/parts").text  # D2 saved nothing: the portal's currency


def test_the_api_records_a_supplier_invoice_against_a_receipt_and_pays_it(sample_app):
    from fastapi.testclient import TestClient

    from tests.portal.test_aftersales_web import _bearer

    app, _ = sample_app
    sam = portal_client(app, "sam")
    needs = sam.get("/purchasing").text
    part_id = re.search(r'data-need="WB-500"><td><input type="checkbox" name="part_id" value="(\d+)"', needs)[
        1
    ]
    po_url = _post(sam, "/purchasing", {"part_id": part_id}, "/purchasing").headers["location"].split("?")[0]
    line_id = int(re.search(r'action="/purchasing/\d+/receive/(\d+)"', sam.get(po_url).text)[1])
    _post(sam, f"{po_url}/receive/{line_id}", {"qty": "3", "bin": "W-01"}, po_url)
    order_id = po_url.rsplit("/", 1)[1]
    api, token = TestClient(app), _bearer(app, "sam")
    body = {"number": "BO-55", "invoice_date": "2026-11-27", "due_date": "2026-12-27"}
    url = f"/api/dealer/purchase-orders/{order_id}/supplier-invoices"
    beyond = api.post(
        url,
        json=body | {"lines": [{"po_line_id": line_id, "quantity": "4", "unit_price": "1"}]},
        headers=token,
    )
    assert beyond.status_code == 422 and "only 3 received" in beyond.text
    lines = {"lines": [{"po_line_id": line_id, "quantity": "3", "unit_price": "0.50"}]}
    assert api.post(url, json=body | lines, headers=_bearer(app, "olga")).status_code == 404
    assert api.post(url, json=body | lines, headers=_bearer(app, "tim")).status_code == 403
    made = api.post(url, json=body | lines, headers=token)
    assert made.status_code == 200, made.text
    invoice = made.json()
    assert (invoice["total"], invoice["status"]) == ("1.50", "difference")  # below the order's cost
    pay = {"amount": "1.50", "method": "transfer", "reference": "BANK-9"}
    refused = api.post(f"/api/dealer/supplier-invoices/{invoice['id']}/payments", json=pay, headers=token)
    assert refused.status_code == 422 and "accept the difference" in refused.text
    _post(portal_client(app, "ada"), f"/payables/{invoice['id']}/accept", {}, f"/payables/{invoice['id']}")
    paid = api.post(f"/api/dealer/supplier-invoices/{invoice['id']}/payments", json=pay, headers=token)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    listed = api.get("/api/dealer/supplier-invoices", headers=token).json()
    assert [i["number"] for i in listed if i["id"] == invoice["id"]] == ["BO-55"]
