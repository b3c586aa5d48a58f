"""Issue #21's pages without a browser: customers, amendments, clock and warranty claims answer, keep
refused input, and refuse the wrong role and another dealer's records."""

from __future__ import annotations

import re

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
