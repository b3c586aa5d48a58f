"""The REST API of the dealer's after-sales records (issue #21), for integrations: a call centre or CRM
finds or creates customers, the manufacturer's system answers warranty claims and books credits, a
payment terminal or the bank reconciliation records payments against invoices, a supplier's e-invoice
feed records supplier invoices against purchase orders and the bank pays them.

Under `/api/dealer`, beside the gateway's API and with its authentication: a bearer token
(`POST /api/token`), or the portal's session cookie for reading. The same domain functions as the pages
enforce roles and dealers; another dealer's record answers 404."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dealer_portal.records import customers as crm
from dealer_portal.records import invoices, payables, warranty
from dealer_portal.records.actor import Actor, Forbidden, NotFound
from dealer_portal.records.aftersales_tables import Invoice
from dealer_portal.records.tables import Customer
from dealer_portal.records.workshop_tables import SupplierInvoice
from dms.errors import UserError
from gateway.api.context import ApiContext, RowId, api_context, current_user, get_db
from gateway.api.errors import ERROR_RESPONSES, unprocessable
from gateway.db.models import User

router = APIRouter(prefix="/api/dealer", tags=["dealer after-sales"], responses=ERROR_RESPONSES)
Db = Annotated[Session, Depends(get_db)]
Caller = Annotated[User, Depends(current_user)]
Api = Annotated[ApiContext, Depends(api_context)]
Money = Annotated[
    Decimal, Field(ge=0, le=Decimal("99999999.99"), decimal_places=2, description="amount, e.g. 123.45")
]


def _actor(user: User) -> Actor:
    return Actor(user.username, user.role, user.dealer_code)


@contextmanager
def _answers() -> Iterator[None]:
    """Domain refusals as HTTP answers: 403, 404, else 422 with the message."""
    try:
        yield
    except Forbidden as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except UserError as exc:
        raise unprocessable(str(exc)) from None


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _m(cents: int) -> Decimal:
    """Integer cents as the exact decimal amount every answer carries."""
    return Decimal(cents).scaleb(-2)


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120, description="the customer's name")
    phone: str = Field("", max_length=40, description="phone number, any formatting")
    email: str = Field("", max_length=120, description="e-mail address")
    dealer_code: str | None = Field(None, max_length=32, description="operator staff only: the dealer")


class CustomerOut(BaseModel):
    id: int
    dealer_code: str
    name: str
    phone: str
    email: str
    consent: bool
    consent_at: datetime | None


class FoundCustomer(BaseModel):
    customer: CustomerOut
    created: bool = Field(description="false: an existing customer with this phone or e-mail")


def _customer(c: Customer) -> CustomerOut:
    return CustomerOut(
        id=c.id,
        dealer_code=c.dealer_code,
        name=c.name,
        phone=c.phone,
        email=c.email,
        consent=c.consent,
        consent_at=c.consent_at,
    )


@router.get("/customers", response_model=list[CustomerOut])
def list_customers(
    user: Caller, db: Db, q: Annotated[str, Query(max_length=120, description="name, phone or e-mail")] = ""
):
    with _answers():
        return [_customer(c) for c in crm.search(db, _actor(user), q)]


@router.post("/customers", response_model=FoundCustomer)
def find_or_create_customer(body: CustomerIn, user: Caller, db: Db, api: Api):
    """The dealer's customer with this phone or e-mail, else a new one: never a duplicate."""
    actor = _actor(user)
    with _answers():
        actor.require("customers")
        dealer = actor.own_dealer(body.dealer_code)
        customer, created = crm.find_or_create(
            db, actor, dealer_code=dealer, name=body.name, phone=body.phone, email=body.email, now=api.clock()
        )
        db.commit()
        return FoundCustomer(customer=_customer(customer), created=created)


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: RowId, user: Caller, db: Db):
    with _answers():
        return _customer(crm.get(db, _actor(user), customer_id))


class ClaimOut(BaseModel):
    id: int
    number: str
    dealer_code: str
    order_id: int
    state: str
    claimed_amount: Decimal
    credited_amount: Decimal | None


def _claim(c) -> ClaimOut:
    return ClaimOut(
        id=c.id,
        number=c.number,
        dealer_code=c.dealer_code,
        order_id=c.order_id,
        state=c.state,
        claimed_amount=_m(c.claimed_cents),
        credited_amount=None if c.credited_cents is None else _m(c.credited_cents),
    )


@router.get("/warranty-claims", response_model=list[ClaimOut])
def list_claims(
    user: Caller,
    db: Db,
    state: Annotated[Literal["", *warranty.STATES], Query(description="only claims in this state")] = "",
):
    with _answers():
        return [_claim(c) for c in warranty.claims(db, _actor(user), state)]


@router.get("/warranty-claims/{claim_id}/export")
def export_claim(claim_id: RowId, user: Caller, db: Db) -> dict:
    """The claim as the manufacturer receives it (format `dms.warranty_claim/1`)."""
    with _answers():
        return warranty.export(db, _actor(user), claim_id)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accepted: bool = Field(description="the manufacturer accepts the claim")
    note: str = Field("", max_length=2000, description="the reason of a rejection (required then)")


@router.post("/warranty-claims/{claim_id}/decision", response_model=ClaimOut)
def decide_claim(claim_id: RowId, body: Decision, user: Caller, db: Db, api: Api):
    with _answers():
        claim = warranty.decide(
            db, _actor(user), claim_id, accepted=body.accepted, note=body.note, now=api.clock()
        )
        db.commit()
        return _claim(claim)


class Credit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Money


