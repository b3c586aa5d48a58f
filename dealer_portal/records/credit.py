"""Dealer credit with the manufacturer (经销商授信管理): a credit limit per dealer; every new vehicle
ordered from the manufacturer and not yet delivered to a customer is financed by it (the usual
floor-plan terms: the dealer pays for a vehicle when it is sold). Measured at list price: the records
hold no wholesale price, so the figure errs on the safe side.

An order to the manufacturer (a stock vehicle created as `ordered`) that would take the used credit
above the limit is refused; from `warn_pct` percent of the limit on it is accepted with a warning. A
dealer without a limit row is not checked. Only an administrator (the operator's staff) sets limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import N_, Text
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.money import format_cents
from dealer_portal.records.sales_tables import DealerCredit, StockVehicle
from dms.errors import UserError
from gateway.db.models import Dealer

FINANCED = ("ordered", "in_transit", "in_stock", "pdi_done", "reserved")
"""Statuses of a new vehicle the manufacturer has not been paid for yet."""


@dataclass(frozen=True)
class Credit:
    dealer_code: str
    limit_cents: int | None
    warn_pct: int
    used_cents: int

    @property
    def available_cents(self) -> int | None:
        return None if self.limit_cents is None else self.limit_cents - self.used_cents

    @property
    def used_pct(self) -> float | None:
        return None if not self.limit_cents else 100 * self.used_cents / self.limit_cents

    def warns(self, used_cents: int) -> bool:
        return self.limit_cents is not None and used_cents * 100 >= self.warn_pct * self.limit_cents


def used_cents(session: Session, dealer_code: str) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(StockVehicle.list_price_cents), 0)).where(
            StockVehicle.dealer_code == dealer_code,
            StockVehicle.condition == "new",
            StockVehicle.status.in_(FINANCED),
        )
    )


def of(session: Session, dealer_code: str) -> Credit:
    row = session.get(DealerCredit, dealer_code)
    return Credit(
        dealer_code,
        row.limit_cents if row else None,
        row.warn_pct if row else 90,
        used_cents(session, dealer_code),
    )


def overview(session: Session, actor: Actor) -> list[Credit]:
    """The credit lines the actor may see: their dealer's, or every dealer's for the operator's staff."""
    actor.require("stock")
    if not actor.sees_all_dealers:
        return [of(session, actor.dealer_code)]
    return [of(session, code) for code in session.scalars(select(Dealer.code).order_by(Dealer.code))]


def check_order(session: Session, dealer_code: str, price_cents: int) -> None:
    """Before a vehicle is ordered from the manufacturer: refused beyond the dealer's limit."""
    credit = of(session, dealer_code)
    if credit.limit_cents is None:
        return
    if price_cents <= 0:
        raise FieldError(
            {"list_price": N_("List price: needed to check the dealer's credit with the manufacturer")}
        )
    if credit.used_cents + price_cents > credit.limit_cents:
        raise UserError(
            Text(
                N_("credit limit with the manufacturer exceeded: {used} used + {price} > limit {limit}"),
                used=format_cents(credit.used_cents),
                price=format_cents(price_cents),
                limit=format_cents(credit.limit_cents),
            )
        )


def warning(credit: Credit) -> str | None:
    """The warning once the used credit reaches `warn_pct` percent of the limit."""
    if not credit.warns(credit.used_cents):
        return None
    return Text(
        N_("credit with the manufacturer at {pct:.0f} % of the limit; {left} left"),
        pct=credit.used_pct or 0,
        left=format_cents(credit.available_cents),
    )


def set_limit(
    session: Session, actor: Actor, dealer_code: str, limit_cents: int, warn_pct: int, now: datetime
) -> DealerCredit:
    actor.require("credit_admin")
    if session.get(Dealer, dealer_code) is None:
        raise NotFound(Text(N_("no dealer {code}"), code=dealer_code))
    if limit_cents < 0:
        raise FieldError({"limit": N_("Credit limit: zero or more")})
    if not 1 <= warn_pct <= 100:
        raise FieldError({"warn_pct": N_("Warn from: a percentage between 1 and 100")})
    row = session.get(DealerCredit, dealer_code)
    before = f"{row.limit_cents}/{row.warn_pct}%" if row else "none"
    if row is None:
        row = DealerCredit(dealer_code=dealer_code)
        session.add(row)
    row.limit_cents, row.warn_pct, row.updated_at, row.updated_by = limit_cents, warn_pct, now, actor.username
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "credit_limit",
        "dealer",
        dealer_code,
        f"{before} -> {limit_cents}/{warn_pct}%",
        dealer_code,
    )
    return row
