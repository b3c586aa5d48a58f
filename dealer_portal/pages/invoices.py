"""Invoices and receivables (财务管理): the receivables list with its ageing, every invoice, one page per
invoice with its payments and a payment form, and the invoice as PDF."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Form, Query
from fastapi.responses import HTMLResponse, Response

from dealer_portal.charts import bar_chart
from dealer_portal.forms import about, cents
from dealer_portal.i18n import current as current_locale
from dealer_portal.i18n import gettext as tr
from dealer_portal.messages import N_, PAYMENT_METHODS, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import PageNumber, paginate_rows
from dealer_portal.records import finance_kpis, invoice_pdf, invoices, payables, profit
from dealer_portal.records.sales_tables import SalesOrder
from dealer_portal.records.tables import ServiceOrder
from dealer_portal.web import Ctx, local_day, page
from dms.errors import UserError
from gateway.api.context import RowId  # ids beyond a database integer: 422, not a 500

router = page_router()
InvoicePage = Annotated[Ctx, Depends(page("invoices"))]
TextField = Annotated[str, Form()]


@router.get("/invoices", response_class=HTMLResponse)
def invoices_page(ctx: InvoicePage, show: str = "open", page_no: PageNumber = "1"):
    found = invoices.invoices(ctx.db, ctx.actor, only_open=show != "all")
    listing = paginate_rows(found, page_no, "/invoices", {"show": "" if show == "open" else show})
    return ctx.render(
        "invoices.html",
        receivables=invoices.receivables(ctx.db, ctx.actor, ctx.now),
        listing=listing,
        shown=listing.rows,
        show=show,
        status=invoices.status,
        status_labels=invoices.STATUS_LABELS,
        now=ctx.now,
    )


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(ctx: InvoicePage, invoice_id: RowId):
    invoice = invoices.get(ctx.db, ctx.actor, invoice_id)
    return ctx.render(
        "invoice.html",
        invoice=invoice,
        order=ctx.db.get(ServiceOrder, invoice.order_id) if invoice.order_id else None,
        sale=ctx.db.get(SalesOrder, invoice.sales_order_id) if invoice.sales_order_id else None,
        status=invoices.status(invoice),
        status_labels=invoices.STATUS_LABELS,
        methods=invoices.METHOD_LABELS,
        method_names=PAYMENT_METHODS,
        line_text=invoices.line_text,
    )


@router.get("/invoices/{invoice_id}/pdf")
def invoice_pdf_download(ctx: InvoicePage, invoice_id: RowId):
    invoice = invoices.get(ctx.db, ctx.actor, invoice_id)
    data = invoice_pdf.render_for(ctx.db, invoice)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )


@router.post("/invoices/{invoice_id}/payment")
def record_payment(
    ctx: InvoicePage,
    invoice_id: RowId,
    amount: TextField = "",
    method: TextField = "",
    reference: TextField = "",
):
    invoices.get(ctx.db, ctx.actor, invoice_id)  # another dealer's invoice: not found, before any field check
    amount_cents = cents(amount, N_("Amount"), field="amount")
    with about("amount"):
        invoices.record_payment(
            ctx.db,
            ctx.actor,
            invoice_id,
            amount_cents=amount_cents,
            method=method,
            reference=reference,
            now=ctx.now,
        )
    return ctx.done(f"/invoices/{invoice_id}", N_("payment recorded"))


MARGIN_ROWS = 200  # the margins listed on the page; the statement counts them all


@router.get("/finance", response_class=HTMLResponse)
def finance_page(
    ctx: InvoicePage,
    from_: Annotated[str, Query(alias="from")] = "",
    to: str = "",
    month: str = "",
    quarter: str = "",
):
    """Revenue, parts share, payments, warranty credits, turnover and repair share, the margin of each
    order and counter sale and the profit and loss by currency, for a month, a quarter or the days
    chosen (default: the year to date), as the reader's time zone counts days."""
    today = local_day(ctx)
    if month.strip():
        first, last = profit.month_days(month)
    elif quarter.strip():
        first, last = profit.quarter_days(quarter)
    else:
        first = _date(from_, N_("From")) or date(today.year, 1, 1)
        last = _date(to, N_("To")) or today
    zone = current_locale().tz
    figures = finance_kpis.figures(ctx.db, ctx.actor, finance_kpis.Period.of_dates(first, last, zone))
    pnl = profit.report(ctx.db, ctx.actor, first, last, zone)
    months = list(figures.by_month)
    chart = bar_chart(
        months,
        {
            N_("labour"): [figures.by_month[m]["labour"] / 100 for m in months],
            N_("parts"): [figures.by_month[m]["parts"] / 100 for m in months],
        },
        title=tr(N_("Revenue invoiced by month (incl. VAT)")),
    )
    return ctx.render(
        "finance.html",
        f=figures,
        first=first,
        last=last,
        month=month.strip() or f"{today:%Y-%m}",
        quarter=quarter.strip() or f"{today.year}-Q{(today.month - 1) // 3 + 1}",
        chart=chart,
        pnl=pnl,
        margins=pnl.margins[:MARGIN_ROWS],
        payables=payables.payables(ctx.db, ctx.actor, ctx.now),
        age_labels=payables.AGE_LABELS,
    )


def _date(text: str, what: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(Text(N_("{what}: enter a date like 2026-03-02"), what=what)) from None