@router.post("/warranty-claims/{claim_id}/credit", response_model=ClaimOut)
def credit_claim(claim_id: RowId, body: Credit, user: Caller, db: Db, api: Api):
    with _answers():
        claim = warranty.credit(db, _actor(user), claim_id, _cents(body.amount), api.clock())
        db.commit()
        return _claim(claim)


class InvoiceOut(BaseModel):
    id: int
    number: str
    dealer_code: str
    order_id: int | None  # the work order invoiced
    sales_order_id: int | None = None  # the vehicle sale invoiced
    customer_id: int | None
    issued_at: datetime
    currency: str
    tax_rate_percent: Decimal
    total: Decimal
    tax: Decimal
    paid: Decimal
    outstanding: Decimal
    status: str


def _amounts(i: Invoice | SupplierInvoice, status: str) -> dict:
    """What a customer's and a supplier's invoice answer alike: who, currency, money as decimals."""
    return dict(
        id=i.id,
        dealer_code=i.dealer_code,
        number=i.number,
        currency=i.currency,
        total=_m(i.gross_cents),
        paid=_m(i.paid_cents),
        outstanding=_m(i.outstanding_cents),
        status=status,
    )


def _invoice(i: Invoice) -> InvoiceOut:
    return InvoiceOut(
        **_amounts(i, invoices.status(i)),
        order_id=i.order_id,
        sales_order_id=i.sales_order_id,
        customer_id=i.customer_id,
        issued_at=i.issued_at,
        tax_rate_percent=_m(i.tax_rate_bp),
        tax=_m(i.tax_cents),
    )


@router.get("/invoices", response_model=list[InvoiceOut])
def list_invoices(
    user: Caller,
    db: Db,
    outstanding: Annotated[bool, Query(description="only invoices not fully paid")] = False,
):
    with _answers():
        return [_invoice(i) for i in invoices.invoices(db, _actor(user), only_open=outstanding)]


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut)
def get_invoice(invoice_id: RowId, user: Caller, db: Db):
    with _answers():
        return _invoice(invoices.get(db, _actor(user), invoice_id))


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Money
    method: Literal[invoices.METHODS] = Field(description="how the customer paid")
    reference: str = Field("", max_length=120, description="receipt or transaction number")


@router.post("/invoices/{invoice_id}/payments", response_model=InvoiceOut)
def record_payment(invoice_id: RowId, body: PaymentIn, user: Caller, db: Db, api: Api):
    with _answers():
        invoices.record_payment(
            db,
            _actor(user),
            invoice_id,
            amount_cents=_cents(body.amount),
            method=body.method,
            reference=body.reference,
            now=api.clock(),
        )
        db.commit()
        return _invoice(invoices.get(db, _actor(user), invoice_id))


# -- supplier invoices and payables ------------------------------------------------------------------


class SupplierInvoiceLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    po_line_id: int = Field(ge=1, le=2**63 - 1, description="the purchase-order line invoiced")
    quantity: Decimal = Field(gt=0, le=1_000_000, description="quantity invoiced")
    unit_price: Money


class SupplierInvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=1, max_length=60, description="the supplier's invoice number")
    invoice_date: date = Field(description="the date on the invoice")
    due_date: date = Field(description="when it is to be paid")
    lines: list[SupplierInvoiceLineIn] = Field(min_length=1, max_length=500)


class SupplierInvoiceOut(BaseModel):
    id: int
    dealer_code: str
    purchase_order_id: int
    supplier: str
    number: str
    invoice_date: date
    due_date: date
    currency: str
    total: Decimal
    at_order_cost: Decimal
    difference: Decimal
    paid: Decimal
    outstanding: Decimal
    status: str


def _supplier_invoice(i: SupplierInvoice) -> SupplierInvoiceOut:
    return SupplierInvoiceOut(
        **_amounts(i, payables.status(i)),
        purchase_order_id=i.purchase_order_id,
        supplier=i.supplier,
        invoice_date=i.invoice_date,
        due_date=i.due_date,
        at_order_cost=_m(i.expected_cents),
        difference=_m(i.difference_cents),
    )


@router.get("/supplier-invoices", response_model=list[SupplierInvoiceOut])
def list_supplier_invoices(
    user: Caller,
    db: Db,
    outstanding: Annotated[bool, Query(description="only invoices not fully paid")] = False,
):
    with _answers():
        return [_supplier_invoice(i) for i in payables.listing(db, _actor(user), only_open=outstanding)]


@router.post("/purchase-orders/{order_id}/supplier-invoices", response_model=SupplierInvoiceOut)
def record_supplier_invoice(order_id: RowId, body: SupplierInvoiceIn, user: Caller, db: Db, api: Api):
    """The supplier's invoice against the order's receipts (422: more than received, a number again)."""
    with _answers():
        lines = {ln.po_line_id: (float(ln.quantity), _cents(ln.unit_price)) for ln in body.lines}
        if len(lines) != len(body.lines):
            raise UserError("each purchase-order line at most once per invoice")
        made = payables.record(
            db,
            _actor(user),
            order_id,
            number=body.number,
            invoice_date=body.invoice_date,
            due_date=body.due_date,
            lines=lines,
            now=api.clock(),
        )
        db.commit()
        return _supplier_invoice(made)


@router.post("/supplier-invoices/{invoice_id}/payments", response_model=SupplierInvoiceOut)
def pay_supplier_invoice(invoice_id: RowId, body: PaymentIn, user: Caller, db: Db, api: Api):
    with _answers():
        payables.pay(
            db,
            _actor(user),
            invoice_id,
            amount_cents=_cents(body.amount),
            method=body.method,
            reference=body.reference,
            now=api.clock(),
        )
        db.commit()
        return _supplier_invoice(payables.get(db, _actor(user), invoice_id))
