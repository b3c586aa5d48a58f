"""The demand forecast's arithmetic and the dealers compared on the sales statistics (issue #22)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from dealer_portal.records import demand_forecast, sales_stats
from dealer_portal.records.actor import Forbidden
from dealer_portal.records.demand_forecast import Line, plan
from dealer_portal.records.sales_tables import StockVehicle
from dealer_portal.records.workshop_tables import DealerSettings
from dealer_portal.sample_data import sample_vin
from tests.support.portal import ADMIN, SALES, SALES_MANAGER, T0, csrf_of, portal_client
from tests.support.sales_history import past_sale

NOW = T0 + timedelta(days=400)


def _line(delivered=0, on_hand=0, in_transit=0, ordered=0) -> Line:
    return Line("D1", "Aurora SUV", "1.5T", "white", delivered, on_hand, in_transit, ordered)


def test_no_sales_no_demand_no_suggestion():
    line = plan(_line(), 6, Decimal(2))
    assert line.rate == 0 and line.cover is None and line.suggested == 0


def test_stock_without_sales_has_unknown_cover_and_orders_nothing():
    line = plan(_line(on_hand=3, ordered=1), 6, Decimal(2))
    assert line.available == 4 and line.cover is None and line.suggested == 0


def test_zero_cover_orders_the_target_rounded_up():
    line = plan(_line(delivered=5), 6, Decimal(2))  # 5/6 a month, nothing to sell
    assert line.cover == 0 and line.suggested == 2  # 1.67 -> 2
    line = plan(_line(delivered=6, on_hand=1, in_transit=1), 6, Decimal("0.5"))
    assert line.rate == 1 and line.cover == Decimal("2.0") and line.suggested == 0  # covered beyond target
    assert plan(_line(delivered=12, on_hand=2, ordered=3), 6, Decimal(4)).suggested == 3  # 8 - 5


def test_settings_are_clamped_into_their_ranges():
    assert demand_forecast.check(0, Decimal(0)) == (1, Decimal("0.5"))
    assert demand_forecast.check(99, Decimal(100)) == (24, Decimal(12))


def test_forecast_counts_deliveries_in_the_window_and_what_can_still_be_sold(world):
    for serial, days_ago in ((1, 10), (2, 40), (3, 100), (4, 300)):  # the last one is outside 6 months
        past_sale(
            world, serial, dealer="D1", model="Aurora SUV", colour="white", at=NOW - timedelta(days=days_ago)
        )
    past_sale(world, 5, dealer="D2", model="Aurora SUV", colour="white", at=NOW - timedelta(days=5))
    for serial, status in ((11, "in_stock"), (12, "reserved"), (13, "in_transit")):
        world.add(
            StockVehicle(
                dealer_code="D1",
                vin=sample_vin(serial),
                model="Aurora SUV",
                colour="white",
                status=status,
                list_price_cents=21_000_000,
                pdi_checklist="",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    world.add(
        StockVehicle(
            dealer_code="D1",
            vin=sample_vin(14),
            model="Lumen EV",
            status="in_stock",
            pdi_checklist="",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    world.flush()
    lines = demand_forecast.forecast(world, SALES_MANAGER, NOW, 6, Decimal(2))
    suv, ev = lines  # D2's sale is not D1's
    assert (suv.model, suv.delivered, suv.on_hand, suv.in_transit) == (
        "Aurora SUV",
        3,
        1,
        1,
    )  # reserved: sold
    assert suv.rate == Decimal(3) / 6 and suv.cover == Decimal("4.0") and suv.suggested == 0
    assert suv.list_price_cents == 21_000_000
    assert (ev.model, ev.delivered, ev.cover, ev.suggested) == ("Lumen EV", 0, None, 0)
    busy = demand_forecast.forecast(world, SALES_MANAGER, NOW, 6, Decimal(6))[0]
    assert busy.suggested == 1  # 0.5 x 6 = 3, 2 available
    assert {line.dealer_code for line in demand_forecast.forecast(world, ADMIN, NOW, 6, Decimal(2))} == {
        "D1",
        "D2",
    }
    with pytest.raises(Forbidden):
        demand_forecast.forecast(world, SALES, NOW, 6, Decimal(2))


def test_dealers_compared_keep_currencies_apart_and_a_dealer_sees_only_itself(world):
    world.add(
        DealerSettings(
            dealer_code="D2",
            currency="EUR",
            tax_rate_bp=1900,
            service_interval_months=12,
            updated_at=T0,
            updated_by="ada",
        )
    )
    at = NOW - timedelta(days=20)
    past_sale(
        world, 1, dealer="D1", model="Aurora SUV", at=at, price_cents=20_000_000, discount_cents=400_000
    )
    past_sale(world, 2, dealer="D1", model="Aurora SUV", at=at, status="signed", salesperson="sid")
    past_sale(world, 3, dealer="D1", model="Aurora SUV", at=at, status="cancelled", discount_cents=999_999)
    past_sale(world, 4, dealer="D2", model="Aurora SUV", at=at, price_cents=3_000_000, salesperson="sven")
    past_sale(world, 5, dealer="D2", model="Aurora SUV", at=NOW - timedelta(days=200), salesperson="sven")
    d1, d2 = sales_stats.by_dealer(world, ADMIN, NOW, 90)
    assert (d1.currency, d1.orders, d1.delivered, d1.cancelled, d1.salespeople) == ("CNY", 3, 1, 1, 2)
    assert d1.revenue_cents == 19_600_000 and d1.completion_rate == pytest.approx(1 / 3)
    assert d1.discount_pct == pytest.approx(
        100 * 400_000 / 40_000_000
    )  # the cancelled order's discount left out
    assert (d2.currency, d2.orders, d2.revenue_cents, d2.completion_rate) == ("EUR", 1, 3_000_000, 1.0)
    by_revenue = sales_stats.by_dealer(world, ADMIN, NOW, 90, sort="revenue")
    assert [d.code for d in by_revenue] == ["D1", "D2"]  # CNY before EUR: compared within a currency only
    assert [d.code for d in sales_stats.by_dealer(world, ADMIN, NOW, 90, sort="completion")] == ["D2", "D1"]
    own = sales_stats.by_dealer(world, SALES_MANAGER, NOW, 90)
    assert [d.code for d in own] == ["D1"]  # D2's figures are not the manager of D1's to see
    with pytest.raises(Forbidden):
        sales_stats.by_dealer(world, SALES, NOW, 90)


def _post(client, url, data, page):
    return client.post(
        url, data={**data, "csrf_token": csrf_of(client.get(page).text)}, headers={"referer": page}
    )


def test_ordering_from_the_forecast_goes_through_the_credit_check_as_a_whole(sample_app):
    app, _ = sample_app
    max_ = portal_client(app, "max")
    page = max_.get("/sales/forecast?months=99&cover=abc")
    assert (
        page.status_code == 200
        and "moving average" in page.text
        and 'name="months" min="1" max="24" value="24"' in page.text
    )
    ada = portal_client(app, "ada")
    assert (
        _post(
            ada, "/stock/credit", {"dealer_code": "D1", "limit": "1400000", "warn_pct": "90"}, "/stock"
        ).status_code
        == 303
    )
    order = {
        "model": "Aurora SUV",
        "configuration": "2.0T AWD Luxury",
        "colour": "Pearl white",
        "list_price": "249800",
    }
    two = "\n".join((sample_vin(301), sample_vin(302)))
    refused = _post(max_, "/sales/forecast/order", {**order, "vins": two}, "/sales/forecast")
    assert refused.status_code != 303 and "credit limit" in refused.text
    ordered = max_.get("/stock?status=ordered").text
    assert sample_vin(301) not in ordered  # the first VIN went back with the refused second
    done = _post(max_, "/sales/forecast/order", {**order, "vins": sample_vin(301)}, "/sales/forecast")
    assert done.status_code == 303 and done.headers["location"].startswith("/sales/forecast")
    assert sample_vin(301) in max_.get("/stock?status=ordered").text
    bad = _post(max_, "/sales/forecast/order", {**order, "vins": "NOT-A-VIN"}, "/sales/forecast")
    assert bad.status_code == 422 and "17 letters" in bad.text
    sue = portal_client(app, "sue")
    assert sue.get("/sales/forecast").status_code == 403
    assert (
        _post(sue, "/sales/forecast/order", {**order, "vins": sample_vin(303)}, "/sales").status_code == 403
    )


def test_the_dealers_compared_tab_shows_a_dealer_only_itself(sample_app):
    app, _ = sample_app
    both = portal_client(app, "ada").get("/sales/stats?view=dealers&sort=revenue").text
    assert 'data-dealer="D1"' in both and 'data-dealer="D2"' in both
    sven = portal_client(app, "sven").get("/sales/stats?view=dealers").text
    assert 'data-dealer="D2"' in sven and 'data-dealer="D1"' not in sven and "North Motors" not in sven
    assert 'data-testid="compare-dealers"' not in sven  # the tab is the operator's
