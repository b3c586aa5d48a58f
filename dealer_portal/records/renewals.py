"""Annual inspection (年检) and insurance renewal (续保) dates of a customer's vehicle, kept on the
customer's vehicle record, and which of them are due for a reminder: from the dealer's renewal window
(records/dealer_settings, 30 days by default) before the date until a year after it (past that, the
date is stale and the advisor updates it instead of reminding of it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import AUDIT_RENEWALS, N_, Text
from dealer_portal.records import audit
from dealer_portal.records import customers as crm
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.aftersales_tables import CustomerVehicle

KINDS = {
    "inspection": N_("annual inspection due on {date}"),
    "insurance": N_("insurance expires on {date}"),
}
STALE_AFTER = timedelta(days=366)
FURTHEST = timedelta(days=5 * 366)  # an inspection or a policy more than five years ahead is a typo
BAD_DATE = N_("{what}: enter a date like 2026-03-02, at most five years ahead")
INSPECTION = N_("Annual inspection due")
INSURANCE = N_("Insurance expires")


@dataclass(frozen=True)
class Renewal:
    kind: str  # a key of KINDS
    on: date
    owned: CustomerVehicle

    @property
    def key(self) -> str:
        """One reminder per vehicle record, kind and date: a new date is a new occurrence."""
        return f"{self.kind}:{self.owned.id}:{self.on.isoformat()}"

    @property
    def why(self) -> Text:
        return Text(KINDS[self.kind], date=self.on.isoformat())


def parse_dates(inspection: str, insurance: str, today: date) -> tuple[date | None, date | None]:
    """The two form fields (empty: no date): one message per wrong field (FieldError)."""
    errors: dict[str, str] = {}
    out: list[date | None] = []
    for name, text, what in (
        ("inspection_due", inspection, INSPECTION),
        ("insurance_expires", insurance, INSURANCE),
    ):
        text = text.strip()
        if not text:
            out.append(None)
            continue
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None or day.year < 2000 or day > today + FURTHEST:
            errors[name] = Text(BAD_DATE, what=Text(what))
        out.append(day)
    if errors:
        raise FieldError(errors)
    return out[0], out[1]


def set_dates(
    session: Session,
    actor: Actor,
    customer_id: int,
    vehicle_id: str,
    *,
    inspection_due: date | None,
    insurance_expires: date | None,
    now: datetime,
) -> CustomerVehicle:
    """Record the vehicle's next inspection and insurance expiry (None: not known)."""
    customer = crm.get(session, actor, customer_id)
    owned = session.scalar(
        select(CustomerVehicle).where(
            CustomerVehicle.customer_id == customer.id, CustomerVehicle.vehicle_id == vehicle_id
        )
    )
    if owned is None:
        raise NotFound(Text(N_("no vehicle {id!r}"), id=vehicle_id))
    for name, day, what in (
        ("inspection_due", inspection_due, INSPECTION),
        ("insurance_expires", insurance_expires, INSURANCE),
    ):
        if day is not None and (day.year < 2000 or day > now.date() + FURTHEST):
            raise FieldError({name: Text(BAD_DATE, what=Text(what))})
    owned.inspection_due, owned.insurance_expires = inspection_due, insurance_expires
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "customer:renewals",
        "customer",
        customer.id,
        AUDIT_RENEWALS.format(
            vehicle=vehicle_id,
            inspection=inspection_due.isoformat() if inspection_due else "-",
            insurance=insurance_expires.isoformat() if insurance_expires else "-",
        ),
        dealer_code=customer.dealer_code,
    )
    return owned


def due(owned: CustomerVehicle, window_days: int, today: date) -> list[Renewal]:
    """The vehicle's renewals within `window_days` ahead of today, or passed less than a year ago."""
    found = [
        Renewal("inspection", owned.inspection_due, owned),
        Renewal("insurance", owned.insurance_expires, owned),
    ]
    ahead = today + timedelta(days=window_days)
    return [r for r in found if r.on is not None and today - STALE_AFTER < r.on <= ahead]
