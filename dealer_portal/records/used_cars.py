"""Used cars and trade-ins (二手车置换, 二手车业务).

A trade-in valued on a quote is taken in when its order is delivered: the car enters the dealer's stock
as a *used* stock vehicle (`condition="used"`) with its VIN, the valuation credited to the buyer, its
odometer, condition notes, yard location and the order it came from. From there it is sold with the same
flow as a new vehicle (lead -> quote -> order -> PDI -> delivery); the asking price is the stock record's
list price, set on the stock page.

A car the portal once delivered (its VIN already has a stock record, now `delivered`) comes back on that
same record: the stock record follows the physical car; the earlier order keeps its own figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import AUDIT_TRADE_IN, N_, Text
from dealer_portal.records import audit, stock, vehicle_records
from dealer_portal.records.actor import Actor
from dealer_portal.records.sales_tables import SalesOrder, StockVehicle


@dataclass(frozen=True)
class TradeIn:
    """What is recorded when the trade-in is handed to the dealer."""

    vin: str
    odometer_km: float
    location: str
    notes: str = ""


def parse(vin: str, odometer: float | None, location: str, notes: str) -> TradeIn:
    vin = vin.strip().upper()
    if not vehicle_records.VIN_RE.match(vin):
        raise FieldError({"trade_in_vin": N_("Trade-in VIN: 17 letters or digits, without I, O or Q")})
    if odometer is None or odometer < 0 or odometer > 2_000_000:
        raise FieldError({"trade_in_odometer_km": N_("Trade-in odometer: the reading in km")})
    if not location.strip():
        raise FieldError({"trade_in_location": N_("Trade-in location: where in the yard it stands")})
    return TradeIn(vin, odometer, location.strip().upper()[:20], notes.strip())


def check_free(session: Session, trade: TradeIn) -> StockVehicle | None:
    """The stock record the trade-in comes back on (a car delivered before), or None for a new one; a VIN
    still in stock (or the car being delivered) is refused. The delivery checks this before it changes
    anything."""
    existing = session.scalar(select(StockVehicle).where(StockVehicle.vin == trade.vin))
    if existing is not None and existing.status != "delivered":
        raise FieldError(
            {
                "trade_in_vin": Text(
                    N_("Trade-in VIN: {vin} is in stock records as {status}"),
                    vin=trade.vin,
                    status=stock.STATUS_LABELS[existing.status].lower(),
                )
            }
        )
    return existing


def take_in(session: Session, actor: Actor, order: SalesOrder, trade: TradeIn, now: datetime) -> StockVehicle:
    """The trade-in of `order` enters the used-car stock (called by the delivery, in its transaction)."""
    quote = order.quote
    car = enter_stock(
        session,
        actor,
        order.dealer_code,
        trade,
        model=quote.trade_in_description or N_("used car"),
        valuation_cents=quote.trade_in_cents,
        source=order.number,
        now=now,
    )
    audit.record(
        session,
        actor,
        now,
        "trade_in",
        "stock_vehicle",
        car.vin,
        AUDIT_TRADE_IN.format(
            order=order.number, model=car.model, km=car.odometer_km, cents=car.valuation_cents
        ),
        order.dealer_code,
    )
    return car


def enter_stock(
    session: Session,
    actor: Actor,
    dealer_code: str,
    trade: TradeIn,
    *,
    model: str,
    valuation_cents: int,
    source: str,
    now: datetime,
) -> StockVehicle:
    """A used car the dealer took in (a trade-in, or bought from a private seller: `source` says which)
    enters the used-car stock, in the yard place `trade.location`, on a stock record of its own or on
    the record of the car the portal once delivered."""
    existing = check_free(session, trade)
    car = existing or StockVehicle(vin=trade.vin, created_at=now, coc_number="", configuration="")
    car.dealer_code = dealer_code
    car.model = model[:80]
    car.colour = car.colour or ""
    car.condition, car.status, car.location = "used", "in_stock", trade.location
    car.yard_zone = car.yard_row = car.yard_slot = None
    car.odometer_km = round(trade.odometer_km)
    car.valuation_cents = valuation_cents
    car.condition_notes = trade.notes
    car.source = source
    car.list_price_cents = 0  # the asking price is set on the stock page before it is quoted
    car.arrived_at, car.updated_at = now, now
    car.pdi_at, car.pdi_by, car.pdi_checklist, car.delivered_at = None, None, "", None
    if existing is None:
        session.add(car)
    session.flush()
    return car
