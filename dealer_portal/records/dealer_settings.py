"""Each dealer's invoicing settings (财务设置): the currency its invoices are in, the VAT rate they
contain, the months after a visit when a customer is reminded of the next service, the days before an
annual inspection or an insurance expiry when the customer is reminded of it, and the workshop's labour
cost per clocked hour (the cost side of a work order's margin). A dealer that has saved nothing uses the
defaults, which are the portal's behaviour before these settings existed: CNY and 13 % VAT
(invoices.CURRENCY, invoices.TAX_RATE_BP), a reminder 12 months after the last visit, renewals 30 days
ahead, no labour cost recorded (0).

An invoice copies the currency and rate at issue: changing them later never changes an issued invoice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from babel.numbers import list_currencies
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import AUDIT_DEALER_SETTINGS, N_, Text
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.workshop_tables import DealerSettings
from gateway.db.models import Dealer

DEFAULT_CURRENCY = "CNY"
DEFAULT_TAX_RATE_BP = 1300  # China's VAT on repair services and parts: 13 %
DEFAULT_SERVICE_INTERVAL_MONTHS = 12
MAX_TAX_RATE_BP = 5000  # 50 %: beyond that the rate is a typo
MAX_INTERVAL_MONTHS = 60
DEFAULT_RENEWAL_WINDOW_DAYS = 30
MAX_RENEWAL_WINDOW_DAYS = 120  # a reminder months ahead is forgotten before it matters
MAX_LABOUR_COST_CENTS = 10_000_00  # 10,000 an hour: beyond that the figure is a typo

BAD_CURRENCY = N_("Currency: enter an ISO 4217 code, like CNY or EUR")
BAD_TAX_RATE = N_("VAT rate: a percentage from 0 to 50 with at most two decimals, like 13 or 6.5")
BAD_INTERVAL = N_("Service interval: whole months from 1 to 60")
BAD_RENEWAL_WINDOW = N_("Renewal reminders: whole days from 1 to 120")
BAD_LABOUR_COST = N_("Labour cost per hour: an amount from 0 to 10000 with at most two decimals")


@dataclass(frozen=True)
class Effective:
    dealer_code: str
    currency: str
    tax_rate_bp: int
    service_interval_months: int
    saved: bool  # False: the defaults
    renewal_window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS
    labour_cost_cents_per_hour: int = 0

    @property
    def tax_rate_percent(self) -> Decimal:
        return Decimal(self.tax_rate_bp).scaleb(-2).normalize()


def effective(session: Session, dealer_code: str) -> Effective:
    """The settings a dealer's records use now (no role check: invoicing and reminders read them)."""
    row = session.get(DealerSettings, dealer_code)
    if row is None:
        return Effective(
            dealer_code, DEFAULT_CURRENCY, DEFAULT_TAX_RATE_BP, DEFAULT_SERVICE_INTERVAL_MONTHS, False
        )
    return Effective(
        dealer_code,
        row.currency,
        row.tax_rate_bp,
        row.service_interval_months,
        True,
        row.renewal_window_days,
        row.labour_cost_cents_per_hour,
    )


def dealers_of(session: Session, actor: Actor) -> list[Effective]:
    """The settings of every dealer the actor administers (a dealer's admin: their own)."""
    actor.require("dealer_settings")
    dealers = session.query(Dealer).order_by(Dealer.code).all()
    return [effective(session, d.code) for d in dealers if actor.sees_dealer(d.code)]


def administered(session: Session, actor: Actor, dealer_code: str) -> None:
    """Refuse a dealer the actor does not administer (as not found), before any field is read."""
    actor.require("dealer_settings")
    if session.get(Dealer, dealer_code) is None or not actor.sees_dealer(dealer_code):
        raise NotFound(Text(N_("no dealer {code}"), code=dealer_code))


