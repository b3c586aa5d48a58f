"""Used cars bought from private sellers, without a trade-in (二手车收购), and their appraisal (评估).

appraised (the appraiser's inspection checklist, condition grade and the price offered; at or below the
approval limit it may be bought at once) | pending (above the limit: waits for a sales manager or an
administrator) -> approved | refused -> bought (the car enters the used-car stock, as a trade-in does,
with the offered price as its valuation and the appraisal as its source) | withdrawn (the seller said no).

The grade follows the checklist: A only with every item in order, B with at most two defects, C and D
for more. A salesperson works their own appraisals; a sales manager sees every one of their dealer's."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import AUDIT_APPRAISAL, AUDIT_APPRAISAL_PENDING, N_, Text, label_msgid
from dealer_portal.records import audit, used_cars, vehicle_records
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.sales_tables import StockVehicle, UsedCarAppraisal
from dms.errors import UserError

STATUSES = ("appraised", "pending", "approved", "refused", "bought", "withdrawn")
CHECKLIST = {
    "body": N_("Body and paint: no accident damage, no rust"),
    "frame": N_("Frame and underbody straight, no welding"),
    "engine": N_("Engine starts, runs evenly, no leaks"),
    "gearbox": N_("Gearbox and clutch shift cleanly"),
    "brakes": N_("Brakes and steering"),
    "tyres": N_("Tyres: tread and age"),
    "interior": N_("Interior, seats, electrics"),
    "papers": N_("Registration, service book, no lien"),
}
GRADES = {
    "A": N_("A: as new, every item in order"),
    "B": N_("B: good, one or two defects"),
    "C": N_("C: fair, needs repair"),
    "D": N_("D: poor, for trade or parts"),
}
FIRST_YEAR = 1980


def needs_approval(offered_cents: int, limit: Decimal) -> bool:
    return offered_cents > limit * 100


def appraise(
    session: Session,
    actor: Actor,
    *,
    seller_name: str,
    seller_phone: str,
    vin: str,
    model: str,
    first_registered: int | None,
    odometer_km: float | None,
    passed: set[str],
    grade: str,
    offered_cents: int,
    notes: str,
    limit: Decimal,
    now: datetime,
    dealer_code: str | None = None,
) -> UsedCarAppraisal:
    """The appraiser's inspection of a car a private seller offers, and the price offered for it."""
    actor.require("appraisal")
    dealer = actor.own_dealer(dealer_code)
    errors: dict[str, str] = {}
    if not seller_name.strip():
        errors["seller_name"] = N_("Seller: the name of the private seller")
    if not model.strip():
        errors["model"] = N_("Model: fill this in")
    if first_registered is None or not FIRST_YEAR <= first_registered <= now.year:
        errors["first_registered"] = Text(
            N_("First registered: a year from {low} to {high}"), low=FIRST_YEAR, high=now.year
        )
    if odometer_km is None or not 0 <= odometer_km <= 2_000_000:
        errors["odometer_km"] = N_("Odometer: the reading in km")
    if grade not in GRADES:
        errors["grade"] = N_("Condition grade: choose A, B, C or D")
    elif grade == "A" and passed != set(CHECKLIST):
        errors["grade"] = N_("Condition grade: A needs every checklist item in order")
    elif grade == "B" and len(set(CHECKLIST) - passed) > 2:
        errors["grade"] = N_("Condition grade: B allows at most two defects; choose C or D")
    if offered_cents <= 0:
        errors["offered"] = N_("Offered price: more than zero")
    if errors:
        raise FieldError(errors)
    vin = vin.strip().upper()
    if not vehicle_records.VIN_RE.match(vin):  # the VIN pattern of trade-ins (used cars may be imports)
        raise FieldError({"vin": N_("VIN: 17 letters or digits, without I, O or Q")})
    trade = used_cars.TradeIn(vin, odometer_km, "", notes.strip())
    used_cars.check_free(session, trade)
    appraisal = UsedCarAppraisal(
        dealer_code=dealer,
        seller_name=seller_name.strip()[:120],
        seller_phone=seller_phone.strip()[:40],
        vin=trade.vin,
        model=model.strip()[:80],
        first_registered=first_registered,
        odometer_km=round(odometer_km),
        checklist="\n".join(f"{key}={'ok' if key in passed else 'defect'}" for key in CHECKLIST),
        grade=grade,
        offered_cents=offered_cents,
        notes=notes.strip(),
        appraiser=actor.username,
        status="pending" if needs_approval(offered_cents, limit) else "appraised",
        created_at=now,
    )
    session.add(appraisal)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "appraise",
        "used_car_appraisal",
        appraisal.id,
        (AUDIT_APPRAISAL_PENDING if appraisal.status == "pending" else AUDIT_APPRAISAL).format(
            vin=appraisal.vin, model=appraisal.model, grade=grade, cents=offered_cents
        ),
        dealer,
    )
    return appraisal


