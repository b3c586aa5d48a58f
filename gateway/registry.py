"""Registering vehicles, dealers and maintenance rules: one code path for the API and the `dms` command."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from dms.contract.messages import VEHICLE_ID_PATTERN
from dms.errors import AlreadyExists, UserError
from dms.settings import describe_validation_error
from gateway.changes import record_changes
from gateway.db.models import Dealer, MaintenanceRule, Vehicle
from gateway.maintenance import RULE_LIMITS, rule_problem

VIN_PATTERN = r"^[A-HJ-NPR-Z0-9]{17}$"  # ISO 3779: 17 characters, no I, O or Q


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class VehicleFields(_In):
    vin: str | None = Field(None, pattern=VIN_PATTERN, description="17-character VIN (no I, O, Q).")
    plate: str | None = Field(None, min_length=1, max_length=20)
    model: str | None = Field(None, min_length=1, max_length=100)
    purchase_date: date | None = None
    service_life_years: int | None = Field(None, ge=1, le=50)
    mileage_limit_km: float | None = Field(None, gt=0)
    dealer_code: str | None = Field(None, min_length=1, max_length=32, description="Servicing dealer.")

    @field_validator("vin", mode="before")
    @classmethod
    def _upper_vin(cls, value):
        return value.strip().upper() if isinstance(value, str) else value


class VehicleIn(VehicleFields):
    vehicle_id: str = Field(pattern=VEHICLE_ID_PATTERN, description="Also the vehicle's MQTT topic level.")


class VehicleUpdate(VehicleFields):
    status: Literal["active", "in_maintenance", "retired"] | None = None
    archived: bool | None = None


# The widest range of any rule type; each type's own limits (gateway.maintenance.RULE_LIMITS) are
# checked on the whole rule (RuleIn here, update_rule for a PATCH, and again when the gateway loads it).
_MAX = max(max(v.start_max, v.period_max, v.lead_max) for v in RULE_LIMITS.values())
_LIMITS_DOC = "; ".join(
    f"{t}: start <= {v.start_max:g}, period {v.period_min:g}..{v.period_max:g}, lead <= {v.lead_max:g}"
    for t, v in RULE_LIMITS.items()
)


class RuleFields(_In):
    model_config = ConfigDict(allow_inf_nan=False)

    name: str | None = Field(None, min_length=1, max_length=100)
    model: str | None = Field(None, min_length=1, max_length=100)
    vehicle_id: str | None = Field(None, pattern=VEHICLE_ID_PATTERN)
    type: Literal["km", "engine_hours", "months"] | None = None
    start: float | None = Field(
        None,
        ge=0,
        le=_MAX,
        description=(f"First due point (km, hours or months). Limits per type: {_LIMITS_DOC}."),
    )
    period: float | None = Field(None, ge=1, le=_MAX, description="Interval between due points.")
    lead: float | None = Field(
        None, ge=0, le=_MAX, description=("Propose this far ahead (km, hours, or days for months).")
    )
    active: bool | None = None


class RuleIn(RuleFields):
    name: str = Field(min_length=1, max_length=100)
    type: Literal["km", "engine_hours", "months"]
    start: float = Field(0.0, ge=0, le=_MAX)
    period: float = Field(ge=1, le=_MAX)
    lead: float = Field(0.0, ge=0, le=_MAX)
    active: bool = True

    @model_validator(mode="after")
    def _within_type_limits(self) -> RuleIn:
        problem = rule_problem(self.type, self.start, self.period, self.lead)
        if problem is not None:
            raise ValueError(problem)
        return self


def parse(model: type[BaseModel], data: dict, source: str):
    """Validate user input; one UserError line on failure (the API maps pydantic errors itself)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UserError(describe_validation_error(exc, source)) from None


def ensure_dealer(db: Session, code: str, name: str | None = None) -> Dealer:
    dealer = db.get(Dealer, code)
    if dealer is None:
        dealer = Dealer(code=code, name=name or code)
        db.add(dealer)
        db.flush()
    elif name and dealer.name != name:
        dealer.name = name
    return dealer


def _check_refs(db: Session, dealer_code: str | None, vin: str | None, vehicle_id: str | None) -> None:
    if dealer_code is not None and db.get(Dealer, dealer_code) is None:
        raise UserError(f"unknown dealer {dealer_code!r}")
    if vin is not None:
        other = db.scalar(
            select(Vehicle.vehicle_id).where(Vehicle.vin == vin, Vehicle.vehicle_id != vehicle_id)
        )
        if other is not None:
            raise AlreadyExists(f"VIN {vin} is already registered to vehicle {other!r}")


def register_vehicle(db: Session, data: VehicleIn, *, now: datetime) -> Vehicle:
    if db.get(Vehicle, data.vehicle_id) is not None:
        raise AlreadyExists(f"vehicle {data.vehicle_id!r} is already registered")
    _check_refs(db, data.dealer_code, data.vin, data.vehicle_id)
    vehicle = Vehicle(**data.model_dump(), status="active", archived=False, created_at=now, updated_at=now)
    db.add(vehicle)
    db.flush()
    record_changes(db, [("vehicle", vehicle.vehicle_id, None)], now=now)
    return vehicle


def update_vehicle(db: Session, vehicle: Vehicle, data: VehicleUpdate, *, now: datetime) -> Vehicle:
    values = data.model_dump(exclude_unset=True)
    _check_refs(db, values.get("dealer_code"), values.get("vin"), vehicle.vehicle_id)
    for key, value in values.items():
        if value is None and key in ("status", "archived"):
            continue
        setattr(vehicle, key, value)
    vehicle.updated_at = now
    record_changes(db, [("vehicle", vehicle.vehicle_id, None)], now=now)
    return vehicle


def _check_rule(db: Session, rule: MaintenanceRule) -> None:
    if rule.model is None and rule.vehicle_id is None:
        raise UserError(
            "a maintenance rule applies to a vehicle model or to one vehicle: give model or vehicle_id"
        )
    # Not flushed first: an edited rule naming an unknown vehicle would fail its foreign key (a 500, found
    # by schemathesis) before this check could say so.
    with db.no_autoflush:
        unknown = rule.vehicle_id is not None and db.get(Vehicle, rule.vehicle_id) is None
    if unknown:
        raise UserError(f"unknown vehicle {rule.vehicle_id!r}")
    problem = rule_problem(rule.type, rule.start, rule.period, rule.lead)
    if problem is not None:  # a PATCH may change the type or one value of a valid rule
        raise UserError(problem)


def create_rule(db: Session, data: RuleIn, *, now: datetime) -> MaintenanceRule:
    rule = MaintenanceRule(**data.model_dump(), created_at=now)
    _check_rule(db, rule)
    db.add(rule)
    db.flush()
    record_changes(db, [("maintenance_rule", rule.vehicle_id, str(rule.id))], now=now)
    return rule


def update_rule(db: Session, rule: MaintenanceRule, data: RuleFields, *, now: datetime) -> MaintenanceRule:
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is None and key in ("name", "type", "start", "period", "lead", "active"):
            continue
        setattr(rule, key, value)
    _check_rule(db, rule)
    record_changes(db, [("maintenance_rule", rule.vehicle_id, str(rule.id))], now=now)
    return rule
