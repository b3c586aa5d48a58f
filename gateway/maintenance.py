"""Maintenance triggers: Traccar-style rules, severe DTCs and a weak low-voltage battery.

A rule {type, start, period, lead} has due points start + k*period (k = 0, 1, ...) of its quantity
(odometer km, engine hours, or months after purchase). Occurrence k is proposed once the quantity
reaches due_k - lead. Each trigger becomes at most one `service_appointments` row, enforced by the
UNIQUE `due_key` (two gateways racing on the same occurrence: one insert wins, the other is a no-op).
"""
from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.changes import record_changes
from gateway.db.models import MaintenanceRule, ServiceAppointment, Vehicle
from gateway.db.upsert import insert_ignore, one_of

QUANTITY_UNITS = {"km": "km", "engine_hours": "h"}


def threshold_occurrence(start: float, period: float, lead: float, value: float) -> int | None:
    """The largest k whose proposal threshold start + k*period - lead is <= value (None: none yet)."""
    k = math.floor((value - start + lead) / period)
    return k if k >= 0 else None


def crossed_occurrence(rule: MaintenanceRule, old: float | None, new: float | None) -> int | None:
    """The occurrence whose threshold a reading moving from `old` to `new` crossed (the latest one when a
    jump crossed several). A first reading (old None) only sets the baseline: nothing is proposed."""
    if old is None or new is None or new <= old:
        return None
    k = threshold_occurrence(rule.start, rule.period, rule.lead, new)
    if k is None or rule.start + k * rule.period - rule.lead <= old:
        return None
    return k


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def calendar_occurrence(rule: MaintenanceRule, anchor: date, registered: date, today: date) -> tuple[int, date] | None:
    """(k, due date) of the latest months-rule occurrence whose threshold (due - lead days) has come,
    skipping occurrences that fell due before the vehicle was registered here."""
    k, found = 0, None
    while True:
        due = add_months(anchor, round(rule.start + k * rule.period))
        if due - timedelta(days=rule.lead) > today:
            break
        if due >= registered:
            found = (k, due)
        k += 1
    return found


def rules_for(db: Session, vehicles: list[Vehicle], types: tuple[str, ...]) -> dict[str, list[MaintenanceRule]]:
    """Active rules of the given types that apply to each vehicle (its own rules and its model's)."""
    if not vehicles:
        return {}
    ids = [v.vehicle_id for v in vehicles]
    models = sorted({v.model for v in vehicles if v.model})
    rules = db.scalars(select(MaintenanceRule).where(
        MaintenanceRule.active.is_(True), MaintenanceRule.type.in_(types),
        or_(one_of(db, MaintenanceRule.vehicle_id, ids), one_of(db, MaintenanceRule.model, models)))).all()
    out: dict[str, list[MaintenanceRule]] = {}
    for v in vehicles:
        out[v.vehicle_id] = [r for r in rules if r.vehicle_id == v.vehicle_id
                             or (r.vehicle_id is None and r.model is not None and r.model == v.model)]
    return out


@dataclass
class Proposals:
    """Appointment rows collected during one transaction; `commit` inserts the new ones."""

    now: datetime
    rows: list[dict[str, Any]]

    @classmethod
    def start(cls, now: datetime) -> Proposals:
        return cls(now, [])

    def add(self, vehicle: Vehicle, source: str, due_key: str, reason: str, *, rule_id: int | None = None,
            due_odometer_km: float | None = None, due_engine_hours: float | None = None,
            due_date: date | None = None) -> None:
        self.rows.append({"vehicle_id": vehicle.vehicle_id, "dealer_code": vehicle.dealer_code, "source": source,
                          "rule_id": rule_id, "due_key": due_key, "reason": reason,
                          "due_odometer_km": due_odometer_km, "due_engine_hours": due_engine_hours,
                          "due_date": due_date, "status": "proposed", "created_at": self.now,
                          "updated_at": self.now})

    def add_rule(self, vehicle: Vehicle, rule: MaintenanceRule, k: int, *, value: float | None = None,
                 due_date: date | None = None) -> None:
        due_key = f"rule:{rule.id}:{vehicle.vehicle_id}:{k}"
        if rule.type == "months":
            reason = f"{rule.name}: every {rule.period:g} months, due {due_date.isoformat()}"
            self.add(vehicle, "maintenance_rule", due_key, reason, rule_id=rule.id, due_date=due_date)
            return
        due = rule.start + k * rule.period
        unit = QUANTITY_UNITS[rule.type]
        reason = f"{rule.name}: every {rule.period:g} {unit}, due at {due:g} {unit} (now {value:g} {unit})"
        self.add(vehicle, "maintenance_rule", due_key, reason, rule_id=rule.id,
                 due_odometer_km=due if rule.type == "km" else None,
                 due_engine_hours=due if rule.type == "engine_hours" else None)

    def commit(self, db: Session) -> list[ServiceAppointment]:
        """Insert what is new (once per due_key) and return the appointments created now."""
        rows = list({r["due_key"]: r for r in self.rows}.values())
        ids = insert_ignore(db, ServiceAppointment.__table__, rows, returning=ServiceAppointment.id)
        if not ids:
            return []
        return list(db.scalars(select(ServiceAppointment).where(ServiceAppointment.id.in_(ids))))


def propose_calendar_due(db: Session, *, now: datetime) -> list[ServiceAppointment]:
    """Evaluate every active months rule against today's date (the gateway calls this periodically)."""
    vehicles = list(db.scalars(select(Vehicle).where(Vehicle.archived.is_(False), Vehicle.status != "retired")))
    proposals = Proposals.start(now)
    today = now.date()
    rules = rules_for(db, vehicles, ("months",))
    for vehicle in vehicles:
        for rule in rules.get(vehicle.vehicle_id, []):
            anchor = vehicle.purchase_date or vehicle.created_at.date()
            hit = calendar_occurrence(rule, anchor, vehicle.created_at.date(), today)
            if hit is not None:
                proposals.add_rule(vehicle, rule, hit[0], due_date=hit[1])
    created = proposals.commit(db)
    record_changes(db, [("appointment", a.vehicle_id, str(a.id)) for a in created], now=now)
    return created
