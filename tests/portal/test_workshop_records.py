"""Issue #21, second part, on SQLite: each dealer's currency, VAT rate and service interval; technician
teams and skills with assignment by skill and the workload; service reminders to consenting customers
queued for the notification worker (and mailed through a real SMTP server, slow); supplier invoices
matched to purchase-order receipts, paid, and the payables' ageing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from dealer_portal.forms import FieldError
from dealer_portal.notify.tables import NotificationDelivery
from dealer_portal.records import (
    counter_sales,
    dealer_settings,
    finance_kpis,
    parts,
    payables,
    purchasing,
    reminders,
)
from dealer_portal.records import customers as crm
from dealer_portal.records import service_flow as flow
from dealer_portal.records import technicians as crew
from dealer_portal.records.actor import Actor, Forbidden, NotFound
from dealer_portal.records.tables import AuditEntry
from dms.errors import UserError
from tests.support.portal import ADMIN, ADVISOR, DISPATCHER, OTHER_ADVISOR, T0, TECH

D2_ADMIN = Actor("adam", "admin", "D2")


def _part(s, qty=0, **kw):
    fields = dict(number="bp-1", name="Brake pads", unit_cost_cents=2100, unit_price_cents=3900,
                  reorder_point=3, reorder_qty=8, supplier="Brembo") | kw  # fmt: skip
    part = parts.create_part(s, ADVISOR, now=T0, **fields)
    if qty:
        parts.receive(s, ADVISOR, part.id, "B-1", qty, T0)
    return part


def _actions(s, prefix: str) -> list[str]:
    return [a for (a,) in s.query(AuditEntry.action).filter(AuditEntry.action.like(f"{prefix}%"))]


def _pdf_text(invoice) -> bytes:
    """The invoice PDF uncompressed, in a core font, so that its words can be read from the bytes."""
    import fpdf

    from dealer_portal.records import invoice_pdf

    class Plain(fpdf.FPDF):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.set_compression(False)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fpdf, "FPDF", Plain)
        patch.setattr(invoice_pdf, "_font", lambda: (None, False))  # the core font: text as written
        return invoice_pdf.render(invoice, dealer_name="North Motors", vehicle="", order_id=None)


# -- dealer settings ---------------------------------------------------------------------------------


def test_invoices_use_the_dealers_currency_and_rate_and_the_defaults_stay(world):
    s = world
    assert dealer_settings.effective(s, "D1").currency == "CNY"
    pads = _part(s, qty=10)
    before = counter_sales.sell(s, ADVISOR, [(pads.id, 1)], T0)
    assert (before.currency, before.tax_rate_bp, before.tax_cents) == ("CNY", 1300, 449)  # 3900 * 13/113
    with pytest.raises(FieldError) as refused:
        dealer_settings.parse("EURO", "13,5%x", "0")
    assert set(refused.value.errors) == {"currency", "tax_rate", "service_interval"}
    assert dealer_settings.parse(" eur ", "19", "6") == ("EUR", 1900, 6)
    with pytest.raises(Forbidden):
        dealer_settings.save(
            s, ADVISOR, "D1", currency="EUR", tax_rate_bp=1900, service_interval_months=6, now=T0
        )
    with pytest.raises(NotFound):  # a dealer's admin administers their own dealer only
        dealer_settings.save(
            s, D2_ADMIN, "D1", currency="EUR", tax_rate_bp=1900, service_interval_months=6, now=T0
        )
    dealer_settings.save(s, ADMIN, "D1", currency="EUR", tax_rate_bp=1900, service_interval_months=6, now=T0)
    after = counter_sales.sell(s, ADVISOR, [(pads.id, 1)], T0)
    assert (after.currency, after.tax_rate_bp, after.tax_cents) == ("EUR", 1900, 623)  # 3900 * 19/119
    assert (before.currency, before.tax_rate_bp) == ("CNY", 1300)  # an issued invoice keeps its terms
    assert dealer_settings.effective(s, "D2").currency == "CNY"
    assert b"VAT 19 %" in _pdf_text(after) and b"EUR" in _pdf_text(after)
    year = finance_kpis.Period.of_dates(date(2026, 1, 1), date(2026, 12, 31))
    assert finance_kpis.figures(s, ADVISOR, year).currencies == {"CNY", "EUR"}  # the page warns of the mix
    assert [e.dealer_code for e in dealer_settings.dealers_of(s, D2_ADMIN)] == ["D2"]
    assert _actions(s, "dealer:settings") == ["dealer:settings"]


# -- teams and skills --------------------------------------------------------------------------------


def _ordered(s) -> int:
    order = flow.create_appointment(
        s, ADVISOR, vehicle_id="VAN-1", scheduled_at=T0, reason="battery warning", now=T0,
        customer_name="Li Wei", customer_phone="138 0013 8000",
    )  # fmt: skip
    flow.receive(s, ADVISOR, order.id, complaint="HV battery warning", odometer_km=42_000, now=T0)
    flow.add_item(s, ADVISOR, order.id, kind="labour", description="Diagnose HV battery", quantity=2,
                  unit_cents=30000, now=T0)  # fmt: skip
    flow.estimate(s, ADVISOR, order.id, T0)
    flow.open_work_order(s, ADVISOR, order.id, T0)
    return order.id


def test_assignment_needs_the_skill_and_the_workload_counts_per_technician_and_team(world):
    s = world
    team = crew.create_team(s, ADVISOR, "EV team", T0)
    with pytest.raises(UserError, match="already has a team"):
        crew.create_team(s, ADVISOR, "EV team", T0)
    with pytest.raises(Forbidden):
        crew.create_team(s, TECH, "Tim's own team", T0)
    with pytest.raises(NotFound):  # another dealer's technician
        crew.set_profile(s, OTHER_ADVISOR, "tim", team_id=None, skills={"engine"}, now=T0)
    with pytest.raises(UserError, match="unknown skill"):
        crew.set_profile(s, ADVISOR, "tim", team_id=team.id, skills={"juggling"}, now=T0)
    crew.set_profile(s, ADVISOR, "tim", team_id=team.id, skills={"engine"}, now=T0)
    order_id = _ordered(s)
    with pytest.raises(UserError, match="choose one of the offered skills"):
        flow.set_skill_needed(s, ADVISOR, order_id, "juggling", T0)
    flow.set_skill_needed(s, ADVISOR, order_id, "high_voltage", T0)
    with pytest.raises(UserError, match="tim does not have the skill this work order needs"):
        flow.assign(s, ADVISOR, order_id, "tim", T0)
    crew.set_profile(s, ADVISOR, "tim", team_id=team.id, skills={"engine", "high_voltage"}, now=T0)
    assert flow.assign(s, ADVISOR, order_id, "tim", T0).technician == "tim"
    people, teams = crew.workload(s, ADVISOR, T0 + timedelta(hours=1))
    (tim,) = people
    assert (tim.team, tim.open_orders, tim.skills) == ("EV team", [order_id], {"engine", "high_voltage"})
    assert [(t.name, t.open_orders) for t in teams] == [("EV team", [order_id])]
    assert crew.workload(s, OTHER_ADVISOR, T0) == ([], [])  # D1's technicians are not D2's business
    with pytest.raises(Forbidden):
        crew.workload(s, TECH, T0)
    assert _actions(s, "technician:profile") == ["technician:profile"] * 2
    assert _actions(s, "service:skill") == ["service:skill"]


# -- reminders ----------------------------------------------------------------------------------------


def _settled_visit(s) -> int:
    order_id = _ordered(s)
    flow.assign(s, ADVISOR, order_id, "tim", T0)
    flow.quality_check(s, ADMIN, order_id, passed=True, note="", now=T0)
    flow.settle(s, ADVISOR, order_id, T0)
    return order_id


def test_a_reminder_goes_to_a_consenting_customer_once_through_the_notification_queue(world):
    s = world
    order_id = _settled_visit(s)
    assert reminders.due(s, ADVISOR, T0 + timedelta(days=300)) == []  # within the 12 months
    later = T0 + timedelta(days=366)
    (due,) = reminders.due(s, ADVISOR, later)
    assert (due.key, due.vehicle.vehicle_id, due.state) == (f"last:{order_id}", "VAN-1", "no_consent")
    with pytest.raises(UserError, match="has not agreed to be contacted"):
        reminders.send(s, ADVISOR, due.key, later)
    crm.update(s, ADVISOR, due.customer.id, name="Li Wei", phone="138 0013 8000", email="",
               consent=True, note="", now=T0)  # fmt: skip
    with pytest.raises(UserError, match="no e-mail address"):
        reminders.send(s, ADVISOR, due.key, later)
    crm.update(s, ADVISOR, due.customer.id, name="Li Wei", phone="138 0013 8000", email="li.wei@example.com",
               consent=True, note="", now=T0)  # fmt: skip
    with pytest.raises(NotFound):
        reminders.send(s, OTHER_ADVISOR, due.key, later)
    with pytest.raises(Forbidden):
        reminders.send(s, TECH, due.key, later)
    reminder = reminders.send(s, ADVISOR, due.key, later)
    delivery = s.get(NotificationDelivery, reminder.delivery_id)
    assert (delivery.channel, delivery.target, delivery.status) == ("email", "li.wei@example.com", "pending")
    assert "is due for a service: last service on 2026-03-02" in json.loads(delivery.body)["text"]
    assert reminders.due(s, ADVISOR, later) == []  # reminded once
    with pytest.raises(NotFound):
        reminders.send(s, ADVISOR, due.key, later)
    assert [(c.name, status) for _, c, status in reminders.sent(s, ADVISOR)] == [("Li Wei", "pending")]
    assert reminders.sent(s, OTHER_ADVISOR) == []
    assert _actions(s, "reminder:") == ["reminder:sent"]


def test_the_dealers_interval_and_the_rules_engine_make_a_service_due(world):
    from gateway.db.models import ServiceAppointment

    s = world
    _settled_visit(s)
    soon = T0 + timedelta(days=40)
    assert reminders.due(s, ADVISOR, soon) == []
    dealer_settings.save(s, ADMIN, "D1", currency="CNY", tax_rate_bp=1300, service_interval_months=1, now=T0)
    assert [d.key.split(":")[0] for d in reminders.due(s, ADVISOR, soon)] == ["last"]
    s.add(ServiceAppointment(
        vehicle_id="VAN-1", dealer_code="D1", source="maintenance_rule", due_key="rule:1:VAN-1:3",
        reason="Oil service", due_odometer_km=60_000, status="proposed", created_at=soon, updated_at=soon,
    ))  # fmt: skip
    s.flush()
    (due,) = reminders.due(s, ADVISOR, soon)  # the rules engine's proposal replaces the interval
    assert due.key.startswith("appointment:") and due.due_km == 60_000


@pytest.mark.slow
def test_the_worker_mails_the_reminder_through_a_real_smtp_server(world, db_url):
    from dealer_portal.notify.settings import NotifySettings
    from dealer_portal.notify.worker import NotificationWorker
    from gateway.db.session import make_engine, make_sessionmaker
    from tests.support.notify import smtp_server

    s = world
    _settled_visit(s)
    later = T0 + timedelta(days=400)
    (due,) = reminders.due(s, ADVISOR, later)
    crm.update(s, ADVISOR, due.customer.id, name="Li Wei", phone="138 0013 8000", email="li.wei@example.com",
               consent=True, note="", now=T0)  # fmt: skip
    reminders.send(s, ADVISOR, due.key, later)
    s.commit()
    with smtp_server() as box:
        settings = NotifySettings(smtp_host=box.host, smtp_port=box.port)
        worker = NotificationWorker(make_sessionmaker(make_engine(db_url)), settings, lambda: later)
        passed = worker.run_once()
        assert (passed.sent, passed.failed) == (1, 0), passed.errors
        (mail,) = box.messages
    assert mail["To"] == "li.wei@example.com"
    assert mail["Subject"] == "Service reminder for your vehicle VAN-1 (B-AB 101)"
    assert "Dear Li Wei," in mail.get_payload(decode=True).decode()
    s.expire_all()
    assert [status for _, _, status in reminders.sent(s, ADVISOR)] == ["sent"]


# -- supplier invoices and payables ------------------------------------------------------------------


def test_a_supplier_invoice_matches_the_receipts_and_is_paid_a_difference_needs_an_admin(world):
    s = world
    _part(s, qty=1)
    (po,) = purchasing.order_from_reorder_list(s, ADVISOR, T0)
    line = po.lines[0]  # 10 at 21.00
    purchasing.receive(s, ADVISOR, po.id, line.id, qty=4, bin_code="B-1", now=T0)
    kw = dict(invoice_date=date(2026, 3, 2), due_date=date(2026, 4, 1), now=T0)
    with pytest.raises(UserError, match="5 invoiced, but only 4 received and not yet invoiced"):
        payables.record(s, ADVISOR, po.id, number="BR-1", lines={line.id: (5, 2100)}, **kw)
    with pytest.raises(NotFound):
        payables.record(s, OTHER_ADVISOR, po.id, number="BR-1", lines={line.id: (4, 2100)}, **kw)
    with pytest.raises(Forbidden):
        payables.record(s, TECH, po.id, number="BR-1", lines={line.id: (4, 2100)}, **kw)
    first = payables.record(s, ADVISOR, po.id, number="BR-1", lines={line.id: (4, 2100)}, **kw)
    assert (first.gross_cents, first.difference_cents, payables.status(first)) == (8400, 0, "open")
    with pytest.raises(UserError, match="already recorded"):
        payables.record(s, ADVISOR, po.id, number="BR-1", lines={line.id: (0, 2100)}, **kw)
    with pytest.raises(UserError, match="0 received and not yet invoiced"):
        payables.record(s, ADVISOR, po.id, number="BR-2", lines={line.id: (1, 2100)}, **kw)
    with pytest.raises(UserError, match="at most the 84.00 outstanding"):
        payables.pay(s, ADVISOR, first.id, amount_cents=8401, method="transfer", now=T0)
    payables.pay(s, ADVISOR, first.id, amount_cents=8400, method="transfer", now=T0, reference="TT-1")
    assert payables.status(first) == "paid"

    purchasing.receive(s, ADVISOR, po.id, line.id, qty=6, bin_code="B-1", now=T0)
    second = payables.record(s, ADVISOR, po.id, number="BR-2", lines={line.id: (6, 2200)}, **kw)
    assert (second.gross_cents, second.difference_cents, payables.status(second)) == (
        13200,
        600,
        "difference",
    )
    with pytest.raises(UserError, match="an admin must accept the difference first"):
        payables.pay(s, ADVISOR, second.id, amount_cents=100, method="transfer", now=T0)
    with pytest.raises(Forbidden):
        payables.accept_difference(s, ADVISOR, second.id, T0)
    payables.accept_difference(s, ADMIN, second.id, T0)
    payables.pay(s, ADVISOR, second.id, amount_cents=3200, method="transfer", now=T0)
    owed = payables.payables(s, ADVISOR, T0 + timedelta(days=45))  # 14 days past the due date
    assert (owed.total_cents("CNY"), owed.by_currency["CNY"]["0-30"], owed.by_currency["CNY"]["not_due"]) == (
        10000,
        10000,
        0,
    )
    assert payables.payables(s, OTHER_ADVISOR, T0).by_currency == {}
    assert _actions(s, "supplier_invoice:") == [
        "supplier_invoice:recorded", "supplier_invoice:payment", "supplier_invoice:recorded",
        "supplier_invoice:difference_accepted", "supplier_invoice:payment",
    ]  # fmt: skip
    assert DISPATCHER.may("invoices") is False
