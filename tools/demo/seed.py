"""The demo's database: the portal's sample world plus the live demo vehicle and its maintenance rule."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from dealer_portal.migrate import upgrade
from dealer_portal.sample_data import USERS, password_for, seed_sample
from gateway.db.models import MaintenanceRule, User, Vehicle
from gateway.db.session import make_engine, make_sessionmaker, session_scope
from gateway.registry import RuleIn, VehicleIn, create_rule, register_vehicle

DEMO_MODEL = "Ford Transit Custom (demo)"


def seed_demo(db_url: str, *, vehicle_id: str, dealer_code: str) -> list[tuple[str, str, str]]:
    """Migrate and fill the database once; returns the demo accounts as (user, password, role).

    Idempotent: a second run on the same database adds nothing.
    """
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        now = datetime.now(UTC)
        with session_scope(make_sessionmaker(engine)) as db:
            if db.scalar(select(User).limit(1)) is None:
                seed_sample(db, now)
            if db.get(Vehicle, vehicle_id) is None:
                register_vehicle(
                    db,
                    VehicleIn(
                        vehicle_id=vehicle_id,
                        model=DEMO_MODEL,
                        plate="B-DM 001",
                        vin="WF0XXXTTGXKA00001",
                        dealer_code=dealer_code,
                        service_life_years=10,
                        mileage_limit_km=300_000,
                    ),
                    now=now,
                )
            if db.scalar(select(MaintenanceRule).where(MaintenanceRule.model == DEMO_MODEL)) is None:
                # The sample trip starts 5 km short of 15,000 km: within the 500 km lead, so the dealer
                # gets one service proposal as soon as the first status arrives.
                create_rule(
                    db,
                    RuleIn(
                        name="Oil service every 15,000 km",
                        model=DEMO_MODEL,
                        type="km",
                        start=15_000,
                        period=15_000,
                        lead=500,
                    ),
                    now=now,
                )
    finally:
        engine.dispose()
    return [
        (user, password_for(user), role + (f" at {dealer}" if dealer else "")) for user, role, dealer in USERS
    ]
