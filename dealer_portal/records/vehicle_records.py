"""Vehicle registration records: create, edit, search, archive, odometer log, documents, CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dealer_portal.forms import validation_field_errors
from dealer_portal.i18n import gettext as _
from dealer_portal.messages import AUDIT_DOCUMENT_BYTES, N_, Text, label
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.tables import VehicleDocument
from dealer_portal.records.uploads import document_fields
from dms.contract.messages import VEHICLE_ID_PATTERN
from dms.errors import UserError
from gateway.db.models import DriverEventRecord, OdometerReading, Vehicle
from gateway.registry import VIN_PATTERN, VehicleIn, VehicleUpdate, register_vehicle, update_vehicle

VIN_RE = re.compile(VIN_PATTERN)
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


class VehicleInput(BaseModel):
    """What a user enters for a vehicle (the form and the CSV import share it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    vehicle_id: str = Field(pattern=VEHICLE_ID_PATTERN, description="Fleet id, also the MQTT topic level")
    model: str = Field(min_length=1, max_length=80)
    plate: str = Field(min_length=1, max_length=20)
    vin: str
    purchase_date: date
    service_life_years: int = Field(8, ge=1, le=40)
    mileage_limit_km: int = Field(500_000, ge=1000, le=5_000_000)
    dealer_code: str | None = Field(None, max_length=32)

    @field_validator("vin")
    @classmethod
    def _vin(cls, value: str) -> str:
        value = value.upper()
        if not VIN_RE.match(value):
            raise ValueError(N_("a VIN has 17 letters or digits, without I, O or Q"))
        return value

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str) -> str:
        return value.upper()

    @classmethod
    def parse(cls, data: dict) -> VehicleInput:
        """Validate form data: each problem a human message on its field (a FieldError)."""
        cleaned = {k: (v if v != "" else None) for k, v in data.items() if k in cls.model_fields}
        cleaned = {k: v for k, v in cleaned.items() if v is not None or k == "dealer_code"}
        try:
            return cls.model_validate(cleaned)
        except ValidationError as exc:
            raise validation_field_errors(exc) from None


def get(session: Session, actor: Actor, vehicle_id: str) -> Vehicle:
    """A vehicle the actor may see: a dealer's staff see their dealer's vehicles only (one without a
    servicing dealer is the operator's, as in the API)."""
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None or not actor.sees_dealer(vehicle.dealer_code):
        raise NotFound(Text(N_("no vehicle {vehicle}"), vehicle=repr(vehicle_id)))
    return vehicle


