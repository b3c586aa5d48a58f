"""Supplier invoices and payables (应付账款): a supplier's invoice recorded against a purchase order's
receipts (the form sits on the purchase order's page), the payables list with its ageing, one page per
supplier invoice with its match against the order, the acceptance of a difference, and payments."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import about, cents, number
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.pages.invoices import _date
from dealer_portal.paging import Order, PageNumber, listed
from dealer_portal.records import invoices, payables, purchasing
from dealer_portal.web import Ctx, page
from dms.errors import UserError
from gateway.api.context import RowId  # ids beyond a database integer: 422, not a 500

router = page_router()
InvoicePage = Annotated[Ctx, Depends(page("invoices"))]
TextField = Annotated[str, Form()]


SUPPLIER_INVOICE_ORDERS = {
    "due": Order(N_("due date"), lambda i: (i.due_date, i.id)),
    "outstanding": Order(N_("most outstanding"), lambda i: (i.outstanding_cents, -i.id), descending=True),
    "supplier": Order(N_("supplier"), lambda i: (i.supplier.casefold(), i.due_date, i.id)),
    "newest": Order(N_("newest"), lambda i: i.id, descending=True),
}


@router.get("/payables", response_class=HTMLResponse)
def payables_page(
    ctx: InvoicePage, show: str = "open", supplier: str = "", sort: str = "", page_no: PageNumber = "1"
):
    """Supplier invoices, outstanding or all, of one supplier or every one (all in the URL), 50 a page."""
    show = "all" if show == "all" else "open"
    found = payables.listing(ctx.db, ctx.actor, only_open=show != "all")
    suppliers = sorted({i.supplier for i in found}, key=str.casefold)
    supplier = supplier if supplier in suppliers else ""
    found = [i for i in found if not supplier or i.supplier == supplier]
    params = {"show": "" if show == "open" else show, "supplier": supplier}
    return ctx.render(
        "payables.html",
        payables=payables.payables(ctx.db, ctx.actor, ctx.now),
        shown=listed(found, page_no, "/payables", params, orders=SUPPLIER_INVOICE_ORDERS, sort=sort),
        suppliers=suppliers,
        supplier=supplier,
        show=show,
        status=payables.status,
        status_labels=payables.STATUS_LABELS,
        age_labels=payables.AGE_LABELS,
    )


@router.post("/purchasing/{order_id}/supplier-invoice")
async def record(ctx: InvoicePage, order_id: RowId):
    order = purchasing.get(ctx.db, ctx.actor, order_id)  # another dealer's order: not found first
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    issued = _date(form.get("invoice_date", ""), N_("Invoice date"))
    due = _date(form.get("due_date", ""), N_("Due date"))
    if issued is None or due is None:
        raise UserError(N_("Invoice date and due date: enter dates like 2026-03-02"))
    lines = {}
    for line in order.lines:
        qty = form.get(f"qty_{line.id}", "").strip()
        if qty:
            lines[line.id] = (
                number(qty, N_("Quantity"), field=f"qty_{line.id}"),
                cents(form.get(f"unit_{line.id}", ""), N_("Unit price"), field=f"unit_{line.id}"),
            )
    with about("supplier_number"):
        invoice = payables.record(
            ctx.db,
            ctx.actor,
            order_id,
            number=form.get("supplier_number", ""),
            invoice_date=issued,
            due_date=due,
            lines=lines,
            now=ctx.now,
        )
    return ctx.done(
        f"/payables/{invoice.id}", Text(N_("supplier invoice {number} recorded"), number=invoice.number)
    )


@router.get("/payables/{invoice_id}", response_class=HTMLResponse)
def invoice_page(ctx: InvoicePage, invoice_id: RowId):
    invoice = payables.get(ctx.db, ctx.actor, invoice_id)
    order = purchasing.get(ctx.db, ctx.actor, invoice.purchase_order_id)
    return ctx.render(
        "supplier_invoice.html",
        invoice=invoice,
        order=order,
        po_lines={ln.id: ln for ln in order.lines},
        parts=purchasing.parts_by_id(ctx.db, order),
        status=payables.status(invoice),
        status_labels=payables.STATUS_LABELS,
        methods=invoices.METHOD_LABELS,
    )


@router.post("/payables/{invoice_id}/accept")
def accept(ctx: InvoicePage, invoice_id: RowId):
    payables.accept_difference(ctx.db, ctx.actor, invoice_id, ctx.now)
    return ctx.done(f"/payables/{invoice_id}", N_("difference accepted"))


@router.post("/payables/{invoice_id}/payment")
def pay(
    ctx: InvoicePage,
    invoice_id: RowId,
    amount: TextField = "",
    method: TextField = "",
    reference: TextField = "",
):
    payables.get(ctx.db, ctx.actor, invoice_id)  # another dealer's invoice: not found, before any field check
    amount_cents = cents(amount, N_("Amount"), field="amount")
    with about("amount"):
        payables.pay(
            ctx.db,
            ctx.actor,
            invoice_id,
            amount_cents=amount_cents,
            method=method,
            reference=reference,
            now=ctx.now,
        )
    return ctx.done(f"/payables/{invoice_id}", N_("payment to the supplier recorded"))
