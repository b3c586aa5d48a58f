"""Stock, sales and logistics pages through Starlette's test client (issue #22): filters in the URL,
refused forms that keep their input, role and dealer refusals."""

from __future__ import annotations

import json
import re

from dealer_portal.records import contract_pdf, pdf_fonts
from dealer_portal.sample_data import sample_vin
from tests.support.portal import csrf_of, portal_client


def _post(client, url, data, page):
    return client.post(
        url, data={**data, "csrf_token": csrf_of(client.get(page).text)}, headers={"referer": page}
    )


def _stock_id(client, vin):
    return int(re.search(rf'href="/stock/(\d+)"><code>{vin}', client.get(f"/stock?q={vin}").text).group(1))


def test_stock_list_filters_pages_and_ageing(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    page = sam.get("/stock")
    assert page.status_code == 200 and sample_vin(101) in page.text and sample_vin(201) not in page.text
    assert "118" in page.text  # days in stock of the oldest
    ordered = sam.get("/stock?status=ordered").text
    assert sample_vin(104) in ordered and sample_vin(101) not in ordered
    assert sample_vin(103) in sam.get("/stock?model=Aurora+SUV&sort=oldest").text
    ada = portal_client(app, "ada").get("/stock?status=in_stock").text
    assert sample_vin(201) in ada  # operator staff see every dealer


def test_a_wrong_vin_is_refused_next_to_its_field_and_the_form_is_kept(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    bad = "LSJA24U30RN000999"
    response = _post(sam, "/stock", {"vin": bad, "model": "Aurora SUV", "colour": "Jade green"}, "/stock")
    assert response.status_code == 422
    assert 'data-field-error="vin"' in response.text and "check digit" in response.text
    assert 'value="Jade green"' in response.text


def test_roles_and_other_dealers_are_refused(sample_app):
    app, _ = sample_app
    d1_vehicle = _stock_id(portal_client(app, "sam"), sample_vin(101))
    for path in ("/stock", "/sales", "/logistics"):
        assert portal_client(app, "tim").get(path).status_code == 403
        assert portal_client(app, "dora").get(path).status_code == 403
    olga = portal_client(app, "olga")
    assert olga.get(f"/stock/{d1_vehicle}").status_code == 404
    assert sample_vin(101) not in olga.get("/stock").text
    refused = _post(olga, f"/stock/{d1_vehicle}/pdi", {"note": "x"}, "/stock")
    assert refused.status_code in (303, 404)
    assert portal_client(app, "sam").get(f"/stock/{d1_vehicle}").text.count("PDI passed") == 1  # the button


def test_sale_over_http_by_a_salesperson_with_a_discount_approved_by_the_sales_manager(
    sample_app, monkeypatch
):
    app, _ = sample_app
    sam = portal_client(app, "sue")
    sales = sam.get("/sales").text
    customer = re.search(r'<option value="(\d+)"[^>]*>Spree Logistics GmbH', sales).group(1)
    lead = _post(sam, "/sales", {"customer_id": customer, "interest": "Aurora SUV"}, "/sales")
    lead_url = lead.headers["location"].split("?")[0]
    vehicle = _stock_id(sam, sample_vin(102))
    quote = _post(
        sam,
        f"{lead_url}/quotes",
        {"stock_vehicle_id": str(vehicle), "options": "Tow bar = 850.00", "discount": "10000"},
        lead_url,
    )
    assert quote.status_code == 303 and "approval" in quote.headers["location"]
    page = sam.get(lead_url).text
    assert "waits for a sales manager" in page and "240,650.00" in page  # 249,800 + 850 - 10,000
    qid = re.search(r'data-quote="(\d+)"', page).group(1)
    assert _post(sam, f"/sales/quotes/{qid}/discount", {"decision": "approve"}, lead_url).status_code == 403
    ada = portal_client(app, "max")
    assert _post(ada, f"/sales/quotes/{qid}/discount", {"decision": "approve"}, lead_url).status_code == 303
    signed = _post(sam, f"/sales/quotes/{qid}/order", {"deposit": "20000"}, lead_url)
    order_url = signed.headers["location"].split("?")[0]
    order = sam.get(order_url).text
    assert "Reserved" in order and "220,650.00" in order  # due at delivery: less the deposit
    contract = sam.get(f"{order_url}/contract")
    assert contract.status_code == 200 and sample_vin(102) in contract.text
    pdf = sam.get(f"{order_url}/contract.pdf")
    if contract_pdf.cjk_font() is not None:
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
        assert sample_vin(102).encode() in pdf.content
    monkeypatch.setattr(pdf_fonts, "CJK_FONTS", ())  # a server without the font: the HTML contract
    fallback = sam.get(f"{order_url}/contract.pdf")
    assert fallback.status_code == 200 and 'data-testid="pdf-notice"' in fallback.text
    assert "fonts-wqy-zenhei" in fallback.text and sample_vin(102) in fallback.text
    assert portal_client(app, "olga").get(order_url).status_code == 403  # a service advisor does not sell
    assert portal_client(app, "ada").get(order_url).status_code == 200


def test_a_salesperson_keeps_to_the_showroom(sample_app):
    app, _ = sample_app
    sue = portal_client(app, "sue")
    home = sue.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/sales"
    for path in ("/service", "/parts", "/audit", "/vehicles", "/dispatch", "/logistics", "/exchange"):
        assert sue.get(path).status_code == 403, path
    stock_page = sue.get("/stock")
    assert stock_page.status_code == 200 and 'data-testid="new-stock"' not in stock_page.text
    vehicle = _stock_id(sue, sample_vin(101))
    assert "PDI passed" not in sue.get(f"/stock/{vehicle}").text
    assert _post(sue, f"/stock/{vehicle}/pdi", {"note": "x"}, "/stock").status_code == 403
    assert portal_client(app, "sam").get("/sales").status_code == 403
    used = sue.get("/stock?condition=used")
    assert used.status_code == 200 and "No vehicles match." in used.text and sample_vin(101) not in used.text
    assert portal_client(app, "max").get("/logistics").status_code == 200


def test_an_incomplete_acceptance_comes_back_with_what_was_typed(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    vins = f"{sample_vin(104)}\n{sample_vin(105)}"
    shipped = _post(sam, "/logistics", {"waybill": "wb-9", "carrier": "Anji", "vins": vins}, "/logistics")
    url = shipped.headers["location"].split("?")[0]
    items = re.findall(r'name="location_(\d+)"', sam.get(url).text)
    refused = _post(sam, f"{url}/receive", {f"location_{items[0]}": "C-1", f"damage_{items[1]}": "dent"}, url)
    assert refused.status_code == 422 and f'data-field-error="location_{items[1]}"' in refused.text
    assert 'value="dent"' in refused.text and 'value="C-1"' in refused.text
    assert "In transit" in sam.get(url).text  # nothing of the refused acceptance was kept


def test_exchange_page_downloads_the_file_and_reports_an_upload(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    download = sam.get("/exchange/export.json")
    assert download.status_code == 200 and download.json()["dealer_code"] == "D1"
    document = download.json()
    document["stock"].append({"vin": "LSJA24U30RN000101", "model": "Aurora SUV", "status": "ordered"})
    token = csrf_of(sam.get("/exchange").text)
    report = sam.post(
        "/exchange/import",
        data={"csrf_token": token},
        files={"file": ("d1.json", json.dumps(document), "application/json")},
        headers={"referer": "/exchange"},
    )
    assert report.status_code == 200 and "check digit" in report.text
    assert "stock[" in report.text and "LSJA24U30RN000101" in report.text
    junk = sam.post(
        "/exchange/import",
        data={"csrf_token": token},
        files={"file": ("x.json", b"{nope", "application/json")},
        headers={"referer": "/exchange"},
    )
    assert junk.status_code == 400 and "not a JSON file" in junk.text
    assert portal_client(app, "tim").get("/exchange").status_code == 403


def _bearer(app, user):
    from fastapi.testclient import TestClient

    from dealer_portal.sample_data import password_for

    client = TestClient(app)
    token = client.post("/api/token", data={"username": user, "password": password_for(user)}).json()
    client.headers["Authorization"] = f"Bearer {token['access_token']}"
    return client


def test_rest_api_stock_and_exchange(sample_app):
    app, _ = sample_app
    sam = _bearer(app, "sam")
    items = sam.get("/api/dealer/stock", params={"status": "on_yard"}).json()["items"]
    assert items and {i["dealer_code"] for i in items} == {"D1"}
    assert max(i["days_in_stock"] for i in items) == 118
    exported = sam.get("/api/dealer/exchange").json()
    assert exported["format"] == "dms-dealer-exchange" and exported["dealer_code"] == "D1"
    exported["stock"].append({"vin": "LSJA24U30RN000101", "model": "X", "status": "ordered"})
    report = sam.post("/api/dealer/exchange", json=exported)
    assert report.status_code == 200 and report.json()["ok"] is False
    assert report.json()["rejected"][0]["key"] == "LSJA24U30RN000101"
    assert sam.post("/api/dealer/exchange", json={"format": "x"}).status_code == 422
    assert _bearer(app, "tim").get("/api/dealer/stock").status_code == 403
    assert _bearer(app, "olga").get("/api/dealer/exchange").json()["dealer_code"] == "D2"
    assert _bearer(app, "ada").get("/api/dealer/exchange").status_code == 422  # names no dealer
    cookie = portal_client(app, "sam")  # the session cookie reads the API, but does not write it
    assert cookie.get("/api/dealer/stock").status_code == 200
    assert cookie.post("/api/dealer/exchange", json=exported).status_code == 401


def test_statistics_page(sample_app):
    app, _ = sample_app
    page = portal_client(app, "max").get("/sales/stats?days=90")
    assert page.status_code == 200 and 'data-testid="salespeople"' in page.text
    assert portal_client(app, "ada").get("/sales/stats?days=99999").status_code == 200  # clamped
    assert portal_client(app, "tim").get("/sales/stats").status_code == 403
    assert portal_client(app, "sue").get("/sales/stats").status_code == 200  # her own results


def test_stock_documents_belong_to_their_dealer(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    vehicle = _stock_id(sam, sample_vin(103))
    page = f"/stock/{vehicle}"
    upload = sam.post(
        f"{page}/documents",
        data={"csrf_token": csrf_of(sam.get(page).text), "title": "Certificate of conformity"},
        files={"file": ("coc scan.pdf", b"%PDF-1.4 scan", "application/pdf")},
        headers={"referer": page},
    )
    assert upload.status_code == 303
    doc = re.search(r'href="/stock/documents/(\d+)">Certificate of conformity', sam.get(page).text).group(1)
    download = sam.get(f"/stock/documents/{doc}")
    assert download.content == b"%PDF-1.4 scan" and download.headers["x-content-type-options"] == "nosniff"
    assert 'filename="coc_scan.pdf"' in download.headers["content-disposition"]
    assert portal_client(app, "olga").get(f"/stock/documents/{doc}").status_code == 404


def test_credit_limit_set_by_the_admin_shown_on_stock_and_enforced(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    assert 'data-testid="credit-form"' not in sam.get("/stock").text
    assert _post(sam, "/stock/credit", {"dealer_code": "D1", "limit": "1"}, "/stock").status_code == 403
    ada = portal_client(app, "ada")
    saved = _post(ada, "/stock/credit", {"dealer_code": "D2", "limit": "9000000", "warn_pct": "50"}, "/stock")
    assert saved.status_code == 303
    page = sam.get("/stock").text
    used = re.search(r'data-testid="credit-used">CN¥([\d,.]+)', page).group(1)
    assert "no limit set" in page  # D1 has none
    olga = portal_client(app, "olga")
    assert 'data-testid="credit-limit">CN¥9,000,000.00' in olga.get("/stock").text
    bad = _post(ada, "/stock/credit", {"dealer_code": "D1", "limit": "100"}, "/stock")
    assert bad.status_code == 303
    refused = _post(
        sam, "/stock", {"vin": sample_vin(150), "model": "Aurora SUV", "list_price": "200000"}, "/stock"
    )
    assert refused.status_code == 400 and f"{used} used + 200,000.00 &gt; limit 100.00" in refused.text
    assert sample_vin(150) not in sam.get("/stock?status=ordered").text
    _post(ada, "/stock/credit", {"dealer_code": "D1", "limit": "999999999"}, "/stock")  # for later tests


def test_a_transport_claim_is_answered_by_the_carrier_over_http(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    vins = sample_vin(106)
    ordered = _post(sam, "/stock", {"vin": vins, "model": "Lumen EV", "list_price": "215000"}, "/stock")
    assert ordered.status_code == 303
    shipped = _post(sam, "/logistics", {"waybill": "wb-c", "carrier": "Anji", "vins": vins}, "/logistics")
    url = shipped.headers["location"].split("?")[0]
    (item,) = re.findall(r'name="location_(\d+)"', sam.get(url).text)
    received = _post(
        sam,
        f"{url}/receive",
        {f"location_{item}": "C-9", f"damage_{item}": "dent", f"claim_{item}": "800"},
        url,
    )
    assert received.status_code == 303 and 'data-testid="claim-form"' in sam.get(url).text
    refused = _post(sam, f"/logistics/claims/{item}", {"decision": "reject"}, url)
    assert refused.status_code == 422 and 'data-field-error="note"' in refused.text
    accepted = _post(sam, f"/logistics/claims/{item}", {"decision": "accept", "amount": "650"}, url)
    assert accepted.status_code == 303
    page = sam.get(url).text
    assert "accepted" in page and 'data-testid="claims-total">CN¥650.00' in page
    assert (
        _post(portal_client(app, "olga"), f"/logistics/claims/{item}", {"decision": "paid"}, url).status_code
        == 404
    )
