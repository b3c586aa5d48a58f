"""Export a dealer's records in the exchange format, and import a file with a validation report.

Export (upload to the manufacturer): the dealer's sales orders, its stock, the warranty lines of its
finished work orders as claims, and its parts reorder list as a parts order.

Import (download from the manufacturer): stock records are applied, a new VIN becomes a stock vehicle
(ordered, in transit or in stock as sent; one sent as PDI done arrives in stock, since the PDI is the
dealer's own record; reserved or delivered vehicles are the dealer's own business and are refused), a known VIN of the same dealer gets the manufacturer's certificate number
and list price. Orders sent back are the manufacturer's confirmations of the dealer's sales orders: one
whose number, VIN and total match a sales order of this dealer marks it confirmed; any other is
rejected with the reason. Warranty claims and parts orders are the dealer's uploads: an import checks
them record by record and reports them, but the portal keeps no manufacturer-side copy.

Every record is validated on its own; the report lists each rejected one with its place in the file
(`stock[3]`), its key (VIN, number) and why."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.exchange.models import FORMAT, KINDS, VERSION, OrderRecord, StockRecord
from dealer_portal.messages import AUDIT_BY_MANUFACTURER, N_, Text
from dealer_portal.records import audit, parts, stock
from dealer_portal.records.actor import Actor
from dealer_portal.records.sales_tables import SalesOrder, StockVehicle
from dealer_portal.records.tables import ServiceOrder
from dms.errors import UserError
from gateway.db.models import Vehicle

WARRANTY_DONE = ("checked", "settled")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def export(session: Session, actor: Actor, now: datetime, dealer_code: str | None = None) -> dict:
    """The dealer's records as one exchange file (a dict ready for json.dumps)."""
    actor.require("exchange")
    dealer = actor.own_dealer(dealer_code)
    orders = session.scalars(
        select(SalesOrder)
        .join(StockVehicle, SalesOrder.stock_vehicle_id == StockVehicle.id)
        .where(SalesOrder.dealer_code == dealer, StockVehicle.condition == "new")
        .order_by(SalesOrder.id)
    )
    vehicles = session.scalars(
        select(StockVehicle)  # new vehicles: used cars taken in are the dealer's own business
        .where(StockVehicle.dealer_code == dealer, StockVehicle.condition == "new")
        .order_by(StockVehicle.vin)
    )
    work = session.scalars(
        select(ServiceOrder)
        .where(ServiceOrder.dealer_code == dealer, ServiceOrder.state.in_(WARRANTY_DONE))
        .order_by(ServiceOrder.id)
    )
    claims = []
    for order in work:
        lines = [i for i in order.items if i.pay_type == "warranty"]
        vin = session.scalar(select(Vehicle.vin).where(Vehicle.vehicle_id == order.vehicle_id))
        if not lines or not vin:
            continue
        labour = sum(i.total_cents for i in lines if i.kind == "labour")
        part_sum = sum(i.total_cents for i in lines if i.kind != "labour")
        claims.append(
            {
                "claim_number": f"WO-{dealer}-{order.id:05d}",
                "vin": vin,
                "odometer_km": order.odometer_km,
                "complaint": order.complaint or order.reason,
                "repaired_at": _iso(order.settled_at or order.received_at),
                "labour_cents": labour,
                "parts_cents": part_sum,
                "amount_cents": labour + part_sum,
            }
        )
    dealer_actor = Actor(actor.username, actor.role, dealer)
    reorder = parts.reorder_suggestions(session, dealer_actor) if dealer_actor.may("parts") else []
    return {
        "format": FORMAT,
        "version": VERSION,
        "dealer_code": dealer,
        "generated_at": _iso(now),
        "orders": [
            {
                "number": o.number,
                "vin": o.vehicle.vin,
                "model": o.vehicle.model,
                "configuration": o.vehicle.configuration,
                "colour": o.vehicle.colour,
                "status": o.status,
                "signed_at": _iso(o.signed_at),
                "delivered_at": _iso(o.delivered_at),
                "total_cents": o.total_cents,
                "salesperson": o.salesperson,
            }
            for o in orders
        ],
        "stock": [
            {
                "vin": v.vin,
                "model": v.model,
                "configuration": v.configuration,
                "colour": v.colour,
                "status": v.status,
                "location": v.location,
                "coc_number": v.coc_number,
                "list_price_cents": v.list_price_cents,
                "arrived_at": _iso(v.arrived_at),
            }
            for v in vehicles
        ],
        "warranty_claims": claims,
        "parts_orders": [
            {
                "part_number": s.part.number,
                "name": s.part.name,
                "quantity": s.quantity,
                "unit_cost_cents": s.part.unit_cost_cents,
            }
            for s in reorder
        ],
    }


