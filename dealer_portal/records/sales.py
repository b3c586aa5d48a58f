"""New-vehicle sales (整车销售), lead to delivery:

lead (an existing customer record) -> quote on a stock vehicle (options, trade-in valuation, discount;
a discount above the dealer's threshold waits for a sales manager's or an administrator's approval) ->
signed order/contract (reserves the vehicle) -> PDI on the stock vehicle (the workshop's) -> delivery
with a handover record. A salesperson works their own leads, quotes and orders. At delivery the
vehicle is registered on the fleet side (`vehicle_records.create`, the gateway's registry), so the
maintenance rules of its model, telematics and service apply to it from then on, and its floor-plan line,
if any, is paid off (records/floor_plan). The sale is invoiced afterwards (records/sales_invoices).

Every step is checked against the actor's role and dealer and leaves an audit row."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import (
    AUDIT_CENTS_NOTE,
    AUDIT_DELIVERED_AS,
    AUDIT_PLATE,
    AUDIT_QUOTE,
    AUDIT_QUOTE_PENDING,
    AUDIT_QUOTE_PROMOTION,
    AUDIT_QUOTE_PROMOTION_PENDING,
    AUDIT_VIN_CENTS,
    HANDOVER_ODOMETER,
    HANDOVER_PLATE,
    HANDOVER_RECEIVED_BY,
    HANDOVER_TRADE_IN,
    N_,
    Text,
    joined,
    label_msgid,
)
from dealer_portal.records import audit, floor_plan, promotions, stock, used_cars, vehicle_records
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.sales_tables import QuoteOption, SalesLead, SalesOrder, SalesQuote, StockVehicle
from dealer_portal.records.tables import Customer
from dealer_portal.records.vehicle_records import VehicleInput
from dms.errors import UserError
from gateway.db.models import Vehicle

LEAD_STATUSES = ("open", "quoted", "won", "lost")
ORDER_STATUSES = ("signed", "delivered", "cancelled")
HANDOVER_ITEMS = {
    "keys": N_("Both keys handed over"),
    "manuals": N_("Owner's manual and service booklet"),
    "coc": N_("Certificate of conformity handed over"),
    "explained": N_("Controls and driver monitoring explained"),
}


def customer(session: Session, actor: Actor, customer_id: int) -> Customer:
    """A customer record of the actor's dealer (the after-sales records, read as they are)."""
    found = session.get(Customer, customer_id)
    if found is None or not actor.sees_dealer(found.dealer_code):
        raise NotFound(Text(N_("no customer {id}"), id=customer_id))
    return found


def customers(session: Session, actor: Actor) -> list[Customer]:
    query = select(Customer).order_by(Customer.name)
    if not actor.sees_all_dealers:
        query = query.where(Customer.dealer_code == actor.dealer_code)
    return list(session.scalars(query))


def create_lead(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    interest: str,
    source: str = "",
    note: str = "",
    now: datetime,
) -> SalesLead:
    actor.require("sales")
    who = customer(session, actor, customer_id)
    if not interest.strip():
        raise FieldError({"interest": N_("Interested in: name the model the customer asks about")})
    lead = SalesLead(
        dealer_code=who.dealer_code,
        customer_id=who.id,
        salesperson=actor.username,
        interest=interest.strip(),
        source=source.strip(),
        status="open",
        note=note.strip(),
        created_at=now,
    )
    session.add(lead)
    session.flush()
    audit.record(
        session, actor, now, "create", "sales_lead", lead.id, f"{who.name}: {lead.interest}", who.dealer_code
    )
    return lead


def owns(actor: Actor, record: SalesLead | SalesOrder) -> bool:
    """A salesperson works their own leads, quotes and orders; a sales manager or an administrator sees
    every salesperson's of their dealer (another salesperson's record is 'not found', like another
    dealer's)."""
    return actor.sees_dealer(record.dealer_code) and (
        actor.may("sales_all") or record.salesperson == actor.username
    )