def defects(appraisal: UsedCarAppraisal) -> list[str]:
    """The checklist keys found not in order."""
    return [line.split("=")[0] for line in appraisal.checklist.splitlines() if line.endswith("=defect")]


def _owns(actor: Actor, appraisal: UsedCarAppraisal) -> bool:
    return actor.sees_dealer(appraisal.dealer_code) and (
        actor.may("sales_all") or appraisal.appraiser == actor.username
    )


def get(session: Session, actor: Actor, appraisal_id: int) -> UsedCarAppraisal:
    actor.require("appraisal")
    found = session.get(UsedCarAppraisal, appraisal_id)
    if found is None or not _owns(actor, found):
        raise NotFound(Text(N_("no appraisal {id}"), id=appraisal_id))
    return found


def query(actor: Actor, status: str = "") -> Select:
    actor.require("appraisal")
    found = select(UsedCarAppraisal).order_by(UsedCarAppraisal.id.desc())
    if not actor.sees_all_dealers:
        found = found.where(UsedCarAppraisal.dealer_code == actor.dealer_code)
    if not actor.may("sales_all"):
        found = found.where(UsedCarAppraisal.appraiser == actor.username)
    if status in STATUSES:
        found = found.where(UsedCarAppraisal.status == status)
    return found


def decide(
    session: Session, actor: Actor, appraisal_id: int, approve: bool, note: str, now: datetime
) -> UsedCarAppraisal:
    """A sales manager (or an administrator) approves or refuses a purchase above the limit."""
    actor.require("sales_approval")
    appraisal = get(session, actor, appraisal_id)
    if appraisal.status != "pending":
        raise UserError(N_("this appraisal does not wait for approval"))
    appraisal.status = "approved" if approve else "refused"
    appraisal.decided_by, appraisal.decided_at = actor.username, now
    audit.record(
        session,
        actor,
        now,
        appraisal.status,
        "used_car_appraisal",
        appraisal.id,
        f"{appraisal.offered_cents} cents; {note.strip()}".strip("; "),
        appraisal.dealer_code,
    )
    return appraisal


def _open(appraisal: UsedCarAppraisal, allowed: tuple[str, ...]) -> None:
    if appraisal.status == "pending":
        raise UserError(N_("the offered price is above the limit and waits for a sales manager"))
    if appraisal.status not in allowed:
        raise UserError(
            Text(
                N_("appraisal {id} is {status}"),
                id=appraisal.id,
                status=Text(label_msgid(appraisal.status)),
            )
        )


def buy(session: Session, actor: Actor, appraisal_id: int, location: str, now: datetime) -> StockVehicle:
    """The dealer buys the car at the offered price: it enters the used-car stock at `location`."""
    appraisal = get(session, actor, appraisal_id)
    _open(appraisal, ("appraised", "approved"))
    if not location.strip():
        raise FieldError({"location": N_("Location: say where in the yard the vehicle stands")})
    trade = used_cars.TradeIn(
        appraisal.vin,
        appraisal.odometer_km,
        location.strip().upper()[:20],
        f"grade {appraisal.grade}. {appraisal.notes}".strip(),
    )
    car = used_cars.enter_stock(
        session,
        actor,
        appraisal.dealer_code,
        trade,
        model=appraisal.model,
        valuation_cents=appraisal.offered_cents,
        source=f"AP-{appraisal.id}",
        now=now,
    )
    appraisal.status, appraisal.stock_vehicle_id = "bought", car.id
    audit.record(
        session,
        actor,
        now,
        "bought",
        "used_car_appraisal",
        appraisal.id,
        f"{car.vin} from {appraisal.seller_name} for {appraisal.offered_cents} cents",
        appraisal.dealer_code,
    )
    return car


def withdraw(session: Session, actor: Actor, appraisal_id: int, now: datetime) -> UsedCarAppraisal:
    """The seller did not accept (or the dealer stepped back): the appraisal is closed."""
    appraisal = get(session, actor, appraisal_id)
    _open(appraisal, ("appraised", "approved", "refused"))
    appraisal.status = "withdrawn"
    audit.record(
        session, actor, now, "withdrawn", "used_car_appraisal", appraisal.id, "", appraisal.dealer_code
    )
    return appraisal
