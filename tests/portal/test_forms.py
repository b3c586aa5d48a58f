"""Forms that keep the user's work: a refused POST renders its page again with the typed values and a
human message next to the field; numbers in either decimal convention; length limits on every field."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from dealer_portal.forms import FieldError, decimal
from tests.support.portal import csrf_of, portal_client


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("12,50", "12.50"),
        ("12.5", "12.5"),
        ("1250", "1250"),
        ("0,250", "0.250"),
        ("1.250,50", "1250.50"),
        ("1,250.50", "1250.50"),
        ("1 250,5", "1250.5"),
        ("1,250,000", "1250000"),
        ("-3", "-3"),
    ],
)
def test_numbers_in_either_decimal_convention(typed, value):
    assert decimal(typed, "Cost", field="cost") == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("1,250", "could mean 1250 or 1.250"),
        ("12.500", "could mean 12500 or 12.500"),
        ("12,5,0", "enter a number"),
        ("1.250.50", "enter a number"),
        ("nan", "enter a number"),
        ("", "fill this in"),
    ],
)
def test_ambiguous_or_broken_numbers_are_refused_with_a_reason(typed, says):
    with pytest.raises(FieldError, match=says) as refused:
        decimal(typed, "Cost", field="cost")
    assert list(refused.value.errors) == ["cost"]


def _post(client, page: str, action: str, data: dict):
    token = csrf_of(client.get(page).text)
    return client.post(
        action, data={**data, "csrf_token": token}, headers={"referer": f"http://testserver{page}"}
    )


def _field_error(html: str, name: str) -> str:
    found = re.search(rf'data-field-error="{name}">([^<]+)<', html)
    return found.group(1) if found else ""


def test_a_refused_vehicle_keeps_the_input_and_says_what_is_wrong_in_words(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    typed = {
        "vehicle_id": "van 12!",
        "model": "Sprinter 316 CDI",
        "plate": "B-XY 12",
        "vin": "WVWZZZ1JZXW0000",
        "purchase_date": "2024-02-30",
        "service_life_years": "8",
        "mileage_limit_km": "500000",
    }
    response = _post(sam, "/vehicles", "/vehicles", typed)
    assert response.status_code == 422
    html = response.text
    assert 'value="Sprinter 316 CDI"' in html and 'value="van 12!"' in html  # nothing typed is lost
    assert _field_error(html, "vehicle_id").startswith("Fleet id: letters, digits")
    assert _field_error(html, "vin") == "VIN: a VIN has 17 letters or digits, without I, O or Q"
    assert _field_error(html, "purchase_date") == "Purchase date: enter a date like 2026-03-02"
    assert "should match pattern" not in html and "String should" not in html


def test_money_is_read_with_a_decimal_comma_and_an_ambiguous_amount_is_refused(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    part = {"number": "BR-77", "name": "Brake hose", "unit_cost": "1,250", "unit_price": "19,90"}
    refused = _post(sam, "/parts", "/parts", part)
    assert refused.status_code == 422
    assert "could mean 1250 or 1.250" in _field_error(refused.text, "unit_cost")
    assert 'value="Brake hose"' in refused.text and 'value="19,90"' in refused.text
    saved = _post(sam, "/parts", "/parts", {**part, "unit_cost": "12,50"})
    assert saved.status_code == 303
    row = re.search(r'<tr data-part="BR-77">.*?</tr>', sam.get("/parts").text, re.DOTALL).group(0)
    assert "12.50" in row and "19.90" in row  # not 1,250.00 and 1,990.00


def test_length_limits_are_in_the_form_and_enforced_by_the_server(sample_app):
    app, _ = sample_app
    sam = portal_client(app, "sam")
    page = sam.get("/parts").text
    assert re.search(r'<input name="number" type="text" value="" maxlength="40"', page)
    response = _post(
        sam, "/parts", "/parts", {"number": "X" * 300, "name": "n", "unit_cost": "1", "unit_price": "1"}
    )
    assert response.status_code == 422
    assert _field_error(response.text, "number") == "number: at most 40 characters (you entered 300)"
    assert "X" * 300 in response.text  # kept, so the user can shorten it
