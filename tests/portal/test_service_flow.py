"""The service state machine on SQLite: the whole flow, refused transitions, stock, isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dealer_portal.records import parts
from dealer_portal.records import service_flow as flow
from dealer_portal.records.actor import Forbidden, NotFound
from dealer_portal.records.tables import ServiceTransition, StockMove
from dms.errors import UserError
from gateway.db.models import ServiceAppointment, Vehicle
from tests.support.portal import ADVISOR, OTHER_ADVISOR, T0, TECH


def _proposal(session) -> int:
    session.add(
        ServiceAppointment(
            vehicle_id="VAN-1",
            dealer_code=None,
            source="maintenance_rule",
            due_key="rule:1:VAN-1:1",
            reason="oil service due at 30,000 km",
            due_odometer_km=30_000,
            status="proposed",
            created_at=T0,
            updated_at=T0,
        )
    )
    session.commit()
    assert flow.import_proposals(session, T0) == 1
    assert flow.import_proposals(session, T0) == 0  # idempotent
    return flow.list_orders(session, ADVISOR)[0].id


def _oil_filter(session) -> int:
    part = parts.create_part(
        session,
        ADVISOR,
        number="of-100",
        name="Oil filter",
        unit_cost_cents=800,
        unit_price_cents=1500,
        reorder_point=2,
        reorder_qty=10,
        now=T0,
    )
    parts.receive(session, ADVISOR, part.id, "a-01", 3, T0)
    return part.id


def test_proposal_to_settlement_issues_parts_and_keeps_a_trail(world):
    s = world
    order_id, part_id = _proposal(s), _oil_filter(s)
    t = T0
    flow.confirm_proposal(s, ADVISOR, order_id, t + timedelta(days=1), t)
    flow.receive(
        s, ADVISOR, order_id, complaint="annual service, squeak front left", odometer_km=30_120, now=t
    )
    assert s.get(Vehicle, "VAN-1").status == "in_maintenance"
    flow.add_item(
        s, ADVISOR, order_id, kind="labour", description="Oil service", quantity=1.5, unit_cents=9000, now=t
    )
    flow.add_item(s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=2, now=t, pay_type="warranty")
    assert flow.estimate(s, ADVISOR, order_id, t).estimate_cents == 13500 + 3000
    flow.open_work_order(s, ADVISOR, order_id, t)
    flow.assign(s, ADVISOR, order_id, "tim", t)
    assert [o.id for o in flow.list_orders(s, TECH)] == [order_id]
    flow.issue_parts(s, ADVISOR, order_id, t)
    assert parts.get_part(s, ADVISOR, part_id).on_hand == 1
    flow.quality_check(s, ADVISOR, order_id, passed=True, note="road test ok", now=t)
    order = flow.settle(s, ADVISOR, order_id, t + timedelta(hours=5))
    s.commit()
    assert order.state == "settled" and order.invoice_cents == 13500  # the warranty part is not billed
    assert flow.invoice(order).by_pay_type == {"customer": 13500, "warranty": 3000, "internal": 0}
    assert s.get(Vehicle, "VAN-1").status == "active"
    assert s.get(ServiceAppointment, order.appointment_id).status == "done"
    trail = [(tr.from_state, tr.to_state) for tr in s.query(ServiceTransition).order_by(ServiceTransition.id)]
    assert trail == [
        (None, "proposed"),
        ("proposed", "booked"),
        ("booked", "received"),
        ("received", "estimated"),
        ("estimated", "ordered"),
        ("ordered", "assigned"),
        ("assigned", "parts_issued"),
        ("parts_issued", "checked"),
        ("checked", "settled"),
    ]
    assert s.query(StockMove).filter_by(kind="issue", order_id=order_id).one().delta == -2


def test_transitions_out_of_order_are_refused(world):
    s = world
    order_id = _proposal(s)
    with pytest.raises(UserError, match="cannot go to settled"):
        flow.settle(s, ADVISOR, order_id, T0)
    with pytest.raises(UserError, match="cannot go to reception"):
        flow.receive(s, ADVISOR, order_id, complaint="x", odometer_km=1, now=T0)
    flow.cancel(s, ADVISOR, order_id, "customer sold the car", T0)
    with pytest.raises(UserError, match="cancelled"):
        flow.confirm_proposal(s, ADVISOR, order_id, T0, T0)


def test_parts_shortage_leaves_stock_untouched_and_failed_check_sends_back(world):
    s = world
    order_id, part_id = _proposal(s), _oil_filter(s)
    flow.confirm_proposal(s, ADVISOR, order_id, T0, T0)
    flow.receive(s, ADVISOR, order_id, complaint="service", odometer_km=100, now=T0)
    flow.add_item(s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=5, now=T0)
    flow.estimate(s, ADVISOR, order_id, T0)
    flow.add_item(
        s, ADVISOR, order_id, kind="labour", description="extra", quantity=1, unit_cents=100, now=T0
    )
    with pytest.raises(UserError, match="update the estimate"):
        flow.open_work_order(s, ADVISOR, order_id, T0)
    assert flow.estimate(s, ADVISOR, order_id, T0).estimate_cents == 5 * 1500 + 100
    flow.open_work_order(s, ADVISOR, order_id, T0, pay_type="internal")
    flow.assign(s, ADVISOR, order_id, "tim", T0)
    with pytest.raises(UserError, match="not enough stock: OF-100"):
        flow.issue_parts(s, ADVISOR, order_id, T0)
    assert parts.get_part(s, ADVISOR, part_id).on_hand == 3
    with pytest.raises(UserError, match="issue the parts"):
        flow.quality_check(s, ADVISOR, order_id, passed=True, note="", now=T0)
    parts.receive(s, ADVISOR, part_id, "B-02", 2, T0)
    flow.issue_parts(s, ADVISOR, order_id, T0)
    assert parts.get_part(s, ADVISOR, part_id).on_hand == 0
    assert flow.quality_check(s, ADVISOR, order_id, passed=False, note="leak", now=T0).state == "assigned"
    assert flow.quality_check(s, ADVISOR, order_id, passed=True, note="", now=T0).state == "checked"
    assert flow.settle(s, ADVISOR, order_id, T0).invoice_cents == 0  # internal work


def test_technician_and_other_dealer_are_refused(world):
    s = world
    order_id = _proposal(s)
    with pytest.raises(NotFound):
        flow.get_order(s, OTHER_ADVISOR, order_id)
    assert flow.list_orders(s, OTHER_ADVISOR) == []
    with pytest.raises(Forbidden):
        flow.get_order(s, TECH, order_id)  # not assigned to him
    with pytest.raises(Forbidden):
        flow.confirm_proposal(s, TECH, order_id, T0, T0)
    flow.confirm_proposal(s, ADVISOR, order_id, T0, T0)
    flow.receive(s, ADVISOR, order_id, complaint="x", odometer_km=10, now=T0)
    flow.add_item(
        s, ADVISOR, order_id, kind="labour", description="check", quantity=1, unit_cents=100, now=T0
    )
    flow.estimate(s, ADVISOR, order_id, T0)
    flow.open_work_order(s, ADVISOR, order_id, T0)
    with pytest.raises(UserError, match="not an active technician of dealer D1"):
        flow.assign(s, ADVISOR, order_id, "olga", T0)


def test_flow_with_an_amendment_a_warranty_claim_and_a_paid_invoice(world):
    """The workshop's real day: an extra fault found mid-repair is added with the customer's approval, the
    warranty part is claimed from the manufacturer, and the customer pays the invoice."""
    from dealer_portal.records import invoices, warranty
    from dealer_portal.records import work_orders as wo

    s = world
    order_id, part_id = _proposal(s), _oil_filter(s)
    t = T0
    flow.confirm_proposal(s, ADVISOR, order_id, t, t)
    flow.receive(s, ADVISOR, order_id, complaint="oil service", odometer_km=30_050, now=t)
    flow.add_item(
        s, ADVISOR, order_id, kind="labour", description="Oil service", quantity=1, unit_cents=9000, now=t
    )
    flow.estimate(s, ADVISOR, order_id, t)
    flow.open_work_order(s, ADVISOR, order_id, t)
    flow.assign(s, ADVISOR, order_id, "tim", t)
    amendment = wo.add_line(
        s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=1, pay_type="warranty",
        approved_by="fleet manager", approval_method="phone", approved_at=t, now=t + timedelta(minutes=30),
    )  # fmt: skip
    assert (amendment.estimate_before_cents, amendment.estimate_after_cents) == (9000, 10500)
    wo.clock_on(s, TECH, order_id, t + timedelta(minutes=40))
    wo.clock_off(s, TECH, order_id, t + timedelta(minutes=100))
    flow.issue_parts(s, ADVISOR, order_id, t + timedelta(hours=2))
    flow.quality_check(s, ADVISOR, order_id, passed=True, note="ok", now=t + timedelta(hours=2))
    order = flow.settle(s, ADVISOR, order_id, t + timedelta(hours=3))
    assert order.invoice_cents == 9000  # the warranty part goes to the manufacturer
    claim = warranty.create(s, ADVISOR, order_id, t + timedelta(hours=3))
    assert claim.claimed_cents == 1500
    warranty.submit(s, ADVISOR, claim.id, t + timedelta(days=1))
    warranty.decide(s, ADVISOR, claim.id, accepted=True, note="", now=t + timedelta(days=3))
    warranty.parts_returned(s, ADVISOR, claim.id, "SF-1", t + timedelta(days=4))
    assert warranty.credit(s, ADVISOR, claim.id, 1500, t + timedelta(days=9)).state == "credited"
    invoice = invoices.for_order(s, ADVISOR, order_id)
    invoices.record_payment(
        s, ADVISOR, invoice.id, amount_cents=9000, method="alipay", now=t + timedelta(hours=3)
    )
    s.commit()
    assert invoices.status(invoice) == "paid" and invoice.gross_cents == 9000
    assert [a.action for a in wo.amendments(s, ADVISOR, order_id)] == ["add"]