def get_lead(session: Session, actor: Actor, lead_id: int) -> SalesLead:
    actor.require("sales")
    lead = session.get(SalesLead, lead_id)
    if lead is None or not owns(actor, lead):
        raise NotFound(Text(N_("no lead {id}"), id=lead_id))
    return lead


def leads(actor: Actor, status: str = "") -> Select:
    actor.require("sales")
    query = select(SalesLead).order_by(SalesLead.id.desc())
    if not actor.sees_all_dealers:
        query = query.where(SalesLead.dealer_code == actor.dealer_code)
    if not actor.may("sales_all"):
        query = query.where(SalesLead.salesperson == actor.username)
    if status in LEAD_STATUSES:
        query = query.where(SalesLead.status == status)
    return query


def close_lead(session: Session, actor: Actor, lead_id: int, reason: str, now: datetime) -> SalesLead:
    lead = get_lead(session, actor, lead_id)
    if lead.status == "won":
        raise UserError(N_("this lead became an order; cancel the order instead"))
    lead.status = "lost"
    audit.record(session, actor, now, "lost", "sales_lead", lead.id, reason.strip(), lead.dealer_code)
    return lead


def parse_options(text: str) -> list[tuple[str, int]]:
    """Option lines as typed: "Tow bar = 850.00" (one per line) -> [(name, cents)]."""
    from dealer_portal.forms import cents

    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, price = line.rpartition("=")
        if not sep or not name.strip():
            raise FieldError({"options": N_("Options: one per line, like “Tow bar = 850.00”")})
        out.append((name.strip()[:120], cents(price, N_("Option price"), field="options")))
    return out


def discount_needs_approval(price_cents: int, discount_cents: int, threshold_pct: Decimal) -> bool:
    """A discount above `threshold_pct` percent of the vehicle's price waits for approval (exact)."""
    return discount_cents * 100 > threshold_pct * price_cents


def create_quote(
    session: Session,
    actor: Actor,
    lead_id: int,
    *,
    stock_vehicle_id: int,
    options: list[tuple[str, int]],
    discount_cents: int = 0,
    trade_in_vin: str = "",
    trade_in_description: str = "",
    trade_in_cents: int = 0,
    threshold_pct: Decimal,
    now: datetime,
    promotion_id: int | None = None,
    today: date | None = None,
) -> SalesQuote:
    """A quote on a stock vehicle; `promotion_id`: a promotion to apply (refused when not eligible on
    `today`, the day in the dealer's zone; default: the UTC day of `now`)."""
    lead = get_lead(session, actor, lead_id)
    if lead.status in ("won", "lost"):
        raise UserError(Text(N_("this lead is closed ({status})"), status=Text(label_msgid(lead.status))))
    vehicle = stock.get(session, actor, stock_vehicle_id)
    if vehicle.dealer_code != lead.dealer_code:
        raise NotFound(Text(N_("no stock vehicle {id}"), id=stock_vehicle_id))
    if vehicle.status in ("reserved", "delivered"):
        raise FieldError({"stock_vehicle_id": Text(N_("Vehicle: {vin} is already sold"), vin=vehicle.vin)})
    if vehicle.list_price_cents <= 0:
        raise FieldError(
            {"stock_vehicle_id": Text(N_("Vehicle: {vin} has no list price yet"), vin=vehicle.vin)}
        )
    trade_in_vin = trade_in_vin.strip().upper()
    if trade_in_cents and not (trade_in_vin or trade_in_description.strip()):
        raise FieldError(
            {"trade_in_description": N_("Trade-in: describe the vehicle taken in part exchange")}
        )
    if trade_in_vin and not vehicle_records.VIN_RE.match(trade_in_vin):
        raise FieldError({"trade_in_vin": N_("Trade-in VIN: 17 letters or digits, without I, O or Q")})
    quote = SalesQuote(
        lead_id=lead.id,
        stock_vehicle_id=vehicle.id,
        price_cents=vehicle.list_price_cents,
        discount_cents=discount_cents,
        trade_in_vin=trade_in_vin,
        trade_in_description=trade_in_description.strip(),
        trade_in_cents=trade_in_cents,
        promotion_cents=0,
        created_at=now,
        created_by=actor.username,
    )
    quote.options = [QuoteOption(name=n, price_cents=c) for n, c in options]
    if promotion_id is not None:
        promotions.apply(session, actor, quote, vehicle, promotion_id, lead.dealer_code, today or now.date())
    total_before_trade_in = quote.price_cents + quote.options_cents
    if discount_cents + quote.promotion_cents > total_before_trade_in:
        raise FieldError({"discount": N_("Discount: larger than the price")})
    if quote.total_cents < 0:
        raise FieldError({"trade_in_value": N_("Trade-in value: larger than the price after discount")})
    quote.discount_status = (
        "pending" if discount_needs_approval(total_before_trade_in, discount_cents, threshold_pct) else "none"
    )
    session.add(quote)
    lead.status = "quoted"
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "quote",
        "sales_lead",
        lead.id,
        _quote_note(quote, vehicle.vin, discount_cents),
        lead.dealer_code,
    )
    return quote


