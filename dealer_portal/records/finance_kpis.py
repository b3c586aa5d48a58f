"""Financial and parts figures for a chosen period (财务报表, KPIs 配件销售占比, 库存周转率, 维修率):

- revenue invoiced (gross, VAT, net), split into labour and parts, by month, and the parts sales share
  (parts revenue / all revenue invoiced);
- payments received and warranty credits booked in the period;
- cost of parts issued to work orders and sold over the counter, and inventory turnover on the average
  stock: that cost / mean of the stock value at the start and at the end of the period (stock at a past
  date = today's stock less the moves since, both at today's part cost), scaled to a year;
- repair share of visits: settled repair orders / all settled orders (repair + maintenance);
- customer satisfaction: mean survey score (1-5) of the visits settled in the period, share of 4 and 5.

All money is integer cents summed exactly; amounts are per dealer (operator staff: all dealers)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer_portal.messages import N_
from dealer_portal.records.actor import Actor
from dealer_portal.records.aftersales_tables import Invoice, Payment, SatisfactionSurvey, WarrantyClaim
from dealer_portal.records.tables import Part, ServiceOrder, StockLevel, StockMove
from dms.errors import UserError

MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    @classmethod
    def of_dates(cls, first: date, last: date, zone: tzinfo = UTC) -> Period:
        """The days `first` to `last` inclusive as `zone` counts them (the reader's), in UTC."""
        if last < first:
            raise UserError(N_("To: on or after From"))
        if (last - first).days >= MAX_DAYS:
            raise UserError(N_("To: at most three years after From"))

        def start(day: date) -> datetime:
            return datetime.combine(day, time(), zone).astimezone(UTC)

        return cls(start(first), start(last + timedelta(days=1)))


@dataclass
class Figures:
    period: Period
    currencies: set[str] = field(default_factory=set)  # of the invoices (dealers may differ)
    gross_cents: int = 0
    tax_cents: int = 0
    labour_cents: int = 0
    parts_cents: int = 0
    vehicle_sales_cents: int = 0  # vehicle-sale invoices: outside the workshop's labour / parts split
    invoices: int = 0
    payments_cents: int = 0
    warranty_credit_cents: int = 0
    parts_issued_cost_cents: int = 0
    stock_start_cents: int = 0
    stock_end_cents: int = 0
    repairs: int = 0
    visits: int = 0
    survey_scores: list[int] = field(default_factory=list)
    by_month: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.tax_cents

    @property
    def parts_share_percent(self) -> float | None:
        total = self.labour_cents + self.parts_cents
        return 100.0 * self.parts_cents / total if total else None

    @property
    def average_stock_cents(self) -> float:
        return (self.stock_start_cents + self.stock_end_cents) / 2

    @property
    def turnover_per_year(self) -> float | None:
        if not self.average_stock_cents or self.period.days <= 0:
            return None
        return self.parts_issued_cost_cents / self.average_stock_cents * 365 / self.period.days

    @property
    def satisfaction(self) -> float | None:
        """Mean survey score (1-5) of the visits settled in the period that were surveyed."""
        return sum(self.survey_scores) / len(self.survey_scores) if self.survey_scores else None

    @property
    def satisfied_percent(self) -> float | None:
        """Share of answers scoring 4 or 5."""
        if not self.survey_scores:
            return None
        return 100.0 * sum(1 for s in self.survey_scores if s >= 4) / len(self.survey_scores)

    @property
    def repair_share_percent(self) -> float | None:
        return 100.0 * self.repairs / self.visits if self.visits else None


def mine(query, actor: Actor, column):
    """`query` limited to the actor's dealer (operator staff: every dealer's rows)."""
    return query if actor.sees_all_dealers else query.where(column == actor.dealer_code)


def invoices_in(session: Session, actor: Actor, period: Period) -> list[Invoice]:
    """The invoices of the actor's dealer(s) issued in the period."""
    query = select(Invoice).where(Invoice.issued_at >= period.start, Invoice.issued_at < period.end)
    return list(session.scalars(mine(query, actor, Invoice.dealer_code)))


def _stock_value_at(session: Session, actor: Actor, when: datetime) -> int:
    """The stock value at `when`: today's quantities less the moves since, at today's part cost."""
    now_value = session.scalar(
        mine(
            select(func.coalesce(func.sum(StockLevel.qty * Part.unit_cost_cents), 0)).join(Part),
            actor,
            Part.dealer_code,
        )
    )
    since = session.scalar(
        mine(
            select(func.coalesce(func.sum(StockMove.delta * Part.unit_cost_cents), 0))
            .join(Part)
            .where(StockMove.at >= when),
            actor,
            Part.dealer_code,
        )
    )
    return round(float(now_value) - float(since))


def figures(session: Session, actor: Actor, period: Period) -> Figures:
    actor.require("invoices")
    out = Figures(period)
    months: dict[str, dict[str, int]] = defaultdict(lambda: {"labour": 0, "parts": 0})
    for invoice in invoices_in(session, actor, period):
        out.invoices += 1
        out.currencies.add(invoice.currency)
        out.gross_cents += invoice.gross_cents
        out.tax_cents += invoice.tax_cents
        if invoice.sales_order_id is not None:
            out.vehicle_sales_cents += invoice.gross_cents
            continue
        for line in invoice.lines:
            kind = "parts" if line.kind == "part" else "labour"
            months[f"{invoice.issued_at:%Y-%m}"][kind] += line.total_cents
            if kind == "parts":
                out.parts_cents += line.total_cents
            else:
                out.labour_cents += line.total_cents
    out.by_month = dict(sorted(months.items()))
    out.payments_cents = int(
        session.scalar(
            mine(
                select(func.coalesce(func.sum(Payment.amount_cents), 0))
                .join(Invoice)
                .where(Payment.at >= period.start, Payment.at < period.end),
                actor,
                Invoice.dealer_code,
            )
        )
    )
    out.warranty_credit_cents = int(
        session.scalar(
            mine(
                select(func.coalesce(func.sum(WarrantyClaim.credited_cents), 0)).where(
                    WarrantyClaim.credited_at >= period.start, WarrantyClaim.credited_at < period.end
                ),
                actor,
                WarrantyClaim.dealer_code,
            )
        )
    )
    out.parts_issued_cost_cents = round(
        float(
            session.scalar(
                mine(
                    select(func.coalesce(func.sum(-StockMove.delta * StockMove.unit_cost_cents), 0))
                    .join(Part)
                    .where(
                        StockMove.kind.in_(("issue", "sale")),
                        StockMove.at >= period.start,
                        StockMove.at < period.end,
                    ),
                    actor,
                    Part.dealer_code,
                )
            )
        )
    )
    out.stock_start_cents = _stock_value_at(session, actor, period.start)
    out.stock_end_cents = _stock_value_at(session, actor, period.end)
    settled = session.execute(
        mine(
            select(ServiceOrder.kind, func.count())
            .where(
                ServiceOrder.state == "settled",
                ServiceOrder.settled_at >= period.start,
                ServiceOrder.settled_at < period.end,
            )
            .group_by(ServiceOrder.kind),
            actor,
            ServiceOrder.dealer_code,
        )
    ).all()
    out.visits = sum(n for _, n in settled)
    out.repairs = sum(n for kind, n in settled if kind == "repair")
    out.survey_scores = list(
        session.scalars(
            mine(
                select(SatisfactionSurvey.score)
                .join(ServiceOrder, ServiceOrder.id == SatisfactionSurvey.order_id)
                .where(ServiceOrder.settled_at >= period.start, ServiceOrder.settled_at < period.end),
                actor,
                ServiceOrder.dealer_code,
            )
        )
    )
    return out
