"""Issue #21 on SQLite: customers (dedupe, merge, complaints, consent), work-order amendments with the
customer's approval, promised time, labour clocking, and warranty claims with their state machine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dealer_portal.records import customers as crm
from dealer_portal.records import invoice_pdf, invoices, parts, pdf_fonts, purchasing, warranty
from dealer_portal.records import service_flow as flow
from dealer_portal.records import work_orders as wo
from dealer_portal.records.actor import Forbidden, NotFound
from dealer_portal.records.tables import AuditEntry, Customer, ServiceOrder
from dms.errors import UserError
from tests.support.portal import ADMIN, ADVISOR, OTHER_ADVISOR, T0, TECH


def _appointment(s, **customer) -> ServiceOrder:
    return flow.create_appointment(
        s, ADVISOR, vehicle_id="VAN-1", scheduled_at=T0, reason="brakes squeak", now=T0, **customer
    )


def _filter(s, qty=5) -> int:
    part = parts.create_part(
        s, ADVISOR, number="of-100", name="Oil filter", unit_cost_cents=800, unit_price_cents=1500,
        reorder_point=0, reorder_qty=0, now=T0,
    )  # fmt: skip
    parts.receive(s, ADVISOR, part.id, "A-01", qty, T0)
    return part.id


def _open_order(s, pay_type="customer") -> int:
    order = _appointment(s, customer_name="Li Wei", customer_phone="138 0013 8000")
    flow.receive(s, ADVISOR, order.id, complaint="brakes squeak", odometer_km=42_000, now=T0)
    flow.add_item(
        s, ADVISOR, order.id, kind="labour", description="Inspect brakes", quantity=1, unit_cents=20000,
        now=T0, pay_type=pay_type,
    )  # fmt: skip
    flow.estimate(s, ADVISOR, order.id, T0)
    flow.open_work_order(s, ADVISOR, order.id, T0)
    flow.assign(s, ADVISOR, order.id, "tim", T0)
    return order.id


def test_appointments_reuse_the_customer_with_the_same_phone_or_email(world):
    s = world
    first = _appointment(s, customer_name="Li Wei", customer_phone="138-0013-8000")
    second = _appointment(s, customer_name="Mr Li", customer_phone="13800138000")
    third = _appointment(s, customer_name="Wei", customer_email="LI@example.com")
    assert first.customer_id == second.customer_id
    assert third.customer_id != first.customer_id  # no phone, a new e-mail: a new customer
    fourth = _appointment(s, customer_email="li@example.com")
    assert fourth.customer_id == third.customer_id
    assert [c.name for c in crm.search(s, ADVISOR, "0013 8000")] == ["Li Wei"]
    assert [v.vehicle_id for v in crm.vehicles(s, ADVISOR, first.customer_id)] == ["VAN-1"]
    assert len(crm.orders(s, ADVISOR, first.customer_id)) == 2
    with pytest.raises(UserError, match="already has this phone"):
        crm.create(s, ADVISOR, name="Copy", phone="+138 0013 8000".lstrip("+"), now=T0)


def test_merge_moves_orders_vehicles_and_complaints_and_is_audited(world):
    s = world
    keep = crm.create(s, ADVISOR, name="Zhang San", phone="13900000001", now=T0)
    dup = crm.create(s, ADVISOR, name="Zhang S.", email="zs@example.com", now=T0)
    order = _appointment(s, customer_id=dup.id)
    complaint = crm.add_complaint(s, ADVISOR, dup.id, text="waited 2 hours", channel="phone", now=T0)
    crm.merge(s, ADVISOR, keep.id, dup.id, T0)
    s.commit()
    assert s.get(ServiceOrder, order.id).customer_id == keep.id
    assert keep.email == "zs@example.com" and dup.merged_into_id == keep.id
    assert crm.get(s, ADVISOR, dup.id).id == keep.id  # the old number leads to the kept record
    assert [c.id for c in crm.complaints(s, ADVISOR, keep.id)] == [complaint.id]
    assert [c.name for c in crm.search(s, ADVISOR, "zhang")] == ["Zhang San"]
    assert s.query(AuditEntry).filter_by(action="customer:merge").one().detail.startswith(f"merged #{dup.id}")
    crm.resolve_complaint(s, ADVISOR, complaint.id, "apologised, free car wash", T0)
    with pytest.raises(UserError, match="already resolved"):
        crm.resolve_complaint(s, ADVISOR, complaint.id, "again", T0)


def test_customer_consent_edit_and_isolation(world):
    s = world
    c = crm.create(s, ADVISOR, name="Wang", phone="13700000000", now=T0)
    crm.update(s, ADVISOR, c.id, name="Wang Fang", phone=c.phone, email="", consent=True, note="", now=T0)
    assert c.consent and c.consent_at == T0
    with pytest.raises(NotFound):
        crm.get(s, OTHER_ADVISOR, c.id)
    with pytest.raises(Forbidden):
        crm.search(s, TECH)
    with pytest.raises(UserError, match="E-mail"):
        crm.create(s, ADVISOR, name="X", email="not-an-address", now=T0)
    assert crm.search(s, OTHER_ADVISOR) == []


def test_amendment_adds_and_cancels_lines_with_approval_and_reestimates(world):
    s = world
    order_id, part_id = _open_order(s), _filter(s)
    t = T0 + timedelta(hours=1)
    with pytest.raises(UserError, match="amend the work order instead"):
        flow.add_item(s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=1, now=t)
    with pytest.raises(UserError, match="who approved"):
        wo.add_line(s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=1, approved_by=" ",
                    approval_method="phone", approved_at=t, now=t)  # fmt: skip
    added = wo.add_line(
        s, ADVISOR, order_id, kind="labour", description="Replace brake discs", quantity=2, unit_cents=15000,
        approved_by="Li Wei", approval_method="phone", approved_at=t, now=t,
    )  # fmt: skip
    assert (added.estimate_before_cents, added.estimate_after_cents) == (20000, 50000)
    wo.add_line(s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=2, approved_by="Li Wei",
                approval_method="in_person", approved_at=t, now=t)  # fmt: skip
    flow.issue_parts(s, ADVISOR, order_id, t)
    part_line = next(i for i in s.get(ServiceOrder, order_id).items if i.kind == "part")
    with pytest.raises(UserError, match="return it to stock"):
        wo.cancel_line(s, ADVISOR, order_id, part_line.id, approved_by="Li Wei", approval_method="phone",
                       approved_at=t, now=t)  # fmt: skip
    cancelled = wo.cancel_line(s, ADVISOR, order_id, added.item_id, approved_by="Li Wei",
                               approval_method="message", approved_at=t, now=t)  # fmt: skip
    order = s.get(ServiceOrder, order_id)
    assert order.estimate_cents == cancelled.estimate_after_cents == 20000 + 3000
    assert flow.invoice(order).customer_cents == 23000  # the cancelled line is not billed
    # a part added after the parts were issued sends the order back for issuing
    wo.add_line(s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=1, approved_by="Li Wei",
                approval_method="phone", approved_at=t, now=t)  # fmt: skip
    assert order.state == "assigned"
    assert [a.action for a in wo.amendments(s, ADVISOR, order_id)] == ["add", "add", "cancel", "add"]
    with pytest.raises(Forbidden):
        wo.add_line(s, TECH, order_id, kind="labour", description="x", quantity=1, unit_cents=1,
                    approved_by="me", approval_method="phone", approved_at=t, now=t)  # fmt: skip
    with pytest.raises(NotFound):
        wo.cancel_line(s, OTHER_ADVISOR, order_id, added.item_id, approved_by="x", approval_method="phone",
                       approved_at=t, now=t)  # fmt: skip


def test_promised_time_and_labour_clock(world):
    s = world
    order_id = _open_order(s)
    wo.promise(s, ADVISOR, order_id, T0 + timedelta(hours=6), T0)
    with pytest.raises(UserError, match="not in the past"):
        wo.promise(s, ADVISOR, order_id, T0 - timedelta(hours=1), T0)
    with pytest.raises(Forbidden):
        wo.clock_on(s, ADVISOR, order_id, T0)  # the advisor reads the clock, the technician clocks
    wo.clock_on(s, TECH, order_id, T0)
    with pytest.raises(UserError, match="clock off there first"):
        wo.clock_on(s, TECH, order_id, T0)
    wo.clock_off(s, TECH, order_id, T0 + timedelta(minutes=95))
    wo.clock_on(s, TECH, order_id, T0 + timedelta(hours=2))
    entries = wo.clock_entries(s, ADVISOR, order_id)
    assert wo.minutes_by_technician(entries, T0 + timedelta(hours=2, minutes=5)) == {"tim": 100}
    with pytest.raises(Forbidden):
        wo.promise(s, TECH, order_id, T0 + timedelta(hours=7), T0)


def test_warranty_claim_state_machine_parts_return_and_export(world):
    s = world
    part_id = _filter(s)
    order_id = _open_order(s, pay_type="warranty")
    wo.add_line(s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=1, pay_type="warranty",
                approved_by="Li Wei", approval_method="phone", approved_at=T0, now=T0)  # fmt: skip
    with pytest.raises(UserError, match="after the quality check"):
        warranty.create(s, ADVISOR, order_id, T0)
    flow.issue_parts(s, ADVISOR, order_id, T0)
    flow.quality_check(s, ADVISOR, order_id, passed=True, note="ok", now=T0)
    flow.settle(s, ADVISOR, order_id, T0)
    claim = warranty.create(s, ADVISOR, order_id, T0)
    assert claim.number == "WC-2026-00001" and claim.claimed_cents == 20000 + 1500
    with pytest.raises(UserError, match="no warranty line left"):
        warranty.create(s, ADVISOR, order_id, T0)
    with pytest.raises(UserError, match="cannot become credited"):
        warranty.credit(s, ADVISOR, claim.id, 100, T0)
    warranty.submit(s, ADVISOR, claim.id, T0)
    warranty.decide(s, ADVISOR, claim.id, accepted=True, note="", now=T0)
    with pytest.raises(UserError, match="return the claim's parts"):
        warranty.credit(s, ADVISOR, claim.id, 21500, T0)
    warranty.parts_returned(s, ADVISOR, claim.id, "SF1234567", T0)
    with pytest.raises(UserError, match="between 0 and the claimed"):
        warranty.credit(s, ADVISOR, claim.id, 99999, T0)
    warranty.credit(s, ADVISOR, claim.id, 21000, T0)
    exported = warranty.export(s, ADVISOR, claim.id)
    assert exported["claimed_amount"] == "215.00" and exported["credited_amount"] == "210.00"
    assert exported["vehicle"]["vin"] == "WVWZZZ1JZXW000001"
    assert [line["part_number"] for line in exported["lines"]] == [None, "OF-100"]
    with pytest.raises(NotFound):
        warranty.get(s, OTHER_ADVISOR, claim.id)
    with pytest.raises(Forbidden):
        warranty.claims(s, TECH)
    assert warranty.claims(s, ADMIN)[0].state == "credited"


def test_rejected_claim_needs_a_reason_and_can_be_reopened(world):
    s = world
    order_id = _open_order(s, pay_type="warranty")
    flow.quality_check(s, ADVISOR, order_id, passed=True, note="", now=T0)
    claim = warranty.create(s, ADVISOR, order_id, T0)
    warranty.submit(s, ADVISOR, claim.id, T0)
    with pytest.raises(UserError, match="why the manufacturer rejected"):
        warranty.decide(s, ADVISOR, claim.id, accepted=False, note="", now=T0)
    warranty.decide(s, ADVISOR, claim.id, accepted=False, note="outside warranty period", now=T0)
    assert warranty.reopen(s, ADVISOR, claim.id, T0).state == "draft"


def _settled(s, when=T0) -> ServiceOrder:
    order_id = _open_order(s)
    flow.quality_check(s, ADVISOR, order_id, passed=True, note="", now=when)
    return flow.settle(s, ADVISOR, order_id, when)


def test_settlement_issues_gapless_numbered_invoices_with_vat_per_dealer_and_year(world):
    s = world
    first, second = _settled(s), _settled(s)
    a, b = invoices.for_order(s, ADVISOR, first.id), invoices.for_order(s, ADVISOR, second.id)
    assert (a.number, b.number) == ("D1-2026-000001", "D1-2026-000002")
    assert a.gross_cents == 20000 and a.tax_cents == 2301 and a.net_cents == 17699  # 200 incl. 13 % VAT
    assert a.currency == "CNY" and [line.description for line in a.lines] == ["Inspect brakes"]
    assert a.customer_name == "Li Wei"
    next_year = _settled(s, T0.replace(year=2027))
    assert invoices.for_order(s, ADVISOR, next_year.id).number == "D1-2027-000001"
    assert invoices.tax_in(11300, 1300) == 1300 and invoices.tax_in(1, 1300) == 0


def test_payments_never_exceed_the_invoice_and_receivables_age(world):
    s = world
    invoice = invoices.for_order(s, ADVISOR, _settled(s).id)
    with pytest.raises(UserError, match="at most the 200.00 outstanding"):
        invoices.record_payment(s, ADVISOR, invoice.id, amount_cents=20001, method="cash", now=T0)
    with pytest.raises(UserError, match="Method"):
        invoices.record_payment(s, ADVISOR, invoice.id, amount_cents=100, method="barter", now=T0)
    invoices.record_payment(
        s, ADVISOR, invoice.id, amount_cents=5000, method="wechat", now=T0, reference="wx1"
    )
    assert invoices.status(invoice) == "part_paid"
    later = T0 + timedelta(days=40)
    owed = invoices.receivables(s, ADVISOR, later)
    assert owed.total_cents == 15000 and owed.by_age["31-60"] == 15000
    invoices.record_payment(s, ADVISOR, invoice.id, amount_cents=15000, method="card", now=later)
    assert invoices.status(invoice) == "paid" and invoices.receivables(s, ADVISOR, later).total_cents == 0
    with pytest.raises(NotFound):
        invoices.get(s, OTHER_ADVISOR, invoice.id)
    with pytest.raises(Forbidden):
        invoices.invoices(s, TECH)


def test_an_order_the_customer_pays_nothing_for_gets_no_invoice(world):
    s = world
    order_id = _open_order(s, pay_type="warranty")
    flow.quality_check(s, ADVISOR, order_id, passed=True, note="", now=T0)
    flow.settle(s, ADVISOR, order_id, T0)
    assert invoices.for_order(s, ADVISOR, order_id) is None


def test_invoice_pdf_with_the_cjk_font_and_without(world, monkeypatch):
    s = world
    order = _settled(s)
    s.get(Customer, order.customer_id).name = "李伟"
    invoice = invoices.for_order(s, ADVISOR, order.id)
    invoice.customer_name = "李伟"
    pdf = invoice_pdf.render(invoice, dealer_name="North Motors", vehicle="VAN-1", order_id=order.id)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
    if not invoice_pdf._font()[1]:
        pytest.skip("no CJK font installed (scripts/ensure_system_packages.sh installs fonts-wqy-zenhei)")
    monkeypatch.setattr(pdf_fonts, "CJK_FONTS", ())
    fallback = invoice_pdf.render(invoice, dealer_name="North Motors", vehicle="VAN-1", order_id=order.id)
    assert fallback.startswith(b"%PDF-")
    assert invoice_pdf._cleaner(False, False)("李伟 Müller") == "?? Müller"


def test_purchase_orders_from_the_reorder_list_received_against(world):
    s = world
    brake = parts.create_part(
        s, ADVISOR, number="bp-1", name="Brake pads", unit_cost_cents=2100, unit_price_cents=3900,
        reorder_point=3, reorder_qty=8, supplier="Brembo", now=T0,
    )  # fmt: skip
    wiper = parts.create_part(
        s, ADVISOR, number="wb-1", name="Wipers", unit_cost_cents=900, unit_price_cents=1900,
        reorder_point=2, reorder_qty=4, supplier="Bosch", now=T0,
    )  # fmt: skip
    parts.receive(s, ADVISOR, brake.id, "B-1", 1, T0)
    assert {n.part.number: n.quantity for n in purchasing.needs(s, ADVISOR)} == {"BP-1": 10, "WB-1": 6}
    made = purchasing.order_from_reorder_list(s, ADVISOR, T0)
    assert [(o.number, o.supplier) for o in made] == [("PO-2026-00001", "Bosch"), ("PO-2026-00002", "Brembo")]
    assert purchasing.needs(s, ADVISOR) == []  # all on order now
    with pytest.raises(UserError, match="nothing to order"):
        purchasing.order_from_reorder_list(s, ADVISOR, T0)
    po = made[1]
    line = po.lines[0]
    with pytest.raises(UserError, match="at most the 10 still open"):
        purchasing.receive(s, ADVISOR, po.id, line.id, qty=11, bin_code="B-1", now=T0)
    purchasing.receive(s, ADVISOR, po.id, line.id, qty=4, bin_code="B-1", now=T0)
    assert po.state == "partly_received" and parts.get_part(s, ADVISOR, brake.id).on_hand == 5
    with pytest.raises(UserError, match="nothing was received"):
        purchasing.cancel(s, ADVISOR, po.id, "late", T0)
    purchasing.receive(s, ADVISOR, po.id, line.id, qty=6, bin_code="b-2", now=T0, unit_cost_cents=2000)
    assert po.state == "received" and brake.unit_cost_cents == 2000
    assert purchasing.cancel(s, ADVISOR, made[0].id, "supplier cannot deliver", T0).state == "cancelled"
    assert [n.part.number for n in purchasing.needs(s, ADVISOR)] == ["WB-1"]  # cancelled: needed again
    with pytest.raises(NotFound):
        purchasing.get(s, OTHER_ADVISOR, po.id)
    with pytest.raises(Forbidden):
        purchasing.orders(s, TECH)
    assert wiper.on_hand == 0


def test_part_master_edit_changes_the_price_of_new_lines_only_and_counts_need_a_known_bin(world):
    s = world
    part_id = _filter(s)
    order_id = _open_order(s)
    part = purchasing.update_part(
        s, ADVISOR, part_id, name="Oil filter, long life", unit_cost_cents=900, unit_price_cents=1650,
        reorder_point=2, reorder_qty=6, supplier="Mann", now=T0,
    )  # fmt: skip
    assert part.unit_price_cents == 1650 and part.number == "OF-100"
    entry = s.query(AuditEntry).filter_by(action="part:edit").one()
    assert "unit_price_cents: 1500 -> 1650" in entry.detail
    wo.add_line(s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=1, approved_by="Li",
                approval_method="phone", approved_at=T0, now=T0)  # fmt: skip
    assert s.get(ServiceOrder, order_id).items[-1].unit_cents == 1650
    with pytest.raises(NotFound):
        purchasing.update_part(s, OTHER_ADVISOR, part_id, name="x", unit_cost_cents=1, unit_price_cents=1,
                               reorder_point=0, reorder_qty=0, supplier="", now=T0)  # fmt: skip
    with pytest.raises(UserError, match="never been in bin Z-9"):
        parts.count(s, ADVISOR, part_id, "z-9", 2, T0)
    assert parts.count(s, ADVISOR, part_id, "z-9", 2, T0, new_bin=True).difference == 2


def test_figures_by_period_revenue_parts_share_turnover_and_repair_share(world):
    from dealer_portal.records import finance_kpis as fk

    s = world
    part_id = _filter(s, qty=10)  # 10 filters at 8.00 cost in stock since T0
    order_id = _open_order(s)  # labour 200.00
    wo.add_line(s, ADVISOR, order_id, kind="part", part_id=part_id, quantity=2, approved_by="Li",
                approval_method="phone", approved_at=T0, now=T0)  # fmt: skip
    flow.issue_parts(s, ADVISOR, order_id, T0 + timedelta(days=1))
    flow.quality_check(s, ADVISOR, order_id, passed=True, note="", now=T0 + timedelta(days=1))
    flow.settle(s, ADVISOR, order_id, T0 + timedelta(days=1))
    invoice = invoices.for_order(s, ADVISOR, order_id)
    invoices.record_payment(
        s, ADVISOR, invoice.id, amount_cents=23000, method="cash", now=T0 + timedelta(days=2)
    )
    period = fk.Period.of_dates(T0.date() + timedelta(days=1), T0.date() + timedelta(days=30))
    f = fk.figures(s, ADVISOR, period)
    assert (f.gross_cents, f.labour_cents, f.parts_cents, f.invoices) == (23000, 20000, 3000, 1)
    assert f.tax_cents == invoices.tax_in(23000, 1300) and f.payments_cents == 23000
    assert round(f.parts_share_percent, 2) == round(100 * 3000 / 23000, 2)
    assert (f.parts_issued_cost_cents, f.stock_start_cents, f.stock_end_cents) == (1600, 8000, 6400)
    assert round(f.turnover_per_year, 3) == round(1600 / 7200 * 365 / 30, 3)
    assert (f.repairs, f.visits, f.repair_share_percent) == (1, 1, 100.0)
    assert fk.figures(s, OTHER_ADVISOR, period).gross_cents == 0
    with pytest.raises(UserError, match="on or after"):
        fk.Period.of_dates(T0.date(), T0.date() - timedelta(days=1))
    with pytest.raises(Forbidden):
        fk.figures(s, TECH, period)


def test_satisfaction_survey_after_settlement_feeds_the_kpi(world):
    from dealer_portal.records import finance_kpis as fk

    s = world
    order_id = _open_order(s)
    with pytest.raises(UserError, match="follows the settlement"):
        crm.record_survey(s, ADVISOR, order_id, score=5, comment="", channel="phone", now=T0)
    flow.quality_check(s, ADVISOR, order_id, passed=True, note="", now=T0)
    order = flow.settle(s, ADVISOR, order_id, T0)
    with pytest.raises(UserError, match="Score"):
        crm.record_survey(s, ADVISOR, order_id, score=6, comment="", channel="phone", now=T0)
    crm.record_survey(s, ADVISOR, order_id, score=4, comment="quick, friendly", channel="phone", now=T0)
    with pytest.raises(UserError, match="already answered"):
        crm.record_survey(s, ADVISOR, order_id, score=1, comment="", channel="phone", now=T0)
    second = _settled(s)
    crm.record_survey(s, ADVISOR, second.id, score=2, comment="waited too long", channel="message", now=T0)
    assert [x.score for x in crm.surveys(s, ADVISOR, order.customer_id)] == [2, 4]
    f = fk.figures(s, ADVISOR, fk.Period.of_dates(T0.date(), T0.date()))
    assert (f.satisfaction, f.satisfied_percent) == (3.0, 50.0)
    with pytest.raises(NotFound):
        crm.record_survey(s, OTHER_ADVISOR, order_id, score=5, comment="", channel="phone", now=T0)
    with pytest.raises(Forbidden):
        crm.record_survey(s, TECH, order_id, score=5, comment="", channel="phone", now=T0)


def test_counter_sale_takes_stock_invoices_and_records_the_payment(world):
    from dealer_portal.records import counter_sales

    s = world
    part_id = _filter(s, qty=3)
    with pytest.raises(UserError, match="not enough stock: OF-100"):
        counter_sales.sell(s, ADVISOR, [(part_id, 2), (part_id, 2)], T0)
    invoice = counter_sales.sell(
        s,
        ADVISOR,
        [(part_id, 2)],
        T0,
        customer_name="Walk-in Wu",
        customer_phone="13600000000",
        paid_by="cash",
    )
    assert invoice.number == "D1-2026-000001" and invoice.order_id is None
    assert (invoice.gross_cents, invoices.status(invoice)) == (3000, "paid")
    assert parts.get_part(s, ADVISOR, part_id).on_hand == 1
    assert [c.name for c in crm.search(s, ADVISOR, "13600000000")] == ["Walk-in Wu"]
    on_account = counter_sales.sell(s, ADVISOR, [(part_id, 1)], T0)
    assert on_account.number == "D1-2026-000002" and invoices.status(on_account) == "open"
    with pytest.raises(NotFound):
        counter_sales.sell(s, OTHER_ADVISOR, [(part_id, 1)], T0)
    with pytest.raises(Forbidden):
        counter_sales.sell(s, TECH, [(part_id, 1)], T0)
    with pytest.raises(UserError, match="at least one part"):
        counter_sales.sell(s, ADVISOR, [], T0)


def test_invoice_pdf_cuts_a_long_description_to_its_cell(world):
    s = world
    order = _settled(s)
    invoice = invoices.for_order(s, ADVISOR, order.id)
    invoice.lines[0].description = "Inspect brakes " * 20
    pdf = invoice_pdf.render(invoice, dealer_name="North Motors", vehicle="VAN-1", order_id=order.id)
    assert pdf.startswith(b"%PDF-")