def dumps(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@dataclass
class Rejected:
    where: str
    key: str
    reason: str


@dataclass
class Report:
    """What an import did: per kind how many records were accepted, and every rejected record."""

    accepted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    created: int = 0
    updated: int = 0
    confirmed: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def lines(self) -> list[str]:
        out = [
            "accepted: " + ", ".join(f"{kind} {n}" for kind, n in self.accepted.items()),
            f"stock applied: {self.created} new, {self.updated} updated",
            f"sales orders confirmed by the manufacturer: {self.confirmed}",
            f"rejected: {len(self.rejected)}",
        ]
        out += [f"  {r.where} {r.key}: {r.reason}" for r in self.rejected]
        return out


def _reason(exc: ValidationError) -> str:
    """A validation error as one readable line: field: problem; ..."""
    parts_ = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "record"
        message = err["msg"].removeprefix("Value error, ")
        parts_.append(f"{where}: {message}")
    return "; ".join(parts_)


def read(text: str | bytes) -> dict:
    """The file's JSON object with a known envelope, or one UserError saying why not."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(Text(N_("not a JSON file: {error}"), error=str(exc))) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise UserError(
            Text(N_("not a {format} file (the 'format' field is missing or different)"), format=FORMAT)
        )
    if document.get("version") != VERSION:
        raise UserError(
            Text(
                N_("exchange format version {version} is not supported (this reads {supported})"),
                version=repr(document.get("version")),
                supported=VERSION,
            )
        )
    unknown = set(document) - {"format", "version", "dealer_code", "generated_at", *KINDS}
    if unknown:
        raise UserError(Text(N_("unknown fields in the file: {fields}"), fields=", ".join(sorted(unknown))))
    for kind in KINDS:
        if not isinstance(document.get(kind, []), list):
            raise UserError(Text(N_("'{kind}' must be a list of records"), kind=kind))
    return document


def import_file(
    session: Session, actor: Actor, document: dict, now: datetime, dealer_code: str | None = None
) -> Report:
    """Validate each record, apply the stock ones; see the module's docstring."""
    actor.require("exchange")
    dealer = actor.own_dealer(dealer_code)
    if document.get("dealer_code") != dealer:
        raise UserError(
            Text(
                N_("the file is for dealer {file_dealer}, not {dealer}"),
                file_dealer=repr(document.get("dealer_code")),
                dealer=dealer,
            )
        )
    report = Report()
    for kind, model in KINDS.items():
        for index, raw in enumerate(document.get(kind, [])):
            where = f"{kind}[{index}]"
            key = ""
            if isinstance(raw, dict):
                key = str(
                    raw.get("vin")
                    or raw.get("number")
                    or raw.get("claim_number")
                    or raw.get("part_number")
                    or ""
                )
            try:
                record = model.model_validate(raw)
            except ValidationError as exc:
                report.rejected.append(Rejected(where, key, _reason(exc)))
                continue
            if isinstance(record, StockRecord):
                problem = _apply_stock(session, actor, dealer, record, now, report)
                if problem:
                    report.rejected.append(Rejected(where, key, problem))
                    continue
            if isinstance(record, OrderRecord):
                problem = _confirm_order(session, actor, dealer, record, now, report)
                if problem:
                    report.rejected.append(Rejected(where, key, problem))
                    continue
            report.accepted[kind] += 1
    audit.record(
        session,
        actor,
        now,
        "import",
        "exchange",
        dealer,
        "; ".join(report.lines()[:4]),
        dealer_code=dealer,
    )
    return report


def _confirm_order(
    session: Session, actor: Actor, dealer: str, record: OrderRecord, now: datetime, report: Report
) -> str | None:
    """The manufacturer's confirmation of a sales order: number, VIN and total must match ours."""
    order = session.scalar(
        select(SalesOrder).where(SalesOrder.number == record.number, SalesOrder.dealer_code == dealer)
    )
    if order is None:
        return f"no sales order {record.number} at dealer {dealer} to confirm"
    if order.vehicle.vin != record.vin:
        return f"the order is for {order.vehicle.vin}, the confirmation for {record.vin}"
    if order.total_cents != record.total_cents:
        return f"the order's total is {order.total_cents} cents, the confirmation says {record.total_cents}"
    if order.manufacturer_confirmed_at is None:
        order.manufacturer_confirmed_at = now
        report.confirmed += 1
        audit.record(
            session, actor, now, "confirmed", "sales_order", order.number, AUDIT_BY_MANUFACTURER, dealer
        )
    return None


def _apply_stock(
    session: Session, actor: Actor, dealer: str, record: StockRecord, now: datetime, report: Report
) -> str | None:
    existing = session.scalar(select(StockVehicle).where(StockVehicle.vin == record.vin))
    if existing is not None:
        if existing.dealer_code != dealer:
            return "this VIN is in another dealer's stock"
        changed = False
        for name in ("coc_number", "list_price_cents"):
            value = getattr(record, name)
            if value and getattr(existing, name) != value:
                setattr(existing, name, value)
                changed = True
        if changed:
            existing.updated_at = now
            report.updated += 1
        return None
    if record.status in ("reserved", "delivered"):
        return f"a {record.status} vehicle is not taken over by import (its sale belongs to the dealer)"
    if record.status in ("in_stock", "pdi_done") and not record.location:
        return "a vehicle in stock needs its yard location"
    try:
        vehicle = _create_stock(session, actor, dealer, record, now)
    except UserError as refused:  # e.g. beyond the dealer's credit with the manufacturer
        return str(refused)
    if record.status == "in_transit":
        vehicle.status = "in_transit"
    if record.arrived_at is not None and record.status in ("in_stock", "pdi_done"):
        vehicle.arrived_at = record.arrived_at
    report.created += 1
    return None


def _create_stock(
    session: Session, actor: Actor, dealer: str, record: StockRecord, now: datetime
) -> StockVehicle:
    return stock.create(
        session,
        actor,
        vin=record.vin,
        model=record.model,
        configuration=record.configuration,
        colour=record.colour,
        location=record.location,
        status="in_stock" if record.status in ("in_stock", "pdi_done") else "ordered",
        coc_number=record.coc_number,
        list_price_cents=record.list_price_cents,
        now=now,
        dealer_code=dealer,
    )
