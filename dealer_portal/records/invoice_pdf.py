"""An invoice as a PDF (fpdf2). Chinese text needs a CJK font: the first of `pdf_fonts.CJK_FONTS` installed
(scripts/ensure_system_packages.sh installs Debian's fonts-wqy-zenhei). Without one the PDF falls back
to DejaVu Sans (or the PDF core font), shows every character it lacks as "?" and says so at the bottom,
so the document is still produced and nothing is silently dropped."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session

from dealer_portal import i18n
from dealer_portal.i18n import gettext as _
from dealer_portal.messages import N_
from dealer_portal.records.aftersales_tables import Invoice
from dealer_portal.records.invoices import line_text
from dealer_portal.records.money import format_cents
from dealer_portal.records.pdf_fonts import cjk_font
from dealer_portal.records.sales_tables import SalesOrder
from dealer_portal.records.tables import ServiceOrder
from gateway.db.models import Dealer

FALLBACK_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),)
FONT_MISSING_NOTE = N_("No CJK font is installed: characters this font lacks are shown as ?.")


def _font() -> tuple[Path | None, bool]:
    """(font file, whether it covers Chinese); (None, False): the PDF core font (Latin-1 only)."""
    if (path := cjk_font()) is not None:
        return path, True
    return next((p for p in FALLBACK_FONTS if p.is_file()), None), False


def _cleaner(cjk: bool, core: bool):
    def clean(text: object) -> str:
        value = str(text)
        if core:
            return value.encode("latin-1", "replace").decode("latin-1")
        if not cjk:
            return "".join("?" if ord(ch) >= 0x2E80 else ch for ch in value)
        return value

    return clean


def render_for(session: Session, invoice: Invoice) -> bytes:
    """The PDF of any invoice: a work order's, a counter sale's or a vehicle sale's."""
    dealer = session.get(Dealer, invoice.dealer_code)
    name = dealer.name if dealer else invoice.dealer_code
    if invoice.sales_order_id is not None:
        sale = session.get(SalesOrder, invoice.sales_order_id)
        return render(
            invoice, dealer_name=name, source=(_("Sales order"), f"{sale.number} · VIN {sale.vehicle.vin}")
        )
    order = session.get(ServiceOrder, invoice.order_id) if invoice.order_id else None
    return render(
        invoice, dealer_name=name, vehicle=order.vehicle_id if order else "", order_id=invoice.order_id
    )


def render(
    invoice: Invoice,
    *,
    dealer_name: str,
    vehicle: str = "",
    order_id: int | None = None,
    source: tuple[str, str] | None = None,
) -> bytes:
    """`source`: what the invoice bills as (label, value), a sales order; else the work order `order_id`
    and its `vehicle` ("—" for a counter sale)."""
    from fpdf import FPDF

    # fontTools says, for every PDF, that it drops the CJK font's bitmap table (unused: glyphs are outlines)
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

    loc = i18n.current()
    path, cjk = _font()
    clean = _cleaner(cjk, path is None)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    if path is None:
        family = "helvetica"
    else:
        family = "body"
        pdf.add_font(family, "", str(path))
    pdf.set_title(clean(invoice.number))
    pdf.set_font(family, size=18)
    pdf.cell(0, 10, clean(_("Invoice {number}").format(number=invoice.number)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    head = [
        (_("Dealer"), f"{dealer_name} ({invoice.dealer_code})"),
        (_("Date"), f"{loc.datetime(invoice.issued_at)} {loc.zone_label(invoice.issued_at)}"),
        (_("Customer"), invoice.customer_name or "—"),
        source or (_("Work order"), f"#{order_id} · {vehicle}" if order_id else "—"),
        (_("Currency"), invoice.currency),
    ]
    for label, value in head:
        pdf.cell(35, 6, clean(label))
        pdf.cell(0, 6, clean(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (95, 20, 30, 35)
    pdf.set_font(family, size=9)
    for text, width, align in zip(
        (_("Description"), _("Qty"), _("Unit price"), _("Amount")), widths, "LRRR", strict=True
    ):
        pdf.cell(width, 7, clean(text), border="B", align=align)
    pdf.ln()

    def fit(text: str, width: float) -> str:
        """The text cut to the cell's width (a long description must not run over the amounts)."""
        text = clean(text)
        if pdf.get_string_width(text) <= width - 2:
            return text
        while text and pdf.get_string_width(text + "...") > width - 2:
            text = text[:-1]
        return text + "..."

    for line in invoice.lines:
        cells = (
            line_text(line),
            f"{line.quantity:g}",
            format_cents(line.unit_cents),
            format_cents(line.total_cents),
        )
        for text, width, align in zip(cells, widths, "LRRR", strict=True):
            pdf.cell(width, 6, fit(text, width), align=align)
        pdf.ln()
    pdf.ln(2)
    rate = f"{invoice.tax_rate_bp / 100:g} %"
    totals = [
        (_("Net"), invoice.net_cents),
        (_("VAT {rate} (included)").format(rate=rate), invoice.tax_cents),
        (_("Total"), invoice.gross_cents),
        (_("Paid"), invoice.paid_cents),
        (_("Outstanding"), invoice.outstanding_cents),
    ]
    for label, cents in totals:
        pdf.cell(sum(widths[:3]), 6, clean(label), align="R")
        pdf.cell(
            widths[3],
            6,
            clean(
                loc.money(cents)
                if invoice.currency == loc.currency
                else f"{format_cents(cents)} {invoice.currency}"
            ),
            align="R",
        )
        pdf.ln()
    if not cjk:
        pdf.ln(6)
        pdf.set_font(family, size=8)
        pdf.multi_cell(0, 5, clean(_(FONT_MISSING_NOTE)))
    return bytes(pdf.output())
