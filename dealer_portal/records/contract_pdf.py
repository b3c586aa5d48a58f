"""The sales contract (整车销售合同) as a PDF (fpdf2).

Chinese text (customer names, models, plates, the title) needs a CJK font: the first of `pdf_fonts.CJK_FONTS`
that is installed (scripts/ensure_system_packages.sh installs Debian's fonts-wqy-zenhei; fonts-noto-cjk
or fonts-wqy-microhei serve too). Without one, or without fpdf2, `render` raises `FontMissing` and the
portal shows the printable HTML contract with that message instead: a contract is never printed with
its buyer's name lost. The order number, VIN and total are also in the PDF's metadata (title, subject,
keywords), which any reader shows and tests can find without a text extractor."""

from __future__ import annotations

from pathlib import Path

from dealer_portal import i18n
from dealer_portal.i18n import gettext as _
from dealer_portal.messages import N_
from dealer_portal.records.money import format_cents
from dealer_portal.records.pdf_fonts import cjk_font
from dealer_portal.records.sales_tables import SalesOrder
from dealer_portal.records.tables import Customer
from dms.errors import UserError

TITLE = N_("Contract of sale of a new vehicle")
SALESPERSON = N_("salesperson {name}")
CLAUSE = N_(
    "The vehicle is reserved for the buyer from signing. It is handed over after the pre-delivery "
    "inspection against payment of the balance."
)


class FontMissing(UserError):
    """No CJK font (or no fpdf2) on this machine: the contract is shown as HTML instead."""


def render(
    order: SalesOrder,
    customer: Customer,
    *,
    dealer_name: str,
    font: Path | None = None,
) -> bytes:
    """The contract of `order` as PDF bytes; `font`: a TTF/TTC with Chinese glyphs (default: found)."""
    font = font or cjk_font()
    if font is None or not font.is_file():
        raise FontMissing(
            N_(
                "No Chinese (CJK) font is installed, so the contract PDF cannot be made; install "
                "fonts-wqy-zenhei (scripts/ensure_system_packages.sh). The printable contract is shown."
            )
        )
    try:
        from fpdf import FPDF
    except ImportError as exc:  # the gateway extra brings fpdf2
        raise FontMissing(N_("fpdf2 is not installed; the printable contract is shown.")) from exc

    vehicle, quote = order.vehicle, order.quote
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("cjk", "", str(font))
    loc = i18n.current()
    title = _(TITLE) if loc.language != "en" else f"{TITLE} · 整车销售合同"
    pdf.set_title(f"{_(TITLE)} {order.number}")
    pdf.set_subject(f"VIN {vehicle.vin}")
    promotion = f" promotion {quote.promotion.name}" if quote.promotion_cents else ""
    pdf.set_keywords(f"{order.number} {vehicle.vin} {format_cents(order.total_cents)}{promotion}")
    pdf.set_author(order.salesperson)
    pdf.set_creator("dms dealer portal")
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 7, order.number, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("cjk", size=10)
    buyer = customer.name + (f", {customer.phone}" if customer.phone else "")
    rows = [
        (
            _("Seller"),
            f"{dealer_name} ({order.dealer_code}) · {_(SALESPERSON).format(name=order.salesperson)}",
        ),
        (_("Buyer"), buyer),
        (_("Signed"), f"{loc.datetime(order.signed_at)} {loc.zone_label(order.signed_at)}"),
        (_("Vehicle"), ", ".join(x for x in (vehicle.model, vehicle.configuration, vehicle.colour) if x)),
        ("VIN", vehicle.vin),
        (_("certificate of conformity"), vehicle.coc_number or "—"),
    ]
    for label, value in rows:
        pdf.cell(45, 6, label)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    lines = [(_("Vehicle, list price"), quote.price_cents)]
    lines += [(f"+ {o.name}", o.price_cents) for o in quote.options]
    if quote.discount_cents:
        lines.append((_("- discount"), -quote.discount_cents))
    if quote.promotion_cents:
        lines.append((_("- promotion: {name}").format(name=quote.promotion.name), -quote.promotion_cents))
    if quote.trade_in_cents:
        what = " ".join(x for x in (quote.trade_in_description, quote.trade_in_vin) if x)
        lines.append((_("- trade-in: {what}").format(what=what), -quote.trade_in_cents))
    lines += [
        (_("Total"), order.total_cents),
        (_("Deposit"), order.deposit_cents),
        (_("Balance due at delivery"), order.total_cents - order.deposit_cents),
    ]
    for label, cents in lines:
        pdf.cell(140, 6, label, border="B")
        pdf.cell(0, 6, loc.money(abs(cents)), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.multi_cell(0, 5, _(CLAUSE), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(18)
    pdf.cell(90, 6, f"{_('Seller')} ______________________")
    pdf.cell(0, 6, f"{_('Buyer')} ______________________", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
