"""A vehicle sale invoiced (销售开票), its floor-plan line paid off at delivery, and days counted in the
reader's time zone: the domain rules on SQLite (issue #22)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dealer_portal import i18n
from dealer_portal.messages import localize_note
from dealer_portal.records import (
    customers,
    dealer_settings,
    invoice_pdf,
    invoices,
    promotions,
    sales,
    sales_finance,
    sales_invoices,
    stock,
    used_cars,
)
from dealer_portal.records.actor import Actor, Forbidden, NotFound
from dealer_portal.records.tables import AuditEntry, Customer
from dealer_portal.sample_data import sample_vin
from dms.errors import UserError
from tests.support.portal import ADMIN, ADVISOR, OTHER_ADVISOR, SALES, SALES_MANAGER, T0

OTHER_MANAGER = Actor("vera", "sales_manager", "D2")
TRADE = used_cars.TradeIn("WVWZZZ1KZ6W000777", 98_000, "U-01", "rear bumper scratched")
SHANGHAI = i18n.UserLocale(zone="Asia/Shanghai")


def _vehicle(session, serial=1, now=T0):
    return stock.create(
        session,
        ADVISOR,
        vin=sample_vin(serial),
        model="Aurora SUV",
        configuration="1.5T",
        colour="white",
        location="a-01",
        status="in_stock",
        coc_number="wdz1",
        list_price_cents=20_000_000,
        now=now,
    )


def _order(session, serial=1, deposit=1_000_000, trade_in=True):
    """A signed order: 200,000.00 + options 949.90 - discount 7,000 (approved) - promotion 5,000
    - trade-in 30,000 = 158,949.90."""
    vehicle = _vehicle(session, serial)
    customer = Customer(dealer_code="D1", name="Li Wei", phone="138")
    session.add(customer)
    session.flush()
    promotion = promotions.create(
        session,
        SALES_MANAGER,
        sponsor="dealer",
        name="Spring bonus",
        amount_cents=500_000,
        valid_from=T0.date().isoformat(),
        valid_to=(T0.date() + timedelta(days=30)).isoformat(),
        models="Aurora SUV",
        now=T0,
    )
    lead = sales.create_lead(session, SALES, customer_id=customer.id, interest="Aurora SUV", now=T0)
    quote = sales.create_quote(
        session,
        SALES,
        lead.id,
        stock_vehicle_id=vehicle.id,
        options=sales.parse_options("Tow bar = 850.00\nMats = 99,90"),
        discount_cents=700_000,
        trade_in_description="2015 sedan" if trade_in else "",
        trade_in_vin=TRADE.vin if trade_in else "",
        trade_in_cents=3_000_000 if trade_in else 0,
        threshold_pct=Decimal(3),
        now=T0,
        promotion_id=promotion.id,
    )
    sales.decide_discount(session, SALES_MANAGER, quote.id, True, "", T0)
    order = sales.sign_order(session, SALES, quote.id, deposit, T0)
    stock.record_pdi(session, ADVISOR, vehicle.id, set(stock.PDI_ITEMS), "", T0)
    return order


def _deliver(session, order, now=T0, trade_in=True):
    return sales.deliver(
        session,
        SALES,
        order.id,
        vehicle_id="",
        plate="沪A·12345",
        odometer_km=12,
        received_by="Li Wei",
        checked=set(sales.HANDOVER_ITEMS),
        now=now,
        trade_in=TRADE if trade_in else None,
    )


def test_a_delivered_sale_is_invoiced_with_its_contract_as_lines(world):
    first = invoices.new_invoice(world, ADVISOR, "D1", 11_300, T0)  # an after-sales invoice of the year
    dealer_settings.save(
        world, ADMIN, "D1", currency="EUR", tax_rate_bp=1900, service_interval_months=12, now=T0
    )
    order = _order(world)
    _deliver(world, order)
    invoice = sales_invoices.issue(world, SALES_MANAGER, order.id, T0 + timedelta(hours=1))
    assert (first.number, invoice.number) == ("D1-2026-000001", "D1-2026-000002")  # one sequence
    assert (invoice.currency, invoice.tax_rate_bp, invoice.sales_order_id) == ("EUR", 1900, order.id)
    assert [(line.kind, line.total_cents) for line in invoice.lines] == [
        ("vehicle", 20_000_000),
        ("option", 85_000),
        ("option", 9_990),
        ("discount", -700_000),
        ("promo", -500_000),
        ("tradein", -3_000_000),
    ]
    assert invoice.gross_cents == order.total_cents == 15_894_990
    # VAT contained at 19 %: 158,949.90 x 19 / 119 = 25,378.5563... -> 25,378.56, exact decimals
    assert invoice.tax_cents == 2_537_856
    assert Decimal(invoice.tax_cents) == (Decimal(15_894_990) * 19 / 119).quantize(Decimal(1))
    assert invoices.money(invoice.net_cents) == "133571.34"
    assert invoice.customer_name == "Li Wei" and invoice.lines[0].description.endswith(order.vehicle.vin)
    # the deposit taken at signing is credited: the receivable is the balance
    assert [(p.method, p.amount_cents) for p in invoice.payments] == [("deposit", 1_000_000)]
    assert invoice.outstanding_cents == 14_894_990
    with i18n.using(i18n.UserLocale(language="zh_CN")):
        assert invoices.line_text(invoice.lines[4]) == "促销: Spring bonus"
    assert invoice_pdf.render_for(world, invoice).startswith(b"%PDF")


def test_payments_clear_the_sale_from_the_shared_receivables(world):
    order = _order(world)
    _deliver(world, order)
    invoice = sales_invoices.issue(world, SALES_MANAGER, order.id, T0)
    assert invoice in invoices.receivables(world, ADVISOR, T0).invoices
    with pytest.raises(UserError, match="at most"):
        invoices.record_payment(
            world, ADVISOR, invoice.id, amount_cents=invoice.outstanding_cents + 1, method="transfer", now=T0
        )
    invoices.record_payment(world, ADVISOR, invoice.id, amount_cents=14_894_990, method="transfer", now=T0)
    assert invoices.status(invoice) == "paid" and invoices.receivables(world, ADVISOR, T0).invoices == []
    notes = [e.detail for e in world.query(AuditEntry).filter_by(entity="invoice").order_by(AuditEntry.id)]
    assert notes[0] == f"{invoice.number} for sales order {order.number}: 158949.90 CNY"
    with i18n.using(i18n.UserLocale(language="zh_CN")):
        assert all(localize_note(n) != n for n in notes)  # every detail read in Chinese


def test_invoicing_is_refused_for_the_wrong_role_dealer_state_and_a_second_time(world):
    order = _order(world)
    with pytest.raises(UserError, match="is signed: a vehicle sale is invoiced once delivered"):
        sales_invoices.issue(world, SALES_MANAGER, order.id, T0)
    _deliver(world, order)
    for actor in (SALES, ADVISOR):  # the salesperson who sold it; the workshop
        with pytest.raises(Forbidden):
            sales_invoices.issue(world, actor, order.id, T0)
    with pytest.raises(NotFound):
        sales_invoices.issue(world, OTHER_MANAGER, order.id, T0)
    invoice = sales_invoices.issue(world, SALES_MANAGER, order.id, T0)
    with pytest.raises(UserError, match=f"invoiced already: {invoice.number}"):
        sales_invoices.issue(world, ADMIN, order.id, T0)
    cancelled = _order(world, serial=2, deposit=0, trade_in=False)
    sales.cancel_order(world, SALES, cancelled.id, "changed mind", T0)
    with pytest.raises(UserError, match="is cancelled"):
        sales_invoices.issue(world, SALES_MANAGER, cancelled.id, T0)


def test_delivery_pays_off_the_floor_plan_with_the_interest_to_that_day(world):
    order = _order(world)
    plan = sales_finance.finance_vehicle(
        world,
        SALES_MANAGER,
        order.stock_vehicle_id,
        lender="Bank of Ningbo",
        principal_cents=20_000_000,
        rate=Decimal("5.5"),
        started_on=None,
        now=T0,
    )
    _deliver(world, order, now=T0 + timedelta(days=40))
    assert (plan.repaid_on, plan.payoff, plan.payoff_order) == (date(2026, 4, 11), "sold", order.number)
    assert plan.interest_paid_cents == 120_548  # 200,000 x 5.5 % x 40 / 365, half up
    assert sales_finance.accrued_cents(plan, date(2027, 1, 1)) == 120_548  # stops at the payoff
    assert world.scalars(sales_finance.floor_plans(SALES_MANAGER)).all() == []
    assert world.scalars(sales_finance.paid_off(SALES_MANAGER)).all() == [plan]
    assert world.scalars(sales_finance.paid_off(OTHER_MANAGER)).all() == []
    entry = world.query(AuditEntry).filter_by(action="floor_plan_payoff").one()
    assert (
        entry.detail == f"paid off at sale {order.number}: 20000000 cents + interest 120548 cents for 40 days"
    )
    with pytest.raises(UserError, match="repaid already"):
        sales_finance.repay(world, SALES_MANAGER, order.stock_vehicle_id, T0 + timedelta(days=41))


def test_a_vehicle_repaid_by_hand_is_recorded_as_repaid(world):
    vehicle = _vehicle(world)
    sales_finance.finance_vehicle(
        world,
        SALES_MANAGER,
        vehicle.id,
        lender="B",
        principal_cents=10_000_000,
        rate=Decimal("3.65"),
        started_on=None,
        now=T0,
    )
    plan = sales_finance.repay(world, SALES_MANAGER, vehicle.id, T0 + timedelta(days=10))
    assert (plan.payoff, plan.payoff_order, plan.interest_paid_cents) == ("repaid", None, 10_000)
    note = world.query(AuditEntry).filter_by(action="repaid").one().detail
    assert note == "repaid 10000000 cents + interest 10000 cents for 10 days"


def test_days_are_counted_in_the_readers_time_zone(world):
    """Arrived 2026-03-01 23:00 UTC = 03-02 07:00 in Shanghai. At 03-02 15:00 UTC (23:00 there) it has
    stood one day by UTC days and none in Shanghai; its floor plan runs from the Shanghai day."""
    arrived = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    evening = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    vehicle = _vehicle(world, now=arrived)
    assert stock.days_in_stock(vehicle, evening) == 1  # UTC, the zone outside a request
    with i18n.using(SHANGHAI):
        assert stock.days_in_stock(vehicle, evening) == 0
        assert stock.days_in_stock(vehicle, evening + timedelta(hours=1, minutes=30)) == 1  # 00:30 there
        plan = sales_finance.finance_vehicle(
            world,
            SALES_MANAGER,
            vehicle.id,
            lender="B",
            principal_cents=36_500_000,
            rate=Decimal(10),
            started_on=None,
            now=evening,
        )
        assert plan.started_on == date(2026, 3, 2)  # the local arrival day, not UTC's 03-01
        repaid = sales_finance.repay(world, SALES_MANAGER, vehicle.id, evening + timedelta(days=1, hours=2))
    assert repaid.repaid_on == date(2026, 3, 4)  # 03-03 17:00 UTC is 03-04 01:00 in Shanghai
    assert repaid.interest_paid_cents == 20_000  # 365,000.00 x 10 % x 2 / 365


def test_the_customer_record_lists_the_vehicles_bought_with_their_invoices(world):
    order = _order(world)
    _deliver(world, order)
    invoice = sales_invoices.issue(world, SALES_MANAGER, order.id, T0)
    assert customers.purchases(world, ADVISOR, order.customer_id) == [(order, invoice)]
    with pytest.raises(NotFound):
        customers.purchases(world, OTHER_ADVISOR, order.customer_id)


def test_the_profit_and_loss_keeps_a_vehicle_sale_apart_from_counter_sales(world):
    from zoneinfo import ZoneInfo

    from dealer_portal.records import profit

    order = _order(world)
    _deliver(world, order)
    invoice = sales_invoices.issue(world, SALES_MANAGER, order.id, T0)
    report = profit.report(world, ADMIN, T0.date(), T0.date(), ZoneInfo("UTC"))
    statement = report.statements[invoice.currency]
    # no purchase cost of the vehicle is recorded: its net price stays out of revenue and margin
    assert (statement.vehicle_sales_cents, statement.sales, statement.counter_cents) == (
        invoice.net_cents,
        0,
        0,
    )
    assert statement.revenue_cents == 0 and [m.kind for m in report.margins] == []
    assert statement.vat_cents == invoice.tax_cents
