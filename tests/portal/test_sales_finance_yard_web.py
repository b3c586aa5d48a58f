"""Used-car buying, promotions, financing, floor plan and yard map through Starlette's test client
(issue #22): each page as the role that uses it, refused forms that keep their input, the wrong role
and the other dealer refused."""

from __future__ import annotations

import re

from dealer_portal.records.sales_tables import StockVehicle
from dealer_portal.sample_data import sample_vin
from tests.support.portal import csrf_of, portal_client


def _post(client, url, data, page):
    return client.post(
        url, data={**data, "csrf_token": csrf_of(client.get(page).text)}, headers={"referer": page}
    )


def _stock_id(client, vin):
    return int(re.search(rf'href="/stock/(\d+)"><code>{vin}', client.get(f"/stock?q={vin}").text).group(1))


APPRAISAL = {
    "seller_name": "Zhang Min",
    "vin": "LFV3A23C0G3000123",
    "model": "Sagitar 1.4T",
    "first_registered": "2016",
    "odometer_km": "88000",
    "grade": "A",
    "offered": "80000",
    "body": "1",
}


def test_an_appraisal_refused_keeps_its_input_and_the_wrong_roles_are_refused(sample_app):
    app, _ = sample_app
    sue = portal_client(app, "sue")
    refused = _post(sue, "/used-cars", APPRAISAL, "/used-cars")  # grade A with seven items unticked
    assert refused.status_code == 422 and 'data-field-error="grade"' in refused.text
    assert 'value="Zhang Min"' in refused.text and 'name="body" value="1" checked' in refused.text
    made = _post(sue, "/used-cars", {**APPRAISAL, "grade": "C", "offered": "120000"}, "/used-cars")
    url = made.headers["location"].split("?")[0]
    assert "sales+manager" in made.headers["location"]
    page = sue.get(url).text
    assert "waits for a sales manager" in page and "Approve purchase" not in page
    assert _post(sue, f"{url}/decision", {"decision": "approve"}, url).status_code == 403
    for user in ("sam", "tim", "olga"):
        assert portal_client(app, user).get("/used-cars").status_code == 403
    assert portal_client(app, "sven").get(url).status_code == 404  # the other dealer's sales manager
    max_ = portal_client(app, "max")
    assert _post(max_, f"{url}/decision", {"decision": "approve"}, url).status_code == 303
    bought = _post(sue, f"{url}/buy", {"location": "U-01"}, url)
    assert bought.status_code == 303 and "bought" in sue.get(url).text
    assert "LFV3A23C0G3000123" in sue.get("/stock?condition=used").text


def test_promotions_are_entered_by_the_sales_manager_and_refused_on_a_quote_when_expired(sample_app):
    app, clock = sample_app
    today = clock["now"].date()
    max_ = portal_client(app, "max")
    form = {"sponsor": "dealer", "amount": "5000", "models": "Aurora SUV"}
    expired = {**form, "name": "Autumn", "valid_from": "2026-09-01", "valid_to": "2026-10-31"}
    current = {**form, "name": "Winter", "valid_from": today.isoformat(), "valid_to": "2026-12-31"}
    for data in (expired, current):
        assert _post(max_, "/sales/promotions", data, "/sales/promotions").status_code == 303
    sue = portal_client(app, "sue")
    listing = sue.get("/sales/promotions").text
    assert "Winter" in listing and 'data-testid="promotion-form"' not in listing
    assert _post(sue, "/sales/promotions", current, "/sales/promotions").status_code == 403
    assert "Winter" not in portal_client(app, "sven").get("/sales/promotions").text  # D1's only
    managed = max_.get("/sales/promotions").text
    autumn_id = re.search(
        r'data-promotion="Autumn".*?/sales/promotions/(\d+)/withdraw', managed, re.DOTALL
    ).group(1)
    customer = re.search(r'<option value="(\d+)"[^>]*>Spree Logistics', sue.get("/sales").text).group(1)
    lead = _post(sue, "/sales", {"customer_id": customer, "interest": "Aurora SUV"}, "/sales")
    lead_url = lead.headers["location"].split("?")[0]
    vehicle = str(_stock_id(sue, sample_vin(101)))
    offered = re.search(r'name="promotion_id">(.*?)</select>', sue.get(lead_url).text, re.DOTALL).group(1)
    ids = {name: pid for pid, name in re.findall(r'<option value="(\d+)" >(\w+) ·', offered)}
    assert set(ids) == {"Winter"}  # only current promotions are offered
    refused = _post(
        sue,
        f"{lead_url}/quotes",
        {"stock_vehicle_id": vehicle, "promotion_id": autumn_id, "discount": "100"},
        lead_url,
    )
    assert refused.status_code == 422 and 'data-field-error="promotion_id"' in refused.text
    assert "expired on 2026-10-31" in refused.text and 'value="100"' in refused.text
    made = _post(
        sue, f"{lead_url}/quotes", {"stock_vehicle_id": vehicle, "promotion_id": ids["Winter"]}, lead_url
    )
    assert made.status_code == 303
    assert "244,800.00" in sue.get(lead_url).text  # 249,800 - 5,000