def get_quote(session: Session, actor: Actor, quote_id: int) -> SalesQuote:
    quote = session.get(SalesQuote, quote_id)
    if quote is None:
        raise NotFound(Text(N_("no quote {id}"), id=quote_id))
    get_lead(session, actor, quote.lead_id)
    return quote


def decide_discount(
    session: Session, actor: Actor, quote_id: int, approve: bool, note: str, now: datetime
) -> SalesQuote:
    """A sales manager (or an administrator) approves or refuses a discount above the threshold."""
    actor.require("sales_approval")
    quote = get_quote(session, actor, quote_id)
    if quote.discount_status != "pending":
        raise UserError(N_("this quote has no discount waiting for approval"))
    quote.discount_status = "approved" if approve else "refused"
    quote.discount_decided_by = actor.username
    lead = session.get(SalesLead, quote.lead_id)
    audit.record(
        session,
        actor,
        now,
        "discount_" + quote.discount_status,
        "sales_quote",
        quote.id,
        AUDIT_CENTS_NOTE.format(cents=quote.discount_cents, note=note.strip()).strip("; "),
        lead.dealer_code,
    )
    return quote


def sign_order(
    session: Session, actor: Actor, quote_id: int, deposit_cents: int, now: datetime
) -> SalesOrder:
    """The customer signs the contract of a quote: the order reserves the quoted stock vehicle."""
    actor.require("sales")
    quote = get_quote(session, actor, quote_id)
    lead = session.get(SalesLead, quote.lead_id)
    if quote.discount_status == "pending":
        raise UserError(N_("the discount of this quote waits for approval"))
    if quote.discount_status == "refused":
        raise UserError(N_("the discount of this quote was refused; make a new quote"))
    if session.scalar(select(SalesOrder.id).where(SalesOrder.quote_id == quote.id)) is not None:
        raise UserError(N_("this quote is already an order"))
    vehicle = session.get(StockVehicle, quote.stock_vehicle_id)
    if vehicle.status not in ("in_stock", "pdi_done"):
        raise UserError(
            Text(
                N_("{vin} cannot be reserved: it is {status}"),
                vin=vehicle.vin,
                status=Text(label_msgid(vehicle.status)),
            )
        )
    if deposit_cents > quote.total_cents:
        raise FieldError({"deposit": N_("Deposit: larger than the contract total")})
    order = SalesOrder(
        dealer_code=lead.dealer_code,
        number="pending",
        lead_id=lead.id,
        quote_id=quote.id,
        customer_id=lead.customer_id,
        stock_vehicle_id=vehicle.id,
        salesperson=lead.salesperson,
        status="signed",
        total_cents=quote.total_cents,
        deposit_cents=deposit_cents,
        signed_at=now,
        handover="",
    )
    session.add(order)
    session.flush()
    order.number = f"SO-{lead.dealer_code}-{order.id:05d}"
    vehicle.status, vehicle.updated_at = "reserved", now
    lead.status = "won"
    audit.record(
        session,
        actor,
        now,
        "sign",
        "sales_order",
        order.number,
        AUDIT_VIN_CENTS.format(vin=vehicle.vin, cents=order.total_cents),
        order.dealer_code,
    )
    audit.record(
        session, actor, now, "reserve", "stock_vehicle", vehicle.vin, order.number, order.dealer_code
    )
    return order


