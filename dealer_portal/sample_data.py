"""A small, believable world for the demo, the screenshots and the browser tests: two dealers, their
staff, six vans around Berlin with live positions and driver states, alerts, parts, bookings, and a
few months of workshop history, written through the same domain functions the pages use.

    seed_sample(session, now) -> dict of user name -> password (demo accounts)
    create_sample_database(url, now) -> the same, after migrating a new database at `url`
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from dealer_portal.records import dispatch, parts, scrapping, vehicle_records
from dealer_portal.records import service_flow as flow
from dealer_portal.records.actor import Actor
from gateway.auth import create_user
from gateway.db.models import (
    Alert,
    Dealer,
    DriverEventRecord,
    ServiceAppointment,
    StatusMinute,
    Vehicle,
    VehicleLiveStatus,
)
from gateway.maintenance import REASON_BY_QUANTITY

USERS = [
    ("ada", "admin", None),
    ("dora", "dispatcher", None),
    ("sam", "service_advisor", "D1"),
    ("tim", "technician", "D1"),
    ("olga", "service_advisor", "D2"),
    ("otto", "technician", "D2"),
    ("sue", "salesperson", "D1"),
    ("max", "sales_manager", "D1"),
    ("sven", "sales_manager", "D2"),
]
ADMIN, DISPATCHER = Actor("ada", "admin"), Actor("dora", "dispatcher")
ADVISOR, OTHER_ADVISOR = Actor("sam", "service_advisor", "D1"), Actor("olga", "service_advisor", "D2")
# id, model, plate, VIN, purchased, dealer, lat, lon, online, speed, odometer, driver state
VANS = [
    (
        "VAN-1",
        "Ford Transit Custom",
        "B-DM 101",
        "WF0XXXTTGXKA00101",
        date(2021, 4, 12),
        "D1",
        52.5200,
        13.4050,
        True,
        42,
        61_250,
        [],
    ),
    (
        "VAN-2",
        "Ford Transit Custom",
        "B-DM 102",
        "WF0XXXTTGXKA00102",
        date(2021, 4, 12),
        "D1",
        52.4751,
        13.3650,
        True,
        0,
        58_900,
        [],
    ),
    (
        "VAN-3",
        "VW Crafter",
        "B-DM 203",
        "WV1ZZZSYZJ9000203",
        date(2019, 9, 2),
        "D1",
        52.5450,
        13.4890,
        True,
        88,
        143_400,
        ["drowsiness"],
    ),
    (
        "VAN-4",
        "VW Crafter",
        "B-DM 204",
        "WV1ZZZSYZJ9000204",
        date(2014, 2, 20),
        "D1",
        52.4930,
        13.2870,
        False,
        0,
        288_700,
        [],
    ),
    (
        "VAN-5",
        "Mercedes Sprinter",
        "B-DM 305",
        "W1V9076351P000305",
        date(2022, 6, 1),
        "D2",
        52.5610,
        13.3300,
        True,
        57,
        39_800,
        ["phone_use"],
    ),
    (
        "VAN-6",
        "Mercedes Sprinter",
        "B-DM 306",
        "W1V9076351P000306",
        date(2023, 1, 16),
        "D2",
        52.4410,
        13.4560,
        True,
        31,
        22_100,
        [],
    ),
]
PARTS = [
    ("OF-100", "Oil filter", 800, 1500, 4, 10, "Mann+Hummel", [("A-01", 12)]),
    ("BP-220", "Brake pads, front axle", 3200, 5900, 2, 6, "Brembo", [("B-03", 3), ("B-04", 1)]),
    ("WB-500", "Wiper blade set", 900, 1900, 5, 10, "Bosch", [("C-11", 5)]),
    ("AF-310", "Air filter", 1100, 2400, 3, 6, "Mann+Hummel", [("A-02", 7)]),
    ("SP-040", "Spark plug", 450, 990, 8, 20, "NGK", [("A-07", 24)]),
]


def password_for(username: str) -> str:
    return f"{username}-demo-pass"


def _vehicles(db: Session, now: datetime) -> None:
    for vid, model, plate, vin, bought, dealer, lat, lon, online, speed, km, events in VANS:
        db.add(
            Vehicle(
                vehicle_id=vid,
                model=model,
                plate=plate,
                vin=vin,
                purchase_date=bought,
                service_life_years=10,
                mileage_limit_km=300_000,
                dealer_code=dealer,
                status="active",
                archived=False,
                created_at=now - timedelta(days=400),
                updated_at=now,
            )
        )
        seen = now - (timedelta(seconds=5) if online else timedelta(hours=6))
        db.add(
            VehicleLiveStatus(
                vehicle_id=vid,
                presence="online" if online else "offline",
                presence_ts=seen,
                last_seen=seen,
                status_ts=seen,
                latitude=lat,
                longitude=lon,
                heading=90.0,
                speed_kmh=float(speed),
                odometer_km=float(km),
                fuel_pct=64.0,
                driver_id=f"drv-{vid[-1]}",
                driver_state={
                    "monitoring": True,
                    "is_eyes_on_road": not events,
                    "active_events": events,
                    "fatigue_level": 70.0 if "drowsiness" in events else 10.0,
                },
                driver_state_ts=seen,
                updated_at=seen,
            )
        )
    db.flush()


def _km(vehicle_id: str, days_ago: float) -> float:
    """The seeded vans drive a steady 35-85 km a day."""
    i = [v[0] for v in VANS].index(vehicle_id)
    return float(VANS[i][10] - days_ago * (35 + 10 * i))


def _driving_history(db: Session, now: datetime) -> None:
    """Odometer readings over five months and a few driver episodes per van, for the KPI page."""
    for i, (vid, *_) in enumerate(VANS):
        for day in (160, 80, 40, 1):
            vehicle_records.record_odometer(
                db, DISPATCHER, vid, _km(vid, day), now - timedelta(days=day), source="telemetry"
            )
        for k, kind in enumerate(("drowsiness", "phone_use", "long_distraction", "microsleep")[: 1 + i % 4]):
            db.add(
                DriverEventRecord(
                    msg_id=f"seed-{vid}-{k}",
                    vehicle_id=vid,
                    ts=now - timedelta(days=5 + 9 * k),
                    type=kind,
                    phase="start",
                    level=1,
                    episode_id=f"ep-{vid}-{k}",
                    details={},
                    driver_id=f"drv-{vid[-1]}",
                    received_at=now - timedelta(days=5 + 9 * k),
                )
            )


def _drives(db: Session, now: datetime) -> None:
    """Yesterday's drives of two vans in the per-minute status history (the vehicle page's trips, route
    and replay): a morning loop and an afternoon run, each ending in a stop."""
    day = datetime.combine((now - timedelta(days=1)).date(), datetime.min.time(), now.tzinfo)
    for vid, lat, lon in (("VAN-3", 52.4862, 13.4253), ("VAN-5", 52.5450, 13.3520)):
        for begin, minutes, heading in (
            (timedelta(hours=7, minutes=30), 42, 1.0),
            (timedelta(hours=13), 27, -1.0),
        ):
            for i in range(minutes + 1):
                moving = i < minutes
                angle = i / minutes * 3.1
                minute = day + begin + timedelta(minutes=i)
                db.add(
                    StatusMinute(
                        vehicle_id=vid,
                        minute=minute,
                        samples=12,
                        last_ts=minute + timedelta(seconds=55),
                        latitude=lat + heading * 0.02 * math.sin(angle),
                        longitude=lon + 0.035 * (1 - math.cos(angle)),
                        speed_n=12,
                        speed_mean_kmh=(28.0 + 12 * math.sin(i)) if moving else 0.0,
                        speed_max_kmh=(41.0 + 8 * math.sin(i)) if moving else 0.0,
                    )
                )


def _documents(db: Session, now: datetime) -> None:
    vehicle_records.add_document(
        db,
        DISPATCHER,
        "VAN-1",
        "Registration certificate",
        "VAN-1-registration.txt",
        "text/plain",
        b"Zulassungsbescheinigung Teil I, B-DM 101 (sample)\n",
        now - timedelta(days=390),
    )


def _alerts(db: Session, now: datetime) -> None:
    for vid, kind, level, ago in (("VAN-3", "drowsiness", 2, 40), ("VAN-5", "phone_use", 1, 95)):
        db.add(
            Alert(
                alert_key=f"event:{vid}:seed-{kind}",
                kind="driver_event",
                vehicle_id=vid,
                driver_id=f"drv-{vid[-1]}",
                type=kind,
                level=level,
                detail="",
                opened_at=now - timedelta(seconds=ago),
            )
        )


def _parts(db: Session, now: datetime) -> dict[str, int]:
    ids = {}
    for number, name, cost, price, rp, rq, supplier, bins in PARTS:
        part = parts.create_part(
            db,
            ADVISOR,
            number=number,
            name=name,
            unit_cost_cents=cost,
            unit_price_cents=price,
            reorder_point=rp,
            reorder_qty=rq,
            supplier=supplier,
            now=now - timedelta(days=200),
        )
        for bin_code, qty in bins:
            parts.receive(db, ADVISOR, part.id, bin_code, qty, now - timedelta(days=200))
        ids[number] = part.id
    return ids


# The history's customers (one record each, however often they come: records.customers dedupes on phone).
HISTORY_CUSTOMERS = {
    "VAN-1": ("Spree Logistics GmbH", "+49 30 1234567"),
    "VAN-2": ("Spree Logistics GmbH", "+49 30 1234567"),
    "VAN-3": ("Li Wei", "138 0013 8000"),
    "VAN-4": ("Li Wei", "138 0013 8000"),
}


def _history(db: Session, now: datetime, part_ids: dict[str, int]) -> None:
    """Settled work orders over the last months (one comeback), run through the real state machine."""
    jobs = [
        (150, "VAN-1", "oil service", 3, "OF-100"),
        (120, "VAN-2", "brake noise", 6, "BP-220"),
        (95, "VAN-3", "oil service", 2, "OF-100"),
        (100, "VAN-2", "brake noise again", 4, "BP-220"),
        (45, "VAN-4", "wipers and filters", 5, "WB-500"),
        (20, "VAN-1", "air filter", 8, "AF-310"),
        (8, "VAN-3", "spark plugs", 26, "SP-040"),
    ]
    for days_ago, vid, reason, hours, part in jobs:
        t = now - timedelta(days=days_ago)
        name, phone = HISTORY_CUSTOMERS[vid]
        order = flow.create_appointment(
            db,
            ADVISOR,
            vehicle_id=vid,
            scheduled_at=t,
            reason=reason,
            now=t,
            customer_name=name,
            customer_phone=phone,
        )
        flow.receive(db, ADVISOR, order.id, complaint=reason, odometer_km=_km(vid, days_ago), now=t)
        flow.add_item(
            db,
            ADVISOR,
            order.id,
            kind="labour",
            description=reason.capitalize(),
            quantity=1.5,
            unit_cents=9500,
            now=t,
        )
        flow.add_item(
            db,
            ADVISOR,
            order.id,
            kind="part",
            part_id=part_ids[part],
            quantity=2 if part != "SP-040" else 4,
            now=t,
            pay_type="warranty" if "again" in reason else "customer",
        )
        flow.estimate(db, ADVISOR, order.id, t)
        flow.open_work_order(db, ADVISOR, order.id, t)
        flow.assign(db, ADVISOR, order.id, "tim", t)
        flow.issue_parts(db, ADVISOR, order.id, t + timedelta(minutes=20))
        flow.quality_check(
            db, ADVISOR, order.id, passed=True, note="road test ok", now=t + timedelta(hours=hours - 1)
        )
        flow.settle(db, ADVISOR, order.id, t + timedelta(hours=hours))
        if reason == "oil service":
            order.kind = "maintenance"


def _open_work(db: Session, now: datetime, part_ids: dict[str, int]) -> None:
    db.add(
        ServiceAppointment(
            vehicle_id="VAN-1",
            dealer_code="D1",
            source="maintenance_rule",
            due_key="rule:1:VAN-1:3",
            # as the gateway writes it (gateway.maintenance), so it reads in the reader's language
            reason=REASON_BY_QUANTITY.format(
                name="Oil service", period="15000", unit="km", due="60000", value="59650"
            ),
            due_odometer_km=60_000,
            status="proposed",
            created_at=now - timedelta(hours=3),
            updated_at=now - timedelta(hours=3),
        )
    )
    db.flush()
    flow.import_proposals(db, now - timedelta(hours=3))
    order = flow.create_appointment(
        db,
        ADVISOR,
        vehicle_id="VAN-2",
        scheduled_at=now - timedelta(hours=2),
        reason="rattle from rear door",
        customer_name="Spree Logistics GmbH",
        customer_phone="+49 30 1234567",
        now=now - timedelta(days=1),
    )
    flow.receive(
        db,
        ADVISOR,
        order.id,
        complaint="rattle from rear door at low speed",
        odometer_km=58_950,
        now=now - timedelta(hours=2),
    )
    flow.add_item(
        db,
        ADVISOR,
        order.id,
        kind="labour",
        description="Adjust rear door hinges",
        quantity=1,
        unit_cents=9500,
        now=now - timedelta(hours=2),
    )
    flow.estimate(db, ADVISOR, order.id, now - timedelta(hours=1))
    flow.create_appointment(
        db,
        OTHER_ADVISOR,
        vehicle_id="VAN-5",
        scheduled_at=now + timedelta(days=2),
        reason="tyre change",
        customer_name="Havel Kurier",
        now=now - timedelta(hours=5),
    )


def _bookings(db: Session, now: datetime) -> None:
    start = now.replace(minute=0, second=0, microsecond=0)
    out = dispatch.book(
        db,
        DISPATCHER,
        vehicle_id="VAN-1",
        driver="Jonas Weber",
        purpose="deliveries Mitte",
        starts_at=start - timedelta(hours=2),
        ends_at=start + timedelta(hours=4),
        now=start - timedelta(hours=3),
    )
    dispatch.check_out(
        db,
        DISPATCHER,
        out.id,
        odometer_km=vehicle_records.latest_odometer(db, "VAN-1") + 12,
        fuel_pct=80,
        now=start - timedelta(hours=2),
    )
    dispatch.book(
        db,
        DISPATCHER,
        vehicle_id="VAN-3",
        driver="Mia Schulz",
        purpose="airport transfer",
        starts_at=start + timedelta(hours=1),
        ends_at=start + timedelta(hours=5),
        now=start - timedelta(hours=1),
    )
    dispatch.book(
        db,
        DISPATCHER,
        vehicle_id="VAN-6",
        driver="Lukas Braun",
        purpose="trade fair stand",
        starts_at=start + timedelta(days=1, hours=8),
        ends_at=start + timedelta(days=2, hours=18),
        now=start,
    )


def _scrap_request(db: Session, now: datetime) -> None:
    scrapping.request(
        db,
        DISPATCHER,
        vehicle_id="VAN-5",
        reason="accident damage, repair uneconomic",
        method="auction",
        paperwork="insurer's total-loss report TL-2026-1187; auction house Berlin-Spandau",
        now=now - timedelta(hours=20),
    )


def sample_vin(serial: int, wmi: str = "LSJ", vds: str = "A24U3") -> str:
    """A VIN with a valid check digit (position 9), model year R (2024), plant N."""
    from dealer_portal.records.stock import vin_check_digit

    vin = f"{wmi}{vds}0RN{serial:06d}"
    return vin[:8] + vin_check_digit(vin) + vin[9:]


# serial, dealer, model, configuration, colour, status, location, list price (cents), days in stock
NEW_VEHICLES = [
    (101, "D1", "Aurora SUV", "2.0T AWD Luxury", "Pearl white", "in_stock", "A-01", 24_980_000, 12),
    (102, "D1", "Aurora SUV", "2.0T AWD Luxury", "Graphite grey", "in_stock", "A-02", 24_980_000, 47),
    (103, "D1", "Aurora SUV", "1.5T FWD Comfort", "Ocean blue", "pdi_done", "A-03", 18_990_000, 118),
    (104, "D1", "Lumen EV", "Long range", "Silver", "ordered", "", 21_500_000, 0),
    (105, "D1", "Lumen EV", "Standard range", "Red", "ordered", "", 19_800_000, 0),
    (201, "D2", "Aurora SUV", "1.5T FWD Comfort", "Black", "in_stock", "B-07", 18_990_000, 30),
]


def _new_vehicles(db: Session, now: datetime) -> None:
    """New-vehicle stock of both dealers, and the maintenance rule of the model sold (it applies to a
    sold vehicle as soon as it is delivered onto the fleet side)."""
    from dealer_portal.records import stock
    from gateway.db.models import MaintenanceRule

    for serial, dealer, model, config, colour, status, place, price, days in NEW_VEHICLES:
        actor = ADVISOR if dealer == "D1" else OTHER_ADVISOR
        vehicle = stock.create(
            db,
            actor,
            vin=sample_vin(serial),
            model=model,
            configuration=config,
            colour=colour,
            location=place,
            status="ordered" if status == "ordered" else "in_stock",
            coc_number=f"WDZ{serial:08d}" if status != "ordered" else "",
            list_price_cents=price,
            now=now,
        )
        if status != "ordered":
            vehicle.arrived_at = now - timedelta(days=days)
        if status == "pdi_done":
            stock.record_pdi(db, actor, vehicle.id, set(stock.PDI_ITEMS), "", now - timedelta(days=days - 1))
    _yard(db, now)
    db.add(
        MaintenanceRule(
            name="Aurora SUV service every 10,000 km",
            model="Aurora SUV",
            type="km",
            start=5_000,
            period=10_000,
            lead=500,
            active=True,
            created_at=now,
        )
    )
    db.flush()


YARD_ZONES = [("D1", "A", 3, 6), ("D1", "U", 2, 5), ("D2", "B", 2, 8)]


def _yard(db: Session, now: datetime) -> None:
    """The dealers' yard zones; D1's three new vehicles in the yard stand in the first row of zone A."""
    from dealer_portal.records import yard
    from dealer_portal.records.sales_tables import StockVehicle

    for dealer, code, rows, slots in YARD_ZONES:
        actor = ADVISOR if dealer == "D1" else OTHER_ADVISOR
        yard.add_zone(db, actor, zone=code, name="", rows=rows, slots=slots, now=now)
    for slot, serial in enumerate((101, 102, 103), start=1):
        vehicle = db.query(StockVehicle).filter_by(vin=sample_vin(serial)).one()
        yard.move(db, ADVISOR, vehicle.id, zone="A", row=1, slot=slot, now=now)


def seed_sample(db: Session, now: datetime, *, password_rounds: int = 12) -> dict[str, str]:
    """Fill an empty, migrated database; returns the demo accounts (user name -> password)."""
    db.add_all([Dealer(code="D1", name="North Motors"), Dealer(code="D2", name="South Cars")])
    db.flush()
    for username, role, dealer in USERS:
        create_user(
            db, username, password_for(username), role, dealer_code=dealer, now=now, rounds=password_rounds
        )
    _vehicles(db, now)
    _driving_history(db, now)
    _drives(db, now)
    _alerts(db, now)
    _documents(db, now)
    part_ids = _parts(db, now)
    _history(db, now, part_ids)
    _open_work(db, now, part_ids)
    _bookings(db, now)
    _scrap_request(db, now)
    _new_vehicles(db, now)
    db.commit()
    return {u: password_for(u) for u, _, _ in USERS}


def create_sample_database(url: str, now: datetime, *, password_rounds: int = 12) -> dict[str, str]:
    """Migrate the (empty) database at `url` and fill it with the sample world."""
    from dealer_portal.migrate import upgrade
    from gateway.db.session import make_engine, make_sessionmaker

    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            return seed_sample(db, now, password_rounds=password_rounds)
    finally:
        engine.dispose()
