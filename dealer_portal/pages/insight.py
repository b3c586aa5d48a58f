"""KPIs with server-rendered charts, and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import HTMLResponse

from dealer_portal.charts import bar_chart
from dealer_portal.i18n import gettext as tr
from dealer_portal.messages import N_
from dealer_portal.pages import page_router
from dealer_portal.paging import paginate
from dealer_portal.records import audit, kpis
from dealer_portal.web import Ctx, page

router = page_router()


@router.get("/kpis", response_class=HTMLResponse)
def kpi_page(ctx: Annotated[Ctx, Depends(page("kpis"))], months: int = 6):
    months = min(max(months, 3), 24)
    labels, by_type = kpis.maintenance_by_month(ctx.db, ctx.actor, ctx.now, months)
    _, durations = kpis.repair_duration_hours(ctx.db, ctx.actor, ctx.now, months)
    rates = kpis.events_per_1000_km(ctx.db, ctx.actor, ctx.now)
    charted = [r for r in rates if r.km > 0]
    return ctx.render(
        "kpis.html",
        months=months,
        records_chart=bar_chart(
            labels, by_type, title=tr(N_("Maintenance records by month and type")), integers=True
        ),
        duration_chart=bar_chart(
            labels,
            {"hours": durations},
            title=tr(N_("Mean repair duration (hours, reception → settlement)")),
            unit=" " + tr(N_("h")),
        ),
        events_chart=bar_chart(
            [r.vehicle_id for r in charted],
            {
                "fatigue": [round(r.per_1000_km(r.fatigue), 2) for r in charted],
                "distraction": [round(r.per_1000_km(r.distraction), 2) for r in charted],
            },
            title=tr(N_("Driver episodes per 1,000 km (last 90 days)")),
            stacked=False,
        ),
        comeback=kpis.comeback_rate(ctx.db, ctx.actor),
        turnover=kpis.inventory_turnover(ctx.db, ctx.actor, ctx.now),
        rates=rates,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    ctx: Annotated[Ctx, Depends(page("audit"))],
    entity: str = "",
    who: str = "",
    q: str = "",
    sort: str = "newest",
    page_no: Annotated[int, Query(alias="page")] = 1,
):
    """The audit log, 50 entries a page; filters, sort order and page are all in the URL."""
    sort = sort if sort in audit.SORTS else "newest"
    params = {"entity": entity, "who": who, "q": q, "sort": "" if sort == "newest" else sort}
    found = audit.query(ctx.actor, entity=entity, who=who, text=q, sort=sort)
    return ctx.render(
        "audit.html",
        listing=paginate(ctx.db, found, page_no, "/audit", params),
        entity=entity,
        who=who,
        q=q,
        sort=sort,
        sorts=list(audit.SORTS),
    )
