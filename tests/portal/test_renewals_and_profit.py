"""Issue #21, third part, on SQLite: annual-inspection and insurance renewal reminders (windows, consent,
the notification queue, handled without e-mail), the dealer's renewal window and labour cost, the margin
of each work order and counter sale and the profit and loss by currency, and the REST API of reminders
and teams with its role and dealer checks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dealer_portal.forms import FieldError
from dealer_portal.notify.tables import NotificationDelivery
from dealer_portal.records import (
    counter_sales,
    dealer_settings,
    parts,
    payables,
    profit,
    purchasing,
    reminders,
    renewals,
    work_orders,
)
from dealer_portal.records import customers as crm
from dealer_portal.records import service_flow as flow
from dealer_portal.records.actor import Forbidden, NotFound
from dealer_portal.records.aftersales_tables import CustomerVehicle
from dealer_portal.records.finance_kpis import Period
from dealer_portal.records.tables import AuditEntry
from dms.errors import UserError
from tests.support.portal import ADMIN, ADVISOR, OTHER_ADVISOR, T0, TECH

TODAY = T0.date()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _customer_with_van(s, consent=False, email="li.wei@example.com"):
    customer, _ = crm.find_or_create(
        s, ADVISOR, dealer_code="D1", name="Li Wei", phone="138 0013 8000", email=email, now=T0
    )
    crm.update(s, ADVISOR, customer.id, name="Li Wei", phone="138 0013 8000", email=email,
               consent=consent, note="", now=T0)  # fmt: skip
    crm.link_vehicle(s, ADVISOR, customer.id, "VAN-1", T0)
    return customer


def _renewals(s, now):
    return [(d.kind, d.due_date, d.state) for d in reminders.due(s, ADVISOR, now) if d.kind != "service"]


# -- renewal dates and reminders ---------------------------------------------------------------------


def test_renewal_dates_are_checked_and_kept_on_the_customers_vehicle(world):
    s = world
    customer = _customer_with_van(s)
    assert renewals.parse_dates("", " ", TODAY) == (None, None)
    assert renewals.parse_dates("2026-04-01", "2027-01-31", TODAY) == (date(2026, 4, 1), date(2027, 1, 31))
    with pytest.raises(FieldError) as refused:
        renewals.parse_dates("2026-13-01", "2040-01-01", TODAY)  # no month 13; 14 years ahead
    assert set(refused.value.errors) == {"inspection_due", "insurance_expires"}
    with pytest.raises(FieldError):
        renewals.parse_dates("x" * 5000, "", TODAY)
    renewals.set_dates(s, ADVISOR, customer.id, "VAN-1", inspection_due=date(2026, 4, 1),
                       insurance_expires=None, now=T0)  # fmt: skip
    owned = s.query(CustomerVehicle).one()
    assert (owned.inspection_due, owned.insurance_expires) == (date(2026, 4, 1), None)
    with pytest.raises(NotFound):
        renewals.set_dates(s, OTHER_ADVISOR, customer.id, "VAN-1", inspection_due=None,
                           insurance_expires=None, now=T0)  # fmt: skip
    with pytest.raises(NotFound):
        renewals.set_dates(
            s, ADVISOR, customer.id, "VAN-2", inspection_due=None, insurance_expires=None, now=T0
        )  # fmt: skip  (not the customer's vehicle)
    with pytest.raises(Forbidden):
        renewals.set_dates(s, TECH, customer.id, "VAN-1", inspection_due=None, insurance_expires=None, now=T0)
    detail = s.query(AuditEntry.detail).filter(AuditEntry.action == "customer:renewals").scalar()
    assert detail == "VAN-1: inspection due 2026-04-01, insurance expires -"


def test_a_renewal_is_due_within_the_dealers_window_and_stale_a_year_after(world):
    s = world
    customer = _customer_with_van(s, consent=True)
    renewals.set_dates(s, ADVISOR, customer.id, "VAN-1", inspection_due=TODAY + timedelta(days=45),
                       insurance_expires=TODAY + timedelta(days=30), now=T0)  # fmt: skip
    now = T0
    assert _renewals(s, now) == [("insurance", TODAY + timedelta(days=30), "ready")]  # 30 days: the edge
    assert [k for k, _, _ in _renewals(s, T0 + timedelta(days=15))] == ["insurance", "inspection"]
    assert _renewals(s, T0 + timedelta(days=45 + 366)) == []  # both passed more than a year ago
    assert [k for k, _, _ in _renewals(s, T0 + timedelta(days=30 + 366))] == ["inspection"]
    dealer_settings.save(s, ADMIN, "D1", currency="CNY", tax_rate_bp=1300, service_interval_months=12,
                         renewal_window_days=60, now=T0)  # fmt: skip
    assert [k for k, _, _ in _renewals(s, now)] == ["insurance", "inspection"]
    assert reminders.due(s, OTHER_ADVISOR, now) == []
    with pytest.raises(Forbidden):
        reminders.due(s, TECH, now)


def test_a_renewal_reminder_needs_consent_and_goes_through_the_notification_queue_once(world):
    s = world
    customer = _customer_with_van(s, consent=False)
    renewals.set_dates(s, ADVISOR, customer.id, "VAN-1", inspection_due=TODAY + timedelta(days=10),
                       insurance_expires=TODAY + timedelta(days=20), now=T0)  # fmt: skip
    inspection, insurance = sorted(reminders.due(s, ADVISOR, T0), key=lambda d: d.kind)
    assert (insurance.kind, insurance.state) == ("insurance", "no_consent")
    with pytest.raises(UserError, match="has not agreed to be contacted"):
        reminders.send(s, ADVISOR, insurance.key, T0)
    with pytest.raises(UserError, match="has not agreed to be contacted"):
        reminders.done(s, ADVISOR, inspection.key, "called", T0)
    crm.update(s, ADVISOR, customer.id, name="Li Wei", phone="138 0013 8000", email="li.wei@example.com",
               consent=True, note="", now=T0)  # fmt: skip
    with pytest.raises(NotFound):
        reminders.send(s, OTHER_ADVISOR, insurance.key, T0)
    reminder = reminders.send(s, ADVISOR, insurance.key, T0)
    delivery = s.get(NotificationDelivery, reminder.delivery_id)
    assert delivery.subject == "Insurance renewal reminder for your vehicle VAN-1 (B-AB 101)"
    assert f"insurance expires on {TODAY + timedelta(days=20)}" in json.loads(delivery.body)["text"]
    assert delivery.status == "pending" and delivery.target == "li.wei@example.com"
    with pytest.raises(NotFound):
        reminders.send(s, ADVISOR, insurance.key, T0)  # once per occurrence
    with pytest.raises(UserError, match="say how"):
        reminders.done(s, ADVISOR, inspection.key, "  ", T0)
    with pytest.raises(UserError, match="at most 500"):
        reminders.done(s, ADVISOR, inspection.key, "x" * 501, T0)
    reminders.done(s, ADVISOR, inspection.key, "called, booked for Monday", T0)
    assert _renewals(s, T0) == []
    assert sorted(status for _, _, status in reminders.sent(s, ADVISOR)) == ["done", "pending"]
    # a new date is a new occurrence
    renewals.set_dates(s, ADVISOR, customer.id, "VAN-1", inspection_due=TODAY + timedelta(days=5),
                       insurance_expires=TODAY + timedelta(days=20), now=T0)  # fmt: skip
    assert [k for k, _, _ in _renewals(s, T0)] == ["inspection"]


@pytest.mark.slow
def test_the_worker_mails_the_inspection_reminder_through_a_real_smtp_server(world, db_url):
    from dealer_portal.notify.settings import NotifySettings
    from dealer_portal.notify.worker import NotificationWorker
    from gateway.db.session import make_engine, make_sessionmaker
    from tests.support.notify import smtp_server

    s = world
    customer = _customer_with_van(s, consent=True)
    renewals.set_dates(s, ADVISOR, customer.id, "VAN-1", inspection_due=TODAY + timedelta(days=7),
                       insurance_expires=None, now=T0)  # fmt: skip
    (due,) = reminders.due(s, ADVISOR, T0)
    reminders.send(s, ADVISOR, due.key, T0)
    s.commit()
    with smtp_server() as box:
        settings = NotifySettings(smtp_host=box.host, smtp_port=box.port)
        worker = NotificationWorker(make_sessionmaker(make_engine(db_url)), settings, lambda: T0)
        passed = worker.run_once()
        assert (passed.sent, passed.failed) == (1, 0), passed.errors
        (mail,) = box.messages
    assert mail["Subject"] == "Annual inspection reminder for your vehicle VAN-1 (B-AB 101)"
    assert "annual inspection due on" in mail.get_payload(decode=True).decode()


def test_the_renewal_window_and_labour_cost_are_checked(world):
    assert dealer_settings.parse_costs("45", "120,50") == (45, 12050)
    assert dealer_settings.parse_costs("30", "") == (30, None)  # empty: the saved value stays
    assert dealer_settings.parse_costs(" ", "0") == (None, 0)
    with pytest.raises(FieldError) as refused:
        dealer_settings.parse_costs("0", "-1")
    assert set(refused.value.errors) == {"renewal_window", "labour_cost"}
    for window, cost in (("121", "1"), ("9" * 40, "1"), ("30", "1.234"), ("30", "1e9"), ("30", "NaN")):
        with pytest.raises(FieldError):
            dealer_settings.parse_costs(window, cost)
    with pytest.raises(FieldError):
        dealer_settings.save(world, ADMIN, "D1", currency="CNY", tax_rate_bp=1300, service_interval_months=12,
                             renewal_window_days=0, now=T0)  # fmt: skip
    saved = dealer_settings.save(world, ADMIN, "D1", currency="CNY", tax_rate_bp=1300,
                                 service_interval_months=12, labour_cost_cents_per_hour=9000, now=T0)  # fmt: skip
    assert (saved.renewal_window_days, saved.labour_cost_cents_per_hour) == (30, 9000)  # window kept


# -- margins and profit and loss ---------------------------------------------------------------------


def _part(s, qty):
    part = parts.create_part(s, ADVISOR, now=T0, number="bp-1", name="Brake pads", unit_cost_cents=2100,
                             unit_price_cents=3900, reorder_point=3, reorder_qty=8, supplier="Brembo")  # fmt: skip
    if qty:
        parts.receive(s, ADVISOR, part.id, "B-1", qty, T0)
    return part


def _settled_order(s, part, at):
    order = flow.create_appointment(
        s, ADVISOR, vehicle_id="VAN-1", scheduled_at=at, reason="brakes", now=at,
        customer_name="Li Wei", customer_phone="138 0013 8000",
    )  # fmt: skip
    flow.receive(s, ADVISOR, order.id, complaint="squeal", odometer_km=42_000, now=at)
    flow.add_item(s, ADVISOR, order.id, kind="labour", description="Brakes", quantity=1.5,
                  unit_cents=20000, now=at)  # fmt: skip
    flow.add_item(s, ADVISOR, order.id, kind="part", part_id=part.id, quantity=2, now=at)
    flow.estimate(s, ADVISOR, order.id, at)
    flow.open_work_order(s, ADVISOR, order.id, at)
    flow.assign(s, ADVISOR, order.id, "tim", at)
    work_orders.clock_on(s, TECH, order.id, at)
    work_orders.clock_off(s, TECH, order.id, at + timedelta(minutes=50))
    flow.issue_parts(s, ADVISOR, order.id, at)
    flow.quality_check(s, ADMIN, order.id, passed=True, note="", now=at)
    flow.settle(s, ADVISOR, order.id, at + timedelta(hours=1))
    return order.id


def test_margins_and_the_profit_and_loss_add_up_exactly(world):
    s = world
    dealer_settings.save(s, ADMIN, "D1", currency="CNY", tax_rate_bp=1300, service_interval_months=12,
                         labour_cost_cents_per_hour=7000, now=T0)  # fmt: skip
    part = _part(s, 10)
    order_id = _settled_order(s, part, T0)
    sale = counter_sales.sell(s, ADVISOR, [(part.id, 3)], T0 + timedelta(hours=2), paid_by="cash")
    report = profit.report(s, ADVISOR, TODAY, TODAY, ZoneInfo("UTC"))
    order, counter = report.margins
    # 1.5 h x 200.00 + 2 x 39.00 = 378.00 gross, 13 % VAT in it: 43.49 (invoices.tax_in), net 334.51
    assert (order.kind, order.ref, order.labour_cents + order.parts_cents) == ("order", order_id, 33451)
    assert order.parts_cents == 6903  # 78.00 of 378.00 gross, of the net: 69.0257... -> 69.03
    assert order.parts_cost_cents == 4200 and order.labour_cost_cents == 5833  # 50 min at 70.00/h
    assert order.margin_cents == 33451 - 4200 - 5833
    assert (counter.kind, counter.title, counter.parts_cents) == ("sale", sale.number, sale.net_cents)
    assert counter.parts_cost_cents == 6300  # 3 x 21.00, found by the sale's stock-move note
    (cny,) = report.statements.values()
    assert cny.currency == "CNY" and (cny.orders, cny.sales) == (1, 1)
    assert cny.revenue_cents == order.revenue_cents + counter.revenue_cents
    assert cny.margin_cents == order.margin_cents + counter.margin_cents
    assert cny.vat_cents == 4349 + sale.tax_cents
    assert profit.report(s, OTHER_ADVISOR, TODAY, TODAY, ZoneInfo("UTC")).margins == []
    with pytest.raises(Forbidden):
        profit.report(s, TECH, TODAY, TODAY, ZoneInfo("UTC"))


def test_periods_follow_the_readers_time_zone_and_calendar(world):
    assert profit.month_days("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert profit.month_days("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert profit.quarter_days("2026-q4") == (date(2026, 10, 1), date(2026, 12, 31))
    for bad in ("2026-13", "26-01", "x" * 300, ""):
        with pytest.raises(UserError):
            profit.month_days(bad)
    for bad in ("2026-Q5", "2026", "Q1-2026"):
        with pytest.raises(UserError):
            profit.quarter_days(bad)
    period = Period.of_dates(date(2026, 3, 1), date(2026, 3, 31), SHANGHAI)
    assert period.start == datetime(2026, 2, 28, 16, tzinfo=UTC) and period.end == datetime(
        2026, 3, 31, 16, tzinfo=UTC
    )
    with pytest.raises(UserError):
        Period.of_dates(date(2026, 3, 2), date(2026, 3, 1), SHANGHAI)
    s = world
    part = _part(s, 10)
    late = datetime(2026, 3, 31, 17, tzinfo=UTC)  # 1 April in Shanghai, still 31 March in UTC
    counter_sales.sell(s, ADVISOR, [(part.id, 1)], late)
    march = (date(2026, 3, 1), date(2026, 3, 31))
    assert len(profit.report(s, ADVISOR, *march, ZoneInfo("UTC")).margins) == 1
    assert profit.report(s, ADVISOR, *march, SHANGHAI).margins == []


def test_amounts_in_other_currencies_are_grouped_never_added(world):
    s = world
    part = _part(s, 0)  # on the reorder list: 0 on hand, reorder point 3
    (po,) = purchasing.order_from_reorder_list(s, ADVISOR, T0)
    (line,) = po.lines
    purchasing.receive(s, ADVISOR, po.id, line.id, qty=8, bin_code="B-1", now=T0)
    kw = dict(invoice_date=TODAY, due_date=TODAY + timedelta(days=30), now=T0)
    cny_bill = payables.record(s, ADVISOR, po.id, number="BR-1", lines={line.id: (4, 2100)}, **kw)
    counter_sales.sell(s, ADVISOR, [(part.id, 1)], T0)
    dealer_settings.save(s, ADMIN, "D1", currency="EUR", tax_rate_bp=1900, service_interval_months=12, now=T0)
    counter_sales.sell(s, ADVISOR, [(part.id, 2)], T0 + timedelta(hours=1))
    eur_bill = payables.record(s, ADVISOR, po.id, number="BR-2", lines={line.id: (4, 2100)}, **kw)
    payables.pay(s, ADVISOR, eur_bill.id, amount_cents=1000, method="transfer", now=T0)
    assert (cny_bill.currency, eur_bill.currency) == ("CNY", "EUR")
    report = profit.report(s, ADVISOR, TODAY, TODAY, ZoneInfo("UTC"))
    assert report.currencies == ["CNY", "EUR"]
    cny, eur = report.statements["CNY"], report.statements["EUR"]
    assert cny.counter_cents == 3451 and eur.counter_cents == 6555  # 39.00 in 13 % VAT, 78.00 in 19 %
    assert (cny.parts_cost_counter_cents, eur.parts_cost_counter_cents) == (2100, 4200)
    assert (cny.payables_invoiced_cents, eur.payables_invoiced_cents) == (8400, 8400)
    assert (cny.payables_paid_cents, eur.payables_paid_cents) == (0, 1000)
    assert (cny.payables_outstanding_cents, eur.payables_outstanding_cents) == (8400, 7400)
    owed = payables.payables(s, ADVISOR, T0)  # the ageing too: one column per currency
    assert (owed.currencies, owed.total_cents("CNY"), owed.total_cents("EUR")) == (["CNY", "EUR"], 8400, 7400)
    paid = s.query(AuditEntry.detail).filter(AuditEntry.action == "supplier_invoice:payment").scalar()
    assert paid == "Brembo BR-2: 10.00 EUR by transfer"  # the payment helper's stored format