def test_financing_floor_plan_and_yard_pages_by_role(sample_app):
    app, _ = sample_app
    max_, sue, sam = (portal_client(app, u) for u in ("max", "sue", "sam"))
    vehicle = _stock_id(max_, sample_vin(102))
    page = max_.get(f"/stock/{vehicle}").text
    assert 'data-testid="floor-plan-form"' in page and 'data-testid="move-form"' in page
    assert 'data-testid="floor-plan"' not in sue.get(f"/stock/{vehicle}").text
    assert sue.get("/stock/floor-plan").status_code == 403 and sam.get("/stock/floor-plan").status_code == 403
    refused = _post(
        max_,
        f"/stock/{vehicle}/floor-plan",
        {"lender": "Bank", "principal": "1", "rate": "99"},
        f"/stock/{vehicle}",
    )
    assert refused.status_code == 422 and 'data-field-error="rate"' in refused.text
    added = _post(
        max_,
        f"/stock/{vehicle}/floor-plan",
        {"lender": "Bank of Ningbo", "principal": "200000", "rate": "5.5"},
        "/stock",
    )
    assert added.status_code == 303
    plans = max_.get("/stock/floor-plan").text
    assert sample_vin(102) in plans and "Bank of Ningbo" in plans and 'data-testid="repay-due"' not in plans
    with app.state.portal.sessions() as db:  # sold and handed over (the sale itself: test_sales_web)
        db.get(StockVehicle, vehicle).status = "delivered"
        db.commit()
    assert 'data-testid="repay-due"' in max_.get("/stock/floor-plan").text
    with app.state.portal.sessions() as db:
        db.get(StockVehicle, vehicle).status = "in_stock"
        db.commit()
    assert portal_client(app, "sven").get(f"/stock/{vehicle}").status_code == 404
    yard_page = sue.get("/stock/yard").text  # the sales staff read the map, do not move
    assert 'data-slot="A-01-02"' in yard_page and sample_vin(102)[-6:] in yard_page
    assert 'data-testid="zone-form"' not in yard_page
    assert (
        _post(
            sue, f"/stock/{vehicle}/move", {"zone": "A", "row": "2", "slot": "1"}, "/stock/yard"
        ).status_code
        == 403
    )
    taken = _post(sam, f"/stock/{vehicle}/move", {"zone": "A", "row": "1", "slot": "1"}, f"/stock/{vehicle}")
    assert taken.status_code == 422 and "is taken by" in taken.text
    moved = _post(
        sam, f"/stock/{vehicle}/move", {"zone": "A", "row": "2", "slot": "4", "back": "yard"}, "/stock/yard"
    )
    assert moved.headers["location"].startswith("/stock/yard")
    assert "A-02-04" in sam.get(f"/stock/{vehicle}").text
    assert sample_vin(102) not in portal_client(app, "olga").get("/stock/yard").text
