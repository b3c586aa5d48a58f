"""New-vehicle stock, sales and logistics: the domain rules on SQLite (issue #22)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from dealer_portal.forms import FieldError
from dealer_portal.records import logistics, sales, stock, used_cars
from dealer_portal.records.actor import Forbidden, NotFound
from dealer_portal.records.tables import AuditEntry, Customer
from dealer_portal.sample_data import sample_vin
from dms.errors import UserError
from gateway.db.models import MaintenanceRule, OdometerReading, Vehicle
from gateway.maintenance import rules_for
from tests.support.portal import (
    ADMIN,
    ADVISOR,
    DISPATCHER,
    OTHER_ADVISOR,
    OTHER_SALES,
    SALES,
    SALES_MANAGER,
    T0,
    TECH,
)

THRESHOLD = Decimal(3)
TRADE = used_cars.TradeIn("WVWZZZ1KZ6W000777", 98_000, "U-01", "rear bumper scratched")


def _in_stock(session, serial=1, price=20_000_000, actor=ADVISOR, model="Aurora SUV"):
    return stock.create(
        session,
        actor,
        vin=sample_vin(serial),
        model=model,
        configuration="1.5T",
        colour="white",
        location="a-01",
        status="in_stock",
        coc_number="wdz1",
        list_price_cents=price,
        now=T0,
    )


def _customer(session, dealer="D1"):
    customer = Customer(dealer_code=dealer, name="Li Wei", phone="138")
    session.add(customer)
    session.flush()
    return customer


def test_vin_check_digit_is_enforced_for_new_stock():
    assert stock.vin_check_digit("1M8GDM9AXKP042788") == "X"  # the textbook example
    assert stock.check_vin(" lsja24u33rn000101 ") == "LSJA24U33RN000101"
    with pytest.raises(FieldError, match="check digit .* should be 3"):
        stock.check_vin("LSJA24U30RN000101")
    with pytest.raises(FieldError, match="17 letters"):
        stock.check_vin("LSJA24U33RN00010I")


def test_stock_roles_dealers_and_ageing(world):
    vehicle = _in_stock(world)
    assert vehicle.location == "A-01" and vehicle.coc_number == "WDZ1"
    with pytest.raises(FieldError, match="already in stock"):
        _in_stock(world)
    for actor in (TECH, DISPATCHER):
        with pytest.raises(Forbidden):
            stock.get(world, actor, vehicle.id)
    with pytest.raises(NotFound):
        stock.get(world, OTHER_ADVISOR, vehicle.id)
    assert stock.days_in_stock(vehicle, T0 + timedelta(days=40, hours=3)) == 40
    ageing = stock.ageing(world, ADVISOR, T0 + timedelta(days=40))
    assert ageing.buckets["31–60"] == 1 and ageing.value_cents == 20_000_000
    assert stock.ageing(world, OTHER_ADVISOR, T0).value_cents == 0
    rows = world.scalars(stock.query(ADVISOR, status="on_yard", text="a-01")).all()
    assert rows == [vehicle]


def test_pdi_needs_every_item(world):
    vehicle = _in_stock(world)
    with pytest.raises(UserError, match="still open: .*Tyre"):
        stock.record_pdi(world, ADVISOR, vehicle.id, set(stock.PDI_ITEMS) - {"tyres"}, "", T0)
    stock.record_pdi(world, ADVISOR, vehicle.id, set(stock.PDI_ITEMS), "ok", T0)
    assert vehicle.status == "pdi_done" and vehicle.pdi_by == "sam"


def _sold(world, discount=0, threshold=THRESHOLD):
    vehicle = _in_stock(world)
    customer = _customer(world)
    lead = sales.create_lead(world, SALES, customer_id=customer.id, interest="Aurora SUV", now=T0)
    quote = sales.create_quote(
        world,
        SALES,
        lead.id,
        stock_vehicle_id=vehicle.id,
        options=sales.parse_options("Tow bar = 850.00\nMats = 99,90"),
        discount_cents=discount,
        trade_in_description="2015 sedan",
        trade_in_cents=3_000_000,
        threshold_pct=threshold,
        now=T0,
    )
    return vehicle, lead, quote


def test_quote_totals_are_exact_and_a_large_discount_waits_for_an_admin(world):
    vehicle, lead, quote = _sold(world, discount=700_000)  # 3.5 % of 200,949.90
    assert quote.options_cents == 94_990
    assert quote.total_cents == 20_000_000 + 94_990 - 700_000 - 3_000_000
    assert quote.discount_status == "pending" and lead.status == "quoted"
    with pytest.raises(UserError, match="waits for approval"):
        sales.sign_order(world, SALES, quote.id, 0, T0)
    with pytest.raises(Forbidden):
        sales.decide_discount(world, SALES, quote.id, True, "", T0)
    sales.decide_discount(world, SALES_MANAGER, quote.id, True, "end of quarter", T0)
    order = sales.sign_order(world, SALES, quote.id, 1_000_000, T0)
    assert order.number == f"SO-D1-{order.id:05d}" and vehicle.status == "reserved"
    assert sales.discount_needs_approval(10_000, 300, Decimal(3)) is False  # exactly 3 % passes
    assert sales.discount_needs_approval(10_000, 301, Decimal(3)) is True


def test_lead_needs_a_customer_of_the_own_dealer(world):
    other = _customer(world, "D2")
    with pytest.raises(NotFound):
        sales.create_lead(world, SALES, customer_id=other.id, interest="x", now=T0)
    with pytest.raises(Forbidden):
        sales.create_lead(world, TECH, customer_id=other.id, interest="x", now=T0)
    with pytest.raises(Forbidden):  # the workshop no longer sells
        sales.create_lead(world, ADVISOR, customer_id=_customer(world).id, interest="x", now=T0)


def test_delivery_needs_pdi_and_makes_a_fleet_vehicle_with_its_maintenance_rules(world):
    world.add(
        MaintenanceRule(
            name="10k",
            model="Aurora SUV",
            type="km",
            start=5000,
            period=10000,
            lead=500,
            active=True,
            created_at=T0,
        )
    )
    vehicle, _, quote = _sold(world)
    order = sales.sign_order(world, SALES, quote.id, 0, T0)
    handover = dict(vehicle_id="", plate="沪A·12345", odometer_km=12, received_by="Li Wei", now=T0)
    with pytest.raises(UserError, match="no passed PDI"):
        sales.deliver(world, SALES, order.id, checked=set(sales.HANDOVER_ITEMS), **handover)
    stock.record_pdi(world, ADVISOR, vehicle.id, set(stock.PDI_ITEMS), "", T0)
    assert vehicle.status == "reserved"  # PDI after the reservation keeps it reserved
    with pytest.raises(UserError, match="handover not complete"):
        sales.deliver(world, SALES, order.id, checked={"keys"}, **handover)
    with pytest.raises(NotFound):
        sales.deliver(world, OTHER_SALES, order.id, checked=set(sales.HANDOVER_ITEMS), **handover)
    with pytest.raises(FieldError, match="Trade-in: record the car"):
        sales.deliver(world, SALES, order.id, checked=set(sales.HANDOVER_ITEMS), **handover)
    sales.deliver(world, SALES, order.id, checked=set(sales.HANDOVER_ITEMS), trade_in=TRADE, **handover)
    world.commit()
    fleet = world.get(Vehicle, vehicle.vin)
    assert fleet.dealer_code == "D1" and fleet.model == "Aurora SUV" and fleet.plate == "沪A·12345"
    assert order.status == "delivered" and vehicle.status == "delivered" and vehicle.vehicle_id == vehicle.vin
    assert [r.name for r in rules_for(world, [fleet], ("km",))[fleet.vehicle_id]] == ["10k"]
    assert world.query(OdometerReading).filter_by(vehicle_id=fleet.vehicle_id).one().odometer_km == 12
    actions = {(e.action, e.entity) for e in world.query(AuditEntry)}
    assert {("sign", "sales_order"), ("deliver", "sales_order"), ("create", "vehicle")} <= actions


def test_cancel_frees_the_vehicle(world):
    vehicle, _lead, quote = _sold(world)
    order = sales.sign_order(world, SALES, quote.id, 0, T0)
    with pytest.raises(FieldError):
        sales.cancel_order(world, SALES, order.id, " ", T0)
    sales.cancel_order(world, SALES, order.id, "financing refused", T0)
    assert vehicle.status == "in_stock" and order.status == "cancelled"


def test_shipment_arrives_with_one_damaged_vehicle_a_claim_and_freight_settled(world):
    ordered = [
        stock.create(world, ADVISOR, vin=sample_vin(n), model="Lumen EV", status="ordered", now=T0)
        for n in (11, 12)
    ]
    with pytest.raises(FieldError, match="not on order"):
        logistics.create(
            world, OTHER_ADVISOR, waybill="w", carrier="c", vins=[ordered[0].vin], eta=None, now=T0
        )
    with pytest.raises(FieldError, match="appears twice"):
        logistics.parse_vins(f"{ordered[0].vin}\n{ordered[0].vin}")
    shipment = logistics.create(
        world,
        ADVISOR,
        waybill="wb-1",
        carrier="Anji Logistics",
        vins=logistics.parse_vins(" ".join(v.vin for v in ordered)),
        eta=T0 + timedelta(days=3),
        now=T0,
    )
    assert [v.status for v in ordered] == ["in_transit", "in_transit"]
    logistics.track(world, ADVISOR, shipment.id, "Wuhan rail yard", None, T0 + timedelta(days=1))
    first, second = shipment.items
    with pytest.raises(FieldError) as refused:
        logistics.receive(world, ADVISOR, shipment.id, {first.id: logistics.Finding("B-1")}, T0)
    assert f"location_{second.id}" in refused.value.errors
    with pytest.raises(UserError, match="after the shipment"):
        logistics.settle(world, ADVISOR, shipment.id, 100, T0)
    arrival = T0 + timedelta(days=3)
    logistics.receive(
        world,
        ADVISOR,
        shipment.id,
        {first.id: logistics.Finding("b-1"), second.id: logistics.Finding("B-2", "scratch on door", 120_000)},
        arrival,
    )
    assert [v.status for v in ordered] == ["in_stock", "in_stock"] and ordered[1].location == "B-2"
    assert second.claim_status == "claimed" and logistics.claims_cents(shipment) == 120_000
    with pytest.raises(FieldError):
        logistics.settle(world, ADVISOR, shipment.id, 100_000, arrival)
    logistics.settle(world, ADVISOR, shipment.id, 800_000, arrival)
    assert shipment.status == "settled" and shipment.freight_cents == 800_000
    assert second.claim_status == "deducted" and logistics.claims_cents(shipment) == 120_000
    with pytest.raises(NotFound):
        logistics.get(world, OTHER_ADVISOR, shipment.id)
    with pytest.raises(Forbidden):
        logistics.get(world, TECH, shipment.id)


def test_statistics_completion_rate_and_commission(world):
    from dealer_portal.records import sales_stats

    assert sales_stats.commission_cents(12_345, Decimal(1)) == 123
    assert sales_stats.commission_cents(50, Decimal(1)) == 1  # half a cent rounds up
    assert sales_stats.commission_cents(10_000, Decimal("1.25")) == 125
    vehicle, _, quote = _sold(world)
    order = sales.sign_order(world, SALES, quote.id, 0, T0)
    stock.record_pdi(world, ADVISOR, vehicle.id, set(stock.PDI_ITEMS), "", T0)
    later = T0 + timedelta(days=10)
    sales.deliver(
        world,
        SALES,
        order.id,
        vehicle_id="SUV-1",
        plate="P-1",
        odometer_km=5,
        received_by="Li",
        checked=set(sales.HANDOVER_ITEMS),
        now=later,
        trade_in=TRADE,
    )
    other = _in_stock(world, serial=2)
    lead = sales.create_lead(world, SALES, customer_id=_customer(world).id, interest="x", now=T0)
    q2 = sales.create_quote(
        world, SALES, lead.id, stock_vehicle_id=other.id, options=[], threshold_pct=THRESHOLD, now=T0
    )
    sales.cancel_order(world, SALES, sales.sign_order(world, SALES, q2.id, 0, T0).id, "changed mind", T0)
    result = sales_stats.stats(world, SALES, later, 365, Decimal(1))
    assert (result.orders, result.delivered, result.cancelled, result.completion_rate) == (2, 1, 1, 0.5)
    (sue,) = result.people
    assert (sue.leads, sue.orders, sue.revenue_cents) == (2, 2, order.total_cents)
    assert sue.commission_cents == sales_stats.commission_cents(order.total_cents, Decimal(1))
    assert result.mean_days_to_sale == 10 and result.on_yard == 1 and result.turnover == 1.0
    assert sales_stats.stats(world, OTHER_SALES, later, 365, Decimal(1)).orders == 0  # only their own
    assert sales_stats.stats(world, SALES_MANAGER, later, 365, Decimal(1)).orders == 2  # the whole desk
    with pytest.raises(Forbidden):
        sales_stats.stats(world, OTHER_ADVISOR, later, 365, Decimal(1))
    with pytest.raises(Forbidden):
        sales_stats.stats(world, TECH, later, 365, Decimal(1))


def test_stock_list_pages_keep_their_filters(world):
    from dealer_portal.paging import paginate

    for n in range(55):
        stock.create(world, ADVISOR, vin=sample_vin(1000 + n), model="Lumen EV", status="ordered", now=T0)
    query = stock.query(ADVISOR, status="ordered", model="Lumen EV", sort="vin")
    listing = paginate(world, query, 2, "/stock", {"status": "ordered", "model": "Lumen EV", "sort": "vin"})
    assert (listing.total, len(listing.rows), listing.pages) == (55, 5, 2)
    assert listing.url(page=1) == "/stock?status=ordered&model=Lumen+EV&sort=vin"
    assert listing.url(sort="oldest") == "/stock?status=ordered&model=Lumen+EV&sort=oldest"


def test_a_salesperson_works_their_own_leads_and_orders_the_manager_sees_all(world):
    vehicle, lead, quote = _sold(world, discount=700_000)
    for act in (
        lambda: sales.get_lead(world, OTHER_SALES, lead.id),
        lambda: sales.get_quote(world, OTHER_SALES, quote.id),
        lambda: sales.close_lead(world, OTHER_SALES, lead.id, "mine now", T0),
    ):
        with pytest.raises(NotFound):
            act()
    assert world.scalars(sales.leads(OTHER_SALES)).all() == []
    assert world.scalars(sales.leads(SALES)).all() == [lead]
    assert (
        world.scalars(sales.leads(SALES_MANAGER)).all() == [lead] == world.scalars(sales.leads(ADMIN)).all()
    )
    with pytest.raises(Forbidden):  # a salesperson does not approve their own discount
        sales.decide_discount(world, SALES, quote.id, True, "", T0)
    sales.decide_discount(world, SALES_MANAGER, quote.id, True, "", T0)
    order = sales.sign_order(world, SALES, quote.id, 0, T0)
    assert order.salesperson == "sue"
    with pytest.raises(NotFound):
        sales.get_order(world, OTHER_SALES, order.id)
    assert world.scalars(sales.orders(SALES_MANAGER)).all() == [order]
    with pytest.raises(Forbidden):  # the showroom reads the stock but the workshop does the PDI
        stock.record_pdi(world, SALES, vehicle.id, set(stock.PDI_ITEMS), "", T0)
    with pytest.raises(Forbidden):
        _in_stock(world, serial=9, actor=SALES)
    assert stock.get(world, SALES, vehicle.id) is vehicle
    for actor in (ADVISOR, TECH):
        with pytest.raises(Forbidden):
            sales.get_lead(world, actor, lead.id)


def test_the_contract_pdf_carries_chinese_text_the_vin_and_the_total(world):
    from dealer_portal.records import contract_pdf

    font = contract_pdf.cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (scripts/ensure_system_packages.sh installs fonts-wqy-zenhei)")
    vehicle, _lead, quote = _sold(world)
    order = sales.sign_order(world, SALES, quote.id, 1_000_000, T0)
    customer = world.get(Customer, order.customer_id)
    customer.name = "李伟"
    data = contract_pdf.render(order, customer, dealer_name="北方汽车 4S")
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page>") + data.count(b"/Type /Page ") >= 1
    assert vehicle.vin.encode() in data and order.number.encode() in data  # metadata: subject, keywords
    assert b"170,949.90" in data  # the total in the keywords: 200,000 + 949.90 - 30,000
    assert b"/FontFile2" in data  # the CJK font is embedded (a subset)
    with pytest.raises(contract_pdf.FontMissing, match="fonts-wqy-zenhei"):
        contract_pdf.render(order, customer, dealer_name="x", font=font.with_name("missing.ttc"))
    assert contract_pdf.cjk_font(()) is None


def test_a_trade_in_enters_used_stock_at_delivery_and_is_sold_again(world):
    vehicle, _lead, quote = _sold(world)
    order = sales.sign_order(world, SALES, quote.id, 0, T0)
    stock.record_pdi(world, ADVISOR, vehicle.id, set(stock.PDI_ITEMS), "", T0)
    with pytest.raises(FieldError, match="Trade-in VIN"):
        used_cars.parse("WVWZZZ1KZ6W00077", 98_000, "U-01", "")
    with pytest.raises(FieldError, match="Trade-in location"):
        used_cars.parse(TRADE.vin, 98_000, " ", "")
    bad = used_cars.TradeIn(vehicle.vin, 1, "U-01")  # the car being sold cannot be the one taken in
    handover = dict(vehicle_id="SUV-1", plate="P-1", odometer_km=5, received_by="Li", now=T0)
    with pytest.raises(FieldError, match="in stock records as reserved"):
        sales.deliver(world, SALES, order.id, checked=set(sales.HANDOVER_ITEMS), trade_in=bad, **handover)
    sales.deliver(world, SALES, order.id, checked=set(sales.HANDOVER_ITEMS), trade_in=TRADE, **handover)
    used = stock.by_vin(world, SALES, TRADE.vin)
    assert (used.condition, used.status, used.location, used.odometer_km) == (
        "used",
        "in_stock",
        "U-01",
        98_000,
    )
    assert (used.valuation_cents, used.source, used.model) == (3_000_000, order.number, "2015 sedan")
    assert "trade-in taken in: WVWZZZ1KZ6W000777" in order.handover
    assert world.scalars(stock.query(SALES, condition="used")).all() == [used]
    assert used not in world.scalars(stock.query(SALES, condition="new")).all()
    lead = sales.create_lead(world, SALES, customer_id=_customer(world).id, interest="used sedan", now=T0)
    with pytest.raises(FieldError, match="no list price"):  # the asking price comes first
        sales.create_quote(
            world, SALES, lead.id, stock_vehicle_id=used.id, options=[], threshold_pct=THRESHOLD, now=T0
        )
    stock.update(world, ADVISOR, used.id, location="U-01", coc_number="", list_price_cents=4_500_000, now=T0)
    q2 = sales.create_quote(
        world, SALES, lead.id, stock_vehicle_id=used.id, options=[], threshold_pct=THRESHOLD, now=T0
    )
    o2 = sales.sign_order(world, SALES, q2.id, 500_000, T0)
    stock.record_pdi(world, ADVISOR, used.id, set(stock.PDI_ITEMS), "used-car check", T0)
    again = dict(vehicle_id="SEDAN-7", plate="P-7", received_by="Wang", now=T0)
    with pytest.raises(FieldError, match="between 98,000 and 99,000 km"):
        sales.deliver(world, SALES, o2.id, checked=set(sales.HANDOVER_ITEMS), odometer_km=12, **again)
    sales.deliver(world, SALES, o2.id, checked=set(sales.HANDOVER_ITEMS), odometer_km=98_040, **again)
    fleet = world.get(Vehicle, "SEDAN-7")
    assert fleet.vin == TRADE.vin and used.status == "delivered" and o2.total_cents == 4_500_000
    # the same car traded in once more: its stock record comes back, its fleet record stays
    third = _in_stock(world, serial=5)
    lead3 = sales.create_lead(world, SALES, customer_id=_customer(world).id, interest="x", now=T0)
    q3 = sales.create_quote(
        world,
        SALES,
        lead3.id,
        stock_vehicle_id=third.id,
        options=[],
        trade_in_vin=TRADE.vin,
        trade_in_description="sedan back",
        trade_in_cents=2_000_000,
        threshold_pct=THRESHOLD,
        now=T0,
    )
    o3 = sales.sign_order(world, SALES, q3.id, 0, T0)
    stock.record_pdi(world, ADVISOR, third.id, set(stock.PDI_ITEMS), "", T0)
    back = used_cars.TradeIn(TRADE.vin, 120_000, "U-02")
    sales.deliver(
        world,
        SALES,
        o3.id,
        checked=set(sales.HANDOVER_ITEMS),
        odometer_km=3,
        trade_in=back,
        **again | {"vehicle_id": "SUV-5"},
    )
    assert stock.by_vin(world, SALES, TRADE.vin) is used and used.status == "in_stock"
    assert (used.odometer_km, used.valuation_cents, used.list_price_cents) == (120_000, 2_000_000, 0)
    stock.update(world, ADVISOR, used.id, location="U-02", coc_number="", list_price_cents=3_000_000, now=T0)
    lead4 = sales.create_lead(world, SALES, customer_id=_customer(world).id, interest="x", now=T0)
    q4 = sales.create_quote(
        world, SALES, lead4.id, stock_vehicle_id=used.id, options=[], threshold_pct=THRESHOLD, now=T0
    )
    o4 = sales.sign_order(world, SALES, q4.id, 0, T0)
    stock.record_pdi(world, ADVISOR, used.id, set(stock.PDI_ITEMS), "", T0)
    sales.deliver(
        world,
        SALES,
        o4.id,
        checked=set(sales.HANDOVER_ITEMS),
        odometer_km=120_010,
        **again | {"plate": "P-8"},
    )
    assert o4.vehicle_id == "SEDAN-7" and fleet.plate == "P-8"  # the known fleet record, a new plate


def test_orders_to_the_manufacturer_stay_within_the_dealer_credit(world):
    from dealer_portal.records import credit

    _in_stock(world, serial=1, price=20_000_000)  # in the yard, not sold: financed
    assert credit.of(world, "D1").limit_cents is None
    stock.create(world, ADVISOR, vin=sample_vin(2), model="Lumen EV", now=T0)  # no limit: not checked
    with pytest.raises(Forbidden):
        credit.set_limit(world, ADVISOR, "D1", 50_000_000, 90, T0)
    credit.set_limit(world, ADMIN, "D1", 50_000_000, 80, T0)
    with pytest.raises(FieldError, match="needed to check the dealer's credit"):
        stock.create(world, ADVISOR, vin=sample_vin(3), model="Lumen EV", now=T0)
    stock.create(world, ADVISOR, vin=sample_vin(3), model="Lumen EV", list_price_cents=20_000_000, now=T0)
    line = credit.of(world, "D1")
    assert (line.used_cents, line.available_cents) == (40_000_000, 10_000_000)
    assert "80 % of the limit; 100,000.00 left" in credit.warning(line)
    with pytest.raises(UserError, match="exceeded: 400,000.00 used \\+ 100,000.01 > limit 500,000.00"):
        stock.create(world, ADVISOR, vin=sample_vin(4), model="Lumen EV", list_price_cents=10_000_001, now=T0)
    stock.create(world, ADVISOR, vin=sample_vin(4), model="Lumen EV", list_price_cents=10_000_000, now=T0)
    assert credit.of(world, "D1").available_cents == 0  # exactly at the limit is allowed
    stock.create(  # a vehicle taken over already in stock is no order to the manufacturer
        world, ADVISOR, vin=sample_vin(5), model="Lumen EV", status="in_stock", location="A-9", now=T0
    )
    assert [c.dealer_code for c in credit.overview(world, ADMIN)] == ["D1", "D2"]
    assert [c.limit_cents for c in credit.overview(world, SALES)] == [50_000_000]
    with pytest.raises(FieldError, match="Warn from"):
        credit.set_limit(world, ADMIN, "D1", 1, 0, T0)


def test_transport_claims_are_submitted_accepted_or_rejected_and_paid_by_the_carrier(world):
    ordered = [
        stock.create(world, ADVISOR, vin=sample_vin(n), model="Lumen EV", status="ordered", now=T0)
        for n in (21, 22, 23)
    ]
    shipment = logistics.create(
        world, ADVISOR, waybill="wb-2", carrier="Anji", vins=[v.vin for v in ordered], eta=None, now=T0
    )
    a, b, c = shipment.items
    findings = {
        a.id: logistics.Finding("C-1", "dent in the roof", 300_000),
        b.id: logistics.Finding("C-2", "mirror broken", 50_000),
        c.id: logistics.Finding("C-3", "scratch", 20_000),
    }
    logistics.receive(world, ADVISOR, shipment.id, findings, T0)
    assert logistics.claims_cents(shipment) == 370_000
    with pytest.raises(FieldError, match="at most the claim"):
        logistics.decide_claim(world, ADVISOR, a.id, accept=True, amount_cents=300_001, note="", now=T0)
    logistics.decide_claim(world, ADVISOR, a.id, accept=True, amount_cents=250_000, note="AJ-C-77", now=T0)
    assert (a.claim_status, a.claim_cents) == ("accepted", 250_000)
    with pytest.raises(FieldError, match="Reason"):
        logistics.decide_claim(world, ADVISOR, b.id, accept=False, amount_cents=None, note=" ", now=T0)
    logistics.decide_claim(world, ADVISOR, b.id, accept=False, amount_cents=None, note="pre-existing", now=T0)
    with pytest.raises(UserError, match="not waiting for the carrier"):
        logistics.decide_claim(world, ADVISOR, b.id, accept=True, amount_cents=None, note="", now=T0)
    logistics.decide_claim(world, ADVISOR, c.id, accept=True, amount_cents=None, note="", now=T0)
    logistics.claim_paid(world, ADVISOR, c.id, "bank transfer 4711", T0)
    with pytest.raises(UserError, match="only an accepted claim"):
        logistics.claim_paid(world, ADVISOR, b.id, "", T0)
    assert (b.claim_status, c.claim_status) == ("rejected", "paid")
    assert logistics.claims_cents(shipment) == 250_000  # rejected and paid ones are not withheld
    logistics.settle(world, ADVISOR, shipment.id, 900_000, T0)
    assert [i.claim_status for i in shipment.items] == ["deducted", "rejected", "paid"]
    with pytest.raises(NotFound):
        logistics.decide_claim(world, OTHER_ADVISOR, a.id, accept=True, amount_cents=None, note="", now=T0)
    actions = {e.action for e in world.query(AuditEntry)}
    assert {"claim_accepted", "claim_rejected", "claim_paid"} <= actions