def get_order(session: Session, actor: Actor, order_id: int) -> SalesOrder:
    actor.require("sales")
    order = session.get(SalesOrder, order_id)
    if order is None or not owns(actor, order):
        raise NotFound(Text(N_("no sales order {id}"), id=order_id))
    return order


def orders(actor: Actor, status: str = "") -> Select:
    actor.require("sales")
    query = select(SalesOrder).order_by(SalesOrder.id.desc())
    if not actor.sees_all_dealers:
        query = query.where(SalesOrder.dealer_code == actor.dealer_code)
    if not actor.may("sales_all"):
        query = query.where(SalesOrder.salesperson == actor.username)
    if status in ORDER_STATUSES:
        query = query.where(SalesOrder.status == status)
    return query


def cancel_order(session: Session, actor: Actor, order_id: int, reason: str, now: datetime) -> SalesOrder:
    order = get_order(session, actor, order_id)
    if order.status != "signed":
        raise UserError(N_("only a signed, undelivered order can be cancelled"))
    if not reason.strip():
        raise FieldError({"reason": N_("Reason: say why the order is cancelled")})
    order.status, order.cancelled_reason = "cancelled", reason.strip()[:200]
    vehicle = order.vehicle
    vehicle.status, vehicle.updated_at = ("pdi_done" if vehicle.pdi_at else "in_stock"), now
    audit.record(
        session, actor, now, "cancel", "sales_order", order.number, reason.strip(), order.dealer_code
    )
    return order


def deliver(
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    vehicle_id: str,
    plate: str,
    odometer_km: float,
    received_by: str,
    checked: set[str],
    now: datetime,
    trade_in: used_cars.TradeIn | None = None,
) -> SalesOrder:
    """Hand the vehicle over: PDI passed, handover checklist complete; it becomes a fleet/customer vehicle
    (registered through the gateway's registry, so its model's maintenance rules apply). A used car
    already known on the fleet side keeps its fleet record (new plate, this sale's date). A trade-in on
    the quote is taken in at the same time (`trade_in`: its VIN, odometer, place) into the used-car stock."""
    order = get_order(session, actor, order_id)
    if order.status != "signed":
        raise UserError(
            Text(
                N_("order {number} is {status}"), number=order.number, status=Text(label_msgid(order.status))
            )
        )
    vehicle = order.vehicle
    if vehicle.pdi_at is None:
        raise UserError(Text(N_("{vin} has no passed PDI yet; do the PDI first"), vin=vehicle.vin))
    missing = [label for key, label in HANDOVER_ITEMS.items() if key not in checked]
    if missing:
        raise UserError(Text(N_("handover not complete, still open: {items}"), items=joined(missing)))
    if not received_by.strip():
        raise FieldError({"received_by": N_("Received by: the name of who took the vehicle over")})
    if vehicle.condition == "used":
        if odometer_km < vehicle.odometer_km or odometer_km > vehicle.odometer_km + 1000:
            raise FieldError(
                {
                    "odometer_km": Text(
                        N_("Odometer: between {low:,} and {high:,} km for this used car"),
                        low=vehicle.odometer_km,
                        high=vehicle.odometer_km + 1000,
                    )
                }
            )
    elif odometer_km < 0 or odometer_km > 1000:
        raise FieldError({"odometer_km": N_("Odometer: a new vehicle shows between 0 and 1,000 km")})
    quote = order.quote
    if (quote.trade_in_cents or quote.trade_in_description) and trade_in is None:
        raise FieldError({"trade_in_vin": N_("Trade-in: record the car taken in part exchange")})
    if trade_in is not None:
        used_cars.check_free(session, trade_in)
    known = session.scalar(select(Vehicle).where(Vehicle.vin == vehicle.vin))
    if known is not None:  # a used car back on the road: same fleet record, the new owner's plate
        fleet = _hand_over_known(session, actor, known, order, plate, now)
        vehicle_records.record_odometer(session, actor, fleet.vehicle_id, odometer_km, now, source="delivery")
        return _delivered(session, actor, order, fleet, received_by, odometer_km, fleet.plate, trade_in, now)
    data = VehicleInput.parse(
        {
            "vehicle_id": vehicle_id.strip() or vehicle.vin,
            "model": vehicle.model,
            "plate": plate,
            "vin": vehicle.vin,
            "purchase_date": now.date().isoformat(),
            "dealer_code": order.dealer_code,
        }
    )
    fleet = vehicle_records.create(session, actor, data, now, area="sales")
    vehicle_records.record_odometer(session, actor, fleet.vehicle_id, odometer_km, now, source="delivery")
    return _delivered(session, actor, order, fleet, received_by, odometer_km, data.plate, trade_in, now)


