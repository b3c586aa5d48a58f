"""Who is acting, and what each role may touch. The web layer builds an `Actor` from the session;
domain functions receive it and enforce the rules themselves, so no route can forget them."""

from __future__ import annotations

from dataclasses import dataclass

from dealer_portal.messages import N_, Text
from dealer_portal.messages import label_msgid as _label
from dms.errors import UserError

ROLES = ("admin", "dispatcher", "service_advisor", "technician", "salesperson", "sales_manager")

# Area -> roles allowed in it. Areas are coarse on purpose: one table a reviewer can read.
AREAS: dict[str, frozenset[str]] = {
    "fleet": frozenset({"admin", "dispatcher", "service_advisor"}),
    "vehicles": frozenset({"admin", "dispatcher", "service_advisor"}),
    "dispatch": frozenset({"admin", "dispatcher"}),
    "service": frozenset({"admin", "service_advisor", "technician"}),
    "service_desk": frozenset({"admin", "service_advisor"}),
    "parts": frozenset({"admin", "service_advisor"}),
    "scrapping": frozenset({"admin", "dispatcher"}),
    "scrap_approval": frozenset({"admin"}),
    "kpis": frozenset({"admin", "dispatcher", "service_advisor"}),
    "audit": frozenset({"admin"}),
    # New-vehicle sales and logistics (#22). Salespeople sell (each works their own leads, quotes and
    # orders); a sales manager sees the dealer's whole sales desk and approves discounts above the
    # threshold. The service advisor no longer sells: the showroom and the workshop are separate desks.
    # Stock, logistics and the exchange stay with the service advisor as well (yard, PDI and storage staff
    # are the after-sales side in a 4S dealer); the sales staff read the stock to quote from it.
    "stock": frozenset({"admin", "service_advisor", "salesperson", "sales_manager"}),
    "stock_edit": frozenset({"admin", "service_advisor", "sales_manager"}),  # new stock, yard, PDI, papers
    "sales": frozenset({"admin", "salesperson", "sales_manager"}),
    "sales_all": frozenset({"admin", "sales_manager"}),  # every salesperson's leads and orders
    "sales_approval": frozenset({"admin", "sales_manager"}),
    "credit_admin": frozenset({"admin"}),  # dealer credit limits with the manufacturer
    # Used cars bought from private sellers (appraisal: salespeople and managers; approval above the
    # limit: sales_approval), promotions (the sales manager the dealer's, an operator admin the
    # manufacturer's), the customer's finance application (the salesperson; the lender's answer is
    # recorded by the sales manager: sales_approval), the dealer's floor plan, and the yard map (stock to
    # read it, stock_edit to move vehicles and lay out zones).
    "appraisal": frozenset({"admin", "salesperson", "sales_manager"}),
    "promotions": frozenset({"admin", "sales_manager"}),
    "floor_plan": frozenset({"admin", "sales_manager"}),
    "logistics": frozenset({"admin", "service_advisor", "sales_manager"}),
    "exchange": frozenset({"admin", "service_advisor", "sales_manager"}),
    "admin": frozenset({"admin"}),  # users, dealers, maintenance rules, dead letters (pages/admin.py)
    "notifications": frozenset({"admin", "dispatcher", "service_advisor"}),  # one's own rules and log
    "request_service": frozenset({"admin", "dispatcher"}),  # from the fleet side, to the vehicle's dealer
    # after-sales and customers (issue #21)
    "customers": frozenset({"admin", "service_advisor"}),
    "labour_clock": frozenset({"technician"}),
    "warranty": frozenset({"admin", "service_advisor"}),
    "invoices": frozenset({"admin", "service_advisor"}),
    # Invoicing a delivered vehicle sale (销售开票): the sales manager (or an admin), not the salesperson
    # who sold it. The invoice then sits in the shared receivables (`invoices`), paid at the same desk.
    "sales_invoice": frozenset({"admin", "sales_manager"}),
    "dealer_settings": frozenset({"admin"}),  # a dealer's currency, VAT rate and service interval
    "workshop": frozenset({"admin", "service_advisor"}),  # technician teams, skills and workload
    "payables_approval": frozenset({"admin"}),  # accepting a supplier invoice that differs from the order
}


class Forbidden(UserError):
    """The actor's role or dealer does not allow this."""

    exit_code = 3


class NotFound(UserError):
    """No such record visible to this actor (another dealer's records are 'not found', not 'forbidden')."""

    exit_code = 4


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    role: str
    dealer_code: str | None = None

    def may(self, area: str) -> bool:
        return self.role in AREAS[area]

    def require(self, area: str) -> None:
        if not self.may(area):
            raise Forbidden(
                Text(N_("a {role} may not use {area}"), role=Text(_label(self.role)), area=Text(_label(area)))
            )

    @property
    def sees_all_dealers(self) -> bool:
        """Only a user without a dealer (the operator's staff) sees every dealer's records."""
        return self.dealer_code is None

    def sees_dealer(self, dealer_code: str | None) -> bool:
        return self.sees_all_dealers or dealer_code == self.dealer_code

    def own_dealer(self, requested: str | None = None) -> str:
        """The dealer a new record belongs to: the actor's own, or (for operator staff) the one named."""
        code = self.dealer_code or requested
        if not code:
            raise UserError(Text(N_("choose the dealer this record belongs to")))
        if not self.sees_dealer(code):
            raise Forbidden(Text(N_("you may not create records for another dealer")))
        return code
