"""Messages and registrations for gateway tests (real contract objects, encoded as a vehicle would)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from dms.contract import DriverEvent, Presence, VehicleStatus, encode
from gateway.db.models import Dealer, MaintenanceRule, Vehicle
from gateway.db.session import session_scope

_ids = count()


def status(vehicle_id: str, ts: datetime, **signals) -> tuple[str, bytes]:
    names = {
        "odometer": "Vehicle.TraveledDistance",
        "speed": "Vehicle.Speed",
        "volts": "Vehicle.LowVoltageBattery.CurrentVoltage",
        "hours": "Vehicle.Powertrain.CombustionEngine.EngineHours",
        "dtcs": "Vehicle.Diagnostics.DTCList",
        "lat": "Vehicle.CurrentLocation.Latitude",
        "lon": "Vehicle.CurrentLocation.Longitude",
        "fuel": "Vehicle.Powertrain.FuelSystem.RelativeLevel",
    }
    msg = VehicleStatus(
        vehicle_id=vehicle_id,
        ts=ts,
        msg_id=f"st{next(_ids):08d}",
        signals={names[k]: v for k, v in signals.items()},
    )
    return encode(msg)


def event(
    vehicle_id: str,
    ts: datetime,
    type: str = "microsleep",
    level: int = 1,
    phase: str = "start",
    episode: str = "ep1",
    driver: str | None = None,
    session: str | None = None,
) -> tuple[str, bytes]:
    return encode(
        DriverEvent(
            vehicle_id=vehicle_id,
            ts=ts,
            msg_id=f"ev{next(_ids):08d}",
            type=type,
            level=level,
            phase=phase,
            episode_id=episode,
            driver_id=driver,
            driver_session_id=session,
        )
    )


def presence(vehicle_id: str, ts: datetime, state: str = "online") -> tuple[str, bytes]:
    return encode(Presence(vehicle_id=vehicle_id, ts=ts, msg_id=f"pr{next(_ids):08d}", state=state))


def register(
    sessions, *vehicle_ids: str, model: str = "Van", dealer: str = "D1", now: datetime, rules: list[dict] = ()
) -> None:
    with session_scope(sessions) as db:
        if db.get(Dealer, dealer) is None:
            db.add(Dealer(code=dealer, name=f"Dealer {dealer}"))
        for vid in vehicle_ids:
            db.add(
                Vehicle(
                    vehicle_id=vid,
                    model=model,
                    dealer_code=dealer,
                    status="active",
                    archived=False,
                    created_at=now,
                    updated_at=now,
                )
            )
        db.flush()
        for rule in rules:
            db.add(MaintenanceRule(created_at=now, active=True, **rule))


def later(t: datetime, seconds: float) -> datetime:
    return t + timedelta(seconds=seconds)


def submit_tick(uplinks, vehicles: list[str], tick: int, ts: datetime, event_every: int) -> tuple[int, int]:
    """One tick of a steady fleet through real uplinks: a status per vehicle, and a microsleep event
    every `event_every` ticks. Returns (statuses, events) submitted."""
    events = 0
    for up, vid in zip(uplinks, vehicles, strict=True):
        signals = {"Vehicle.Speed": 50.0, "Vehicle.TraveledDistance": 100 + tick}
        up.submit(VehicleStatus(vehicle_id=vid, msg_id=f"{vid}s{tick:06d}", ts=ts, signals=signals))
        if tick % event_every == 0:
            up.submit(
                DriverEvent(
                    vehicle_id=vid,
                    msg_id=f"{vid}e{tick:06d}",
                    ts=ts,
                    type="microsleep",
                    level=1,
                    episode_id=f"e{tick}",
                )
            )
            events += 1
    return len(vehicles), events