def _hand_over_known(
    session: Session, actor: Actor, known: Vehicle, order: SalesOrder, plate: str, now: datetime
) -> Vehicle:
    if not actor.sees_dealer(known.dealer_code) and known.dealer_code is not None:
        raise UserError(Text(N_("{vin} is a fleet vehicle of another dealer"), vin=known.vin))
    plate = plate.strip().upper() or known.plate
    audit.record(
        session,
        actor,
        now,
        "resold",
        "vehicle",
        known.vehicle_id,
        AUDIT_PLATE.format(order=order.number, before=known.plate, after=plate),
        order.dealer_code,
    )
    known.plate, known.purchase_date, known.dealer_code, known.updated_at = (
        plate,
        now.date(),
        order.dealer_code,
        now,
    )
    return known


def _delivered(
    session: Session,
    actor: Actor,
    order: SalesOrder,
    fleet: Vehicle,
    received_by: str,
    odometer_km: float,
    plate: str,
    trade_in: used_cars.TradeIn | None,
    now: datetime,
) -> SalesOrder:
    vehicle = order.vehicle
    order.status, order.delivered_at, order.vehicle_id = "delivered", now, fleet.vehicle_id
    order.handover = "\n".join(
        [
            *(f"[x] {label}" for label in HANDOVER_ITEMS.values()),
            HANDOVER_RECEIVED_BY.format(name=received_by.strip()),
            HANDOVER_ODOMETER.format(km=f"{odometer_km:g}"),
            HANDOVER_PLATE.format(plate=plate),
        ]
    )
    if trade_in is not None and (order.quote.trade_in_cents or order.quote.trade_in_description):
        car = used_cars.take_in(session, actor, order, trade_in, now)
        order.handover += "\n" + HANDOVER_TRADE_IN.format(vin=car.vin, km=car.odometer_km)
    vehicle.status, vehicle.delivered_at, vehicle.vehicle_id, vehicle.updated_at = (
        "delivered",
        now,
        fleet.vehicle_id,
        now,
    )
    audit.record(
        session,
        actor,
        now,
        "deliver",
        "sales_order",
        order.number,
        AUDIT_DELIVERED_AS.format(vin=vehicle.vin, vehicle=fleet.vehicle_id),
        order.dealer_code,
    )
    # The lender's collateral leaves the dealer: its floor-plan line is paid off with the interest to today.
    floor_plan.pay_off_at_delivery(session, actor, order, now)
    return order


def _quote_note(quote: SalesQuote, vin: str, discount_cents: int) -> str:
    """The audit detail of a quote, in one of the stored formats the audit page shows translated."""
    pending = quote.discount_status == "pending"
    values = {"quote": quote.id, "vin": vin, "total": quote.total_cents, "discount": discount_cents}
    if quote.promotion_id:
        msgid = AUDIT_QUOTE_PROMOTION_PENDING if pending else AUDIT_QUOTE_PROMOTION
        return msgid.format(**values, promotion=quote.promotion_id, promotion_cents=quote.promotion_cents)
    return (AUDIT_QUOTE_PENDING if pending else AUDIT_QUOTE).format(**values)