def parse(currency: str, tax_rate: str, interval: str) -> tuple[str, int, int]:
    """The form's three fields checked together: one message per wrong field (FieldError)."""
    errors: dict[str, str] = {}
    code = currency.strip().upper()
    if code not in list_currencies():
        errors["currency"] = BAD_CURRENCY
    rate_bp = -1
    try:
        rate = Decimal(tax_rate.strip().replace(",", ".").rstrip("%").strip())
        if rate.is_finite() and rate == rate.quantize(Decimal("0.01")):
            rate_bp = int(rate * 100)
    except InvalidOperation:
        pass
    if not 0 <= rate_bp <= MAX_TAX_RATE_BP:
        errors["tax_rate"] = BAD_TAX_RATE
    months = int(interval.strip()) if interval.strip().isdigit() else 0
    if not 1 <= months <= MAX_INTERVAL_MONTHS:
        errors["service_interval"] = BAD_INTERVAL
    if errors:
        raise FieldError(errors)
    return code, rate_bp, months


def parse_costs(window: str, labour_cost: str) -> tuple[int | None, int | None]:
    """The renewal window (days) and the labour cost per hour (cents): one message per wrong field; an
    empty field is None (the saved value stays, so a client that does not know the fields changes
    nothing of them)."""
    errors: dict[str, str] = {}
    days: int | None = None
    if window.strip():
        days = int(window.strip()) if window.strip().isdigit() and len(window.strip()) <= 4 else 0
        if not 1 <= days <= MAX_RENEWAL_WINDOW_DAYS:
            errors["renewal_window"] = BAD_RENEWAL_WINDOW
    cost: int | None = None
    text = labour_cost.strip().replace(",", ".")
    if text:
        cost = -1
        try:
            amount = Decimal(text) if len(text) <= 12 else Decimal("NaN")
            if amount.is_finite() and amount == amount.quantize(Decimal("0.01")):
                cost = int(amount * 100)
        except InvalidOperation:
            pass
        if not 0 <= cost <= MAX_LABOUR_COST_CENTS:
            errors["labour_cost"] = BAD_LABOUR_COST
    if errors:
        raise FieldError(errors)
    return days, cost


def save(
    session: Session,
    actor: Actor,
    dealer_code: str,
    *,
    currency: str,
    tax_rate_bp: int,
    service_interval_months: int,
    now: datetime,
    renewal_window_days: int | None = None,
    labour_cost_cents_per_hour: int | None = None,
) -> Effective:
    """Save a dealer's settings; the renewal window and labour cost stay as they are when not given."""
    administered(session, actor, dealer_code)
    if currency not in list_currencies():
        raise FieldError({"currency": BAD_CURRENCY})
    if not 0 <= tax_rate_bp <= MAX_TAX_RATE_BP:
        raise FieldError({"tax_rate": BAD_TAX_RATE})
    if not 1 <= service_interval_months <= MAX_INTERVAL_MONTHS:
        raise FieldError({"service_interval": BAD_INTERVAL})
    before = effective(session, dealer_code)
    window = before.renewal_window_days if renewal_window_days is None else renewal_window_days
    labour = (
        before.labour_cost_cents_per_hour
        if labour_cost_cents_per_hour is None
        else labour_cost_cents_per_hour
    )
    if not 1 <= window <= MAX_RENEWAL_WINDOW_DAYS:
        raise FieldError({"renewal_window": BAD_RENEWAL_WINDOW})
    if not 0 <= labour <= MAX_LABOUR_COST_CENTS:
        raise FieldError({"labour_cost": BAD_LABOUR_COST})
    before = effective(session, dealer_code)
    row = session.get(DealerSettings, dealer_code)
    if row is None:
        row = DealerSettings(dealer_code=dealer_code)
        session.add(row)
    row.currency, row.tax_rate_bp, row.service_interval_months = (
        currency,
        tax_rate_bp,
        service_interval_months,
    )
    row.renewal_window_days, row.labour_cost_cents_per_hour = window, labour
    row.updated_at, row.updated_by = now, actor.username
    session.flush()
    after = effective(session, dealer_code)
    audit.record(
        session,
        actor,
        now,
        "dealer:settings",
        "dealer",
        dealer_code,
        AUDIT_DEALER_SETTINGS.format(
            currency_before=before.currency,
            currency=after.currency,
            vat_before=f"{before.tax_rate_bp / 100:g}",
            vat=f"{after.tax_rate_bp / 100:g}",
            months_before=before.service_interval_months,
            months=after.service_interval_months,
            days_before=before.renewal_window_days,
            days=after.renewal_window_days,
            labour_before=before.labour_cost_cents_per_hour,
            labour=after.labour_cost_cents_per_hour,
        ),
        dealer_code=dealer_code,
    )
    return after
