"""Promotions and incentives (促销): a fixed amount off the price of the eligible models, valid from one
day to another (both included). A manufacturer's promotion (created by the operator's admin, no dealer)
applies at every dealer; a dealer's promotion (its sales manager's) only there.

A quote applies at most one promotion. It is refused, with the reason, when the promotion has not
started, has ended, was withdrawn, belongs to another dealer, or does not cover the quoted vehicle's
model. A promotion is the sponsor's money, not the salesperson's discount: it does not count towards
the discount approval threshold. The amount is copied onto the quote as it was that day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import AUDIT_PROMOTION, N_, Text
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor, Forbidden, NotFound
from dealer_portal.records.sales_tables import Promotion, SalesQuote, StockVehicle
from dms.errors import UserError

SPONSORS = {"manufacturer": N_("manufacturer"), "dealer": N_("dealer")}


def _day(text: str, field: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FieldError({field: Text(N_("{what}: enter a date like 2026-03-02"), what=Text(what))}) from None


def create(
    session: Session,
    actor: Actor,
    *,
    sponsor: str,
    name: str,
    amount_cents: int,
    valid_from: str,
    valid_to: str,
    models: str,
    now: datetime,
    dealer_code: str | None = None,
) -> Promotion:
    """A new promotion. A manufacturer's is for the operator's admin (a user without a dealer)."""
    actor.require("promotions")
    if sponsor not in SPONSORS:
        raise FieldError({"sponsor": N_("Sponsor: the manufacturer or the dealer")})
    if sponsor == "manufacturer":
        if not actor.sees_all_dealers:
            raise Forbidden(N_("only the operator's administrator enters manufacturer promotions"))
        dealer = None
    else:
        dealer = actor.own_dealer(dealer_code)
    if not name.strip():
        raise FieldError({"name": N_("Name: what the customer sees on the contract")})
    if amount_cents <= 0:
        raise FieldError({"amount": N_("Amount: more than zero")})
    start = _day(valid_from, "valid_from", N_("Valid from"))
    end = _day(valid_to, "valid_to", N_("Valid to"))
    if end < start:
        raise FieldError({"valid_to": N_("Valid to: on or after the first day")})
    model_list = [m.strip() for m in models.splitlines() if m.strip()]
    if not model_list:
        raise FieldError({"models": N_("Eligible models: one model per line")})
    promotion = Promotion(
        dealer_code=dealer,
        sponsor=sponsor,
        name=name.strip()[:120],
        amount_cents=amount_cents,
        valid_from=start,
        valid_to=end,
        models="\n".join(model_list),
        active=True,
        created_at=now,
        created_by=actor.username,
    )
    session.add(promotion)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "create",
        "promotion",
        promotion.id,
        AUDIT_PROMOTION.format(
            sponsor=sponsor,
            name=promotion.name,
            cents=amount_cents,
            start=start,
            end=end,
            models=", ".join(model_list),
        ),
        dealer,
    )
    return promotion


def visible(actor: Actor) -> Select:
    """The promotions an actor's dealer may apply: its own and the manufacturer's."""
    query = select(Promotion).order_by(Promotion.valid_to.desc(), Promotion.id.desc())
    if not actor.sees_all_dealers:
        query = query.where(or_(Promotion.dealer_code.is_(None), Promotion.dealer_code == actor.dealer_code))
    return query


def get(session: Session, actor: Actor, promotion_id: int) -> Promotion:
    found = session.get(Promotion, promotion_id)
    if found is None or (found.dealer_code is not None and not actor.sees_dealer(found.dealer_code)):
        raise NotFound(Text(N_("no promotion {id}"), id=promotion_id))
    return found


def withdraw(session: Session, actor: Actor, promotion_id: int, now: datetime) -> Promotion:
    """Stop a promotion early (quotes already made keep it)."""
    actor.require("promotions")
    promotion = get(session, actor, promotion_id)
    if promotion.dealer_code is None and not actor.sees_all_dealers:
        raise Forbidden(N_("only the operator's administrator enters manufacturer promotions"))
    promotion.active = False
    audit.record(
        session, actor, now, "withdraw", "promotion", promotion.id, promotion.name, promotion.dealer_code
    )
    return promotion


def current(promotion: Promotion, today: date) -> bool:
    return promotion.active and promotion.valid_from <= today <= promotion.valid_to


def check_eligible(promotion: Promotion, vehicle: StockVehicle, dealer_code: str, today: date) -> None:
    """Nothing, or the one reason this promotion cannot be applied to this vehicle today."""
    if promotion.dealer_code is not None and promotion.dealer_code != dealer_code:
        raise NotFound(Text(N_("no promotion {id}"), id=promotion.id))
    if not promotion.active:
        raise UserError(Text(N_("{name} was withdrawn"), name=promotion.name))
    if today < promotion.valid_from:
        raise UserError(
            Text(N_("{name} starts on {day}"), name=promotion.name, day=promotion.valid_from.isoformat())
        )
    if today > promotion.valid_to:
        raise UserError(
            Text(N_("{name} expired on {day}"), name=promotion.name, day=promotion.valid_to.isoformat())
        )
    if vehicle.model not in promotion.model_list:
        raise UserError(
            Text(
                N_("{name} is not valid for {model} (only {models})"),
                name=promotion.name,
                model=vehicle.model,
                models=", ".join(promotion.model_list),
            )
        )


def apply(
    session: Session,
    actor: Actor,
    quote: SalesQuote,
    vehicle: StockVehicle,
    promotion_id: int,
    dealer_code: str,
    today: date,
) -> None:
    """Put promotion `promotion_id` on a quote being made, or refuse with the reason (field `promotion_id`)."""
    promotion = get(session, actor, promotion_id)
    try:
        check_eligible(promotion, vehicle, dealer_code, today)
    except UserError as refused:
        raise FieldError({"promotion_id": Text(N_("Promotion: {reason}"), reason=refused.args[0])}) from None
    quote.promotion_id, quote.promotion_cents = promotion.id, promotion.amount_cents
