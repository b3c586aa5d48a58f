"""Dispatch, parts, scrapping and vehicle records on SQLite."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dealer_portal.records import dispatch, parts, scrapping, service_flow, vehicle_records
from dealer_portal.records.actor import Forbidden, NotFound
from dealer_portal.records.vehicle_records import VehicleInput
from dms.errors import UserError
from gateway.db.models import Vehicle
from tests.support.portal import ADMIN, ADVISOR, DISPATCHER, OTHER_ADVISOR, T0, TECH

H = timedelta(hours=1)


def test_booking_conflict_is_refused_and_touching_windows_are_fine(world):
    s = world
    first = dispatch.book(
        s, DISPATCHER, vehicle_id="VAN-1", driver="Ana", starts_at=T0 + H, ends_at=T0 + 4 * H, now=T0
    )
    with pytest.raises(UserError, match=f"already booked by Ana .*#{first.id}"):
        dispatch.book(
            s, DISPATCHER, vehicle_id="VAN-1", driver="Ben", starts_at=T0 + 3 * H, ends_at=T0 + 5 * H, now=T0
        )
    dispatch.book(
        s, DISPATCHER, vehicle_id="VAN-1", driver="Ben", starts_at=T0 + 4 * H, ends_at=T0 + 5 * H, now=T0
    )
    dispatch.book(
        s, DISPATCHER, vehicle_id="VAN-2", driver="Cy", starts_at=T0 + 3 * H, ends_at=T0 + 5 * H, now=T0
    )
    with pytest.raises(UserError, match="end after it starts"):
        dispatch.book(
            s, DISPATCHER, vehicle_id="VAN-2", driver="Cy", starts_at=T0 + 9 * H, ends_at=T0 + 8 * H, now=T0
        )


def test_check_out_and_return_log_odometer_and_fuel(world):
    s = world
    booking = dispatch.book(
        s, DISPATCHER, vehicle_id="VAN-1", driver="Ana", starts_at=T0, ends_at=T0 + 8 * H, now=T0
    )
    dispatch.check_out(s, DISPATCHER, booking.id, odometer_km=1000, fuel_pct=80, now=T0 + H)
    with pytest.raises(UserError, match="below the last reading"):
        dispatch.return_vehicle(s, DISPATCHER, booking.id, odometer_km=900, fuel_pct=50, now=T0 + 5 * H)
    dispatch.return_vehicle(s, DISPATCHER, booking.id, odometer_km=1180, fuel_pct=55, now=T0 + 5 * H)
    assert (booking.status, booking.back_km - booking.out_km, booking.back_fuel_pct) == ("returned", 180, 55)
    assert [r.source for r in vehicle_records.odometer_history(s, "VAN-1")] == ["return", "checkout"]


def test_no_booking_in_maintenance_or_retired(world):
    s = world
    s.get(Vehicle, "VAN-1").status = "in_maintenance"
    s.get(Vehicle, "VAN-2").status = "retired"
    for vid, word in (("VAN-1", "in maintenance"), ("VAN-2", "retired")):
        with pytest.raises(UserError, match=word):
            dispatch.book(s, DISPATCHER, vehicle_id=vid, driver="Ana", starts_at=T0, ends_at=T0 + H, now=T0)
    with pytest.raises(Forbidden):
        dispatch.book(s, TECH, vehicle_id="VAN-1", driver="Ana", starts_at=T0, ends_at=T0 + H, now=T0)


def test_stock_receiving_returns_counts_and_reorder_list(world):
    s = world
    part = parts.create_part(
        s,
        ADVISOR,
        number="bp-1",
        name="Brake pads",
        unit_cost_cents=2000,
        unit_price_cents=3500,
        reorder_point=4,
        reorder_qty=10,
        now=T0,
    )
    parts.receive(s, ADVISOR, part.id, "A-1", 5, T0)
    parts.receive(s, ADVISOR, part.id, "b-2", 2, T0, unit_cost_cents=2100)
    parts.return_to_supplier(s, ADVISOR, part.id, "A-1", 1, T0, note="damaged")
    with pytest.raises(UserError, match="holds 2 of BP-1"):
        parts.return_to_supplier(s, ADVISOR, part.id, "B-2", 3, T0)
    parts.transfer(s, ADVISOR, part.id, "A-1", "C-9", 1, T0)
    parts.transfer(s, ADVISOR, part.id, "C-9", "A-1", 1, T0)
    with pytest.raises(UserError, match="two different bins"):
        parts.transfer(s, ADVISOR, part.id, "A-1", "a-1", 1, T0)
    result = parts.count(s, ADVISOR, part.id, "a-1", 1, T0)
    assert (result.book_qty, result.difference) == (4, -3)
    assert {lv.bin: lv.qty for lv in part.stock} == {"A-1": 1, "B-2": 2, "C-9": 0}
    (suggestion,) = parts.reorder_suggestions(s, ADVISOR)
    assert (suggestion.on_hand, suggestion.quantity, suggestion.cost_cents) == (3, 11, 11 * 2100)
    assert parts.catalogue(s, OTHER_ADVISOR) == []
    with pytest.raises(NotFound):
        parts.receive(s, OTHER_ADVISOR, part.id, "A-1", 1, T0)
    with pytest.raises(Forbidden):
        parts.catalogue(s, TECH)


def test_scrapping_flags_and_approval_retires(world):
    s = world
    flags = {f.vehicle.vehicle_id: f.reasons for f in scrapping.flagged(s, DISPATCHER, date(2026, 3, 2))}
    assert list(flags) == ["VAN-2"] and "service life of 10 years ended 2024-01-15" in flags["VAN-2"][0]
    vehicle_records.record_odometer(s, DISPATCHER, "VAN-1", 300_500, T0)
    assert "reached the limit" in scrapping.flagged(s, DISPATCHER, date(2026, 3, 2))[0].reasons[0]
    booking = dispatch.book(
        s, DISPATCHER, vehicle_id="VAN-2", driver="Ana", starts_at=T0 + H, ends_at=T0 + 2 * H, now=T0
    )
    with pytest.raises(UserError, match="disposal method"):
        scrapping.request(
            s, DISPATCHER, vehicle_id="VAN-2", reason="age", method="burn", paperwork="x", now=T0
        )
    req = scrapping.request(
        s,
        DISPATCHER,
        vehicle_id="VAN-2",
        reason="age",
        method="recycle",
        paperwork="deregistration cert. 42",
        now=T0,
    )
    with pytest.raises(Forbidden):
        scrapping.decide(s, DISPATCHER, req.id, approve=True, note="", now=T0)
    scrapping.decide(s, ADMIN, req.id, approve=True, note="ok", now=T0)
    assert s.get(Vehicle, "VAN-2").status == "retired" and booking.status == "cancelled"
    assert [f.vehicle.vehicle_id for f in scrapping.flagged(s, DISPATCHER, date(2026, 3, 2))] == ["VAN-1"]


def test_vehicle_records_validate_search_archive_and_export(world):
    s = world
    form = dict(
        vehicle_id="CAR-9",
        model="Octavia",
        plate="m-xy 9",
        vin="tmbjj7ne0k0000009",
        purchase_date="2025-06-01",
        service_life_years="6",
        mileage_limit_km="250000",
        dealer_code="",
    )
    data = VehicleInput.parse(form)
    assert (data.vin, data.plate, data.dealer_code) == ("TMBJJ7NE0K0000009", "M-XY 9", None)
    with pytest.raises(UserError, match="VIN: .*17 letters"):
        VehicleInput.parse({**form, "vin": "IOQ"})
    vehicle_records.create(s, ADVISOR, data, T0)
    assert s.get(Vehicle, "CAR-9").dealer_code == "D1"  # a dealer's staff create for their own dealer
    with pytest.raises(UserError, match="VIN TMBJJ7NE0K0000009 is already registered"):
        vehicle_records.create(s, ADMIN, VehicleInput.parse({**form, "vehicle_id": "CAR-10"}), T0)
    assert [v.vehicle_id for v in vehicle_records.search(s, ADVISOR, "octa")] == ["CAR-9"]
    vehicle_records.set_archived(s, ADVISOR, "CAR-9", True, T0)
    assert vehicle_records.search(s, ADVISOR, "octa") == []
    with pytest.raises(NotFound):
        vehicle_records.get(s, OTHER_ADVISOR, "CAR-9")
    csv_text = vehicle_records.export_csv(
        s, ADVISOR, vehicle_records.search(s, ADVISOR, include_archived=True)
    )
    assert csv_text.splitlines()[0].startswith("\ufeffFleet id,Model,Plate,VIN")
    assert len(csv_text.splitlines()) == 4
    doc = vehicle_records.add_document(
        s, ADVISOR, "CAR-9", "Registration", "reg card.pdf", "application/pdf", b"%PDF-1.4 x", T0
    )
    assert (doc.filename, doc.size) == ("reg_card.pdf", 10)


def test_workshop_blocks_check_out(world):
    s = world
    booking = dispatch.book(
        s, DISPATCHER, vehicle_id="VAN-1", driver="Ana", starts_at=T0 + H, ends_at=T0 + 2 * H, now=T0
    )
    order = service_flow.create_appointment(
        s, ADVISOR, vehicle_id="VAN-1", scheduled_at=T0, reason="noise", now=T0
    )
    service_flow.receive(s, ADVISOR, order.id, complaint="noise", odometer_km=10, now=T0)
    with pytest.raises(UserError, match="in maintenance"):
        dispatch.check_out(s, DISPATCHER, booking.id, odometer_km=10, fuel_pct=50, now=T0 + H)