def vehicle_row(session: Session, actor: Actor, model: type, row_id: int, what: str):
    """A row about a vehicle (booking, document, scrap request): visible exactly when its vehicle is."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(Text(N_("no {what} {id}"), what=Text(what), id=row_id))
    get(session, actor, row.vehicle_id)
    return row


def create(
    session: Session, actor: Actor, data: VehicleInput, now: datetime, *, area: str = "vehicles"
) -> Vehicle:
    """Register through the gateway's registry (one code path with the API and `dms vehicles`).
    `area`: the right that allows it; a sales delivery registers the sold vehicle under "sales"."""
    actor.require(area)
    if data.purchase_date > now.date():
        raise UserError(Text(N_("the purchase date lies in the future")))
    dealer = data.dealer_code if actor.sees_all_dealers else actor.dealer_code
    vehicle = register_vehicle(
        session, VehicleIn(**{**data.model_dump(), "dealer_code": dealer or None}), now=now
    )
    audit.record(
        session,
        actor,
        now,
        "create",
        "vehicle",
        data.vehicle_id,
        f"{data.model} {data.plate}",
        dealer_code=vehicle.dealer_code,
    )
    return vehicle


def update(session: Session, actor: Actor, vehicle_id: str, data: VehicleInput, now: datetime) -> Vehicle:
    actor.require("vehicles")
    vehicle = get(session, actor, vehicle_id)
    if data.vehicle_id != vehicle_id:
        raise UserError(Text(N_("the fleet id of a vehicle cannot change")))
    fields = data.model_dump(exclude={"vehicle_id", "dealer_code"})
    if actor.sees_all_dealers:  # a dealer's staff cannot hand a vehicle to another dealer
        fields["dealer_code"] = data.dealer_code or None
    changes = [
        f"{name}: {getattr(vehicle, name)} -> {value}"
        for name, value in fields.items()
        if getattr(vehicle, name) != value
    ]
    if changes:
        update_vehicle(session, vehicle, VehicleUpdate(**fields), now=now)
        audit.record(
            session,
            actor,
            now,
            "update",
            "vehicle",
            vehicle_id,
            "; ".join(changes),
            dealer_code=vehicle.dealer_code,
        )
    return vehicle


def set_archived(session: Session, actor: Actor, vehicle_id: str, archived: bool, now: datetime) -> Vehicle:
    actor.require("vehicles")
    vehicle = get(session, actor, vehicle_id)
    vehicle.archived = archived
    vehicle.updated_at = now
    audit.record(
        session,
        actor,
        now,
        "archive" if archived else "restore",
        "vehicle",
        vehicle_id,
        dealer_code=vehicle.dealer_code,
    )
    return vehicle


def search(session: Session, actor: Actor, text: str = "", include_archived: bool = False) -> list[Vehicle]:
    actor.require("vehicles")
    query = select(Vehicle).order_by(Vehicle.vehicle_id)
    if not actor.sees_all_dealers:
        query = query.where(Vehicle.dealer_code == actor.dealer_code)
    if not include_archived:
        query = query.where(Vehicle.archived.is_(False))
    if text.strip():
        like = f"%{text.strip().lower()}%"
        query = query.where(
            or_(
                *(
                    func.lower(col).like(like)
                    for col in (Vehicle.vehicle_id, Vehicle.plate, Vehicle.vin, Vehicle.model)
                )
            )
        )
    return list(session.scalars(query))


def driver_sessions(session: Session, vehicle_id: str, limit: int = 10) -> list[dict]:
    """The vehicle's latest driver sessions (newest first), each with its first and last event time and
    the driver-state episodes that started in it: which drive (and booking) an episode belongs to."""
    newest = (
        select(DriverEventRecord.driver_session_id, func.max(DriverEventRecord.ts).label("last"))
        .where(DriverEventRecord.vehicle_id == vehicle_id, DriverEventRecord.driver_session_id.is_not(None))
        .group_by(DriverEventRecord.driver_session_id)
        .order_by(func.max(DriverEventRecord.ts).desc())
        .limit(limit)
    )
    ids = [row[0] for row in session.execute(newest)]
    if not ids:
        return []
    rows = session.scalars(
        select(DriverEventRecord)
        .where(DriverEventRecord.vehicle_id == vehicle_id, DriverEventRecord.driver_session_id.in_(ids))
        .order_by(DriverEventRecord.ts, DriverEventRecord.id)
    )
    by_id: dict[str, dict] = {
        i: {"session_id": i, "first": None, "last": None, "episodes": [], "driver_id": None} for i in ids
    }
    for r in rows:
        s = by_id[r.driver_session_id]
        s["first"] = s["first"] or r.ts
        s["last"] = r.ts
        s["driver_id"] = s["driver_id"] or r.driver_id
        if r.phase == "start" and r.type != "driver_change":
            s["episodes"].append(r)
    return [by_id[i] for i in ids]


def latest_odometer(session: Session, vehicle_id: str) -> float | None:
    return session.scalar(
        select(OdometerReading.odometer_km)
        .where(OdometerReading.vehicle_id == vehicle_id)
        .order_by(OdometerReading.ts.desc(), OdometerReading.id.desc())
        .limit(1)
    )


def record_odometer(
    session: Session, actor: Actor, vehicle_id: str, km: float, at: datetime, source: str = "manual"
) -> OdometerReading:
    """Append a reading. An odometer never runs backwards: the value must lie between the readings
    before and after `at` (a reading may be entered late, e.g. from a paper log)."""
    vehicle = get(session, actor, vehicle_id)
    if km < 0:
        raise UserError(Text(N_("an odometer reading cannot be negative")))
    of_vehicle = OdometerReading.vehicle_id == vehicle_id
    before = session.scalar(
        select(func.max(OdometerReading.odometer_km)).where(of_vehicle, OdometerReading.ts <= at)
    )
    after = session.scalar(
        select(func.min(OdometerReading.odometer_km)).where(of_vehicle, OdometerReading.ts > at)
    )
    if before is not None and km < before:
        raise UserError(
            Text(
                N_("odometer {km} km is below the last reading {before} km"),
                km=f"{km:,.0f}",
                before=f"{before:,.0f}",
            )
        )
    if after is not None and km > after:
        raise UserError(
            Text(
                N_("odometer {km} km is above a later reading of {after} km"),
                km=f"{km:,.0f}",
                after=f"{after:,.0f}",
            )
        )
    reading = OdometerReading(
        vehicle_id=vehicle.vehicle_id, ts=at, odometer_km=km, source=source, created_at=at
    )
    session.add(reading)
    audit.record(
        session,
        actor,
        at,
        "odometer",
        "vehicle",
        vehicle_id,
        f"{km:.0f} km ({source})",
        dealer_code=vehicle.dealer_code,
    )
    return reading


def odometer_history(session: Session, vehicle_id: str) -> list[OdometerReading]:
    return list(
        session.scalars(
            select(OdometerReading)
            .where(OdometerReading.vehicle_id == vehicle_id)
            .order_by(OdometerReading.ts.desc(), OdometerReading.id.desc())
        )
    )


def add_document(
    session: Session,
    actor: Actor,
    vehicle_id: str,
    title: str,
    filename: str,
    content_type: str,
    data: bytes,
    now: datetime,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> VehicleDocument:
    actor.require("vehicles")
    vehicle = get(session, actor, vehicle_id)
    fields = document_fields(title, filename, content_type, data, max_bytes)
    document = VehicleDocument(vehicle_id=vehicle_id, uploaded_at=now, uploaded_by=actor.username, **fields)
    session.add(document)
    audit.record(
        session,
        actor,
        now,
        "upload",
        "vehicle",
        vehicle_id,
        AUDIT_DOCUMENT_BYTES.format(file=fields["filename"], size=len(data)),
        dealer_code=vehicle.dealer_code,
    )
    return document


def document(session: Session, actor: Actor, document_id: int) -> VehicleDocument:
    return vehicle_row(session, actor, VehicleDocument, document_id, N_("document"))


# What a user types into a vehicle record (the create/edit form); the CSV adds what the system keeps.
EDITABLE_FIELDS = (
    "vehicle_id",
    "model",
    "plate",
    "vin",
    "purchase_date",
    "service_life_years",
    "mileage_limit_km",
    "dealer_code",
)
# The CSV export's columns, always in this order (a script can read them by position), each with
# the header people read in their language; a number column names its unit.
CSV_COLUMNS = {
    "vehicle_id": N_("Fleet id"),
    "model": N_("Model"),
    "plate": N_("Plate"),
    "vin": N_("VIN"),
    "purchase_date": N_("Purchase date (YYYY-MM-DD)"),
    "service_life_years": N_("Service life (years)"),
    "mileage_limit_km": N_("Mileage limit (km)"),
    "dealer_code": N_("Dealer"),
    "status": N_("Status"),
    "odometer_km": N_("Odometer (km)"),
    "archived": N_("Archived"),
}
CSV_NUMBERS_NOTE = N_(
    "The CSV's headers and states are in your language; its numbers stay machine-readable: "
    "a decimal point, no thousands separators, dates as YYYY-MM-DD."
)
# Excel opens a CSV without this mark in the system's code page (GBK in China): Chinese headers garbled.
UTF8_BOM = "\ufeff"


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...) exfiltrates data).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet shows as text: a leading apostrophe defuses a formula (OWASP)."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def export_csv(session: Session, actor: Actor, vehicles: list[Vehicle]) -> str:
    """The vehicles as CSV for a spreadsheet, in the reader's language (headers, status, yes/no);
    numbers and dates machine-readable in every language (see CSV_NUMBERS_NOTE)."""
    out = io.StringIO()
    out.write(UTF8_BOM)
    writer = csv.writer(out)
    writer.writerow(_(header) for header in CSV_COLUMNS.values())
    for v in vehicles:
        km = latest_odometer(session, v.vehicle_id)
        writer.writerow(
            spreadsheet_safe(cell)
            for cell in [
                v.vehicle_id,
                v.model or "",
                v.plate or "",
                v.vin or "",
                v.purchase_date.isoformat() if v.purchase_date else "",
                v.service_life_years or "",
                f"{v.mileage_limit_km:.0f}" if v.mileage_limit_km else "",
                v.dealer_code or "",
                label(v.status),
                "" if km is None else f"{km:.0f}",
                _(N_("yes")) if v.archived else _(N_("no")),
            ]
        )
    return out.getvalue()
