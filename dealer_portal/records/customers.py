"""Customers as records of their own (客户管理): create, edit, search, find-or-create without duplicates
(same phone or e-mail at the same dealer), merge two records, the vehicles a customer owns, the contact
history (work orders, complaints) and the consent to be contacted.

A customer belongs to one dealer; another dealer's customer is "not found". A merged customer stays as
a row pointing at the one it was merged into (`merged_into_id`), so old references still resolve."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dealer_portal.messages import (
    AUDIT_COMPLAINT,
    AUDIT_COMPLAINT_RESOLVED,
    AUDIT_MERGED,
    AUDIT_OWNS,
    AUDIT_SCORE,
    AUDIT_SCORE_COMMENT,
    N_,
    Text,
)
from dealer_portal.records import audit, vehicle_records
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.aftersales_tables import (
    CustomerComplaint,
    CustomerVehicle,
    Invoice,
    SatisfactionSurvey,
)
from dealer_portal.records.sales_tables import SalesOrder
from dealer_portal.records.tables import Customer, ServiceOrder
from dms.errors import UserError

CHANNELS = ("phone", "in_person", "email", "message", "survey")
CHANNEL_LABELS = {
    "phone": N_("phone"),
    "in_person": N_("in person"),
    "email": N_("e-mail"),
    "message": N_("text message"),
    "survey": N_("survey"),
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normal_phone(phone: str) -> str:
    """The digits of a phone number (a leading + kept), so "138-0013 8000" and "13800138000" match."""
    text = phone.strip()
    digits = re.sub(r"\D", "", text)
    return ("+" + digits) if text.startswith("+") and digits else digits


def _clean(name: str, phone: str, email: str) -> tuple[str, str, str]:
    name, phone, email = name.strip(), phone.strip(), email.strip().lower()
    if not name:
        raise UserError(N_("Name: fill this in"))
    if phone and len(normal_phone(phone).lstrip("+")) < 5:
        raise UserError(N_("Phone: enter a phone number with at least 5 digits"))
    if email and not _EMAIL.fullmatch(email):
        raise UserError(N_("E-mail: enter an address like name@example.com"))
    return name, phone, email


def _visible(actor: Actor):
    query = select(Customer).where(Customer.merged_into_id.is_(None))
    if not actor.sees_all_dealers:
        query = query.where(Customer.dealer_code == actor.dealer_code)
    return query


def get(session: Session, actor: Actor, customer_id: int) -> Customer:
    """A customer the actor may see (a merged one leads to the customer it was merged into)."""
    actor.require("customers")
    customer = session.get(Customer, customer_id)
    seen = 0
    while customer is not None and customer.merged_into_id is not None and seen < 20:
        customer, seen = session.get(Customer, customer.merged_into_id), seen + 1
    if customer is None or not actor.sees_dealer(customer.dealer_code):
        raise NotFound(Text(N_("no customer {id}"), id=customer_id))
    return customer


def search(session: Session, actor: Actor, text: str = "", limit: int = 200) -> list[Customer]:
    """Customers by name, phone (any formatting) or e-mail; the actor's dealer only."""
    actor.require("customers")
    query = _visible(actor).order_by(Customer.name, Customer.id).limit(limit)
    text = text.strip()
    if text:
        like = f"%{text.lower()}%"
        conditions = [func.lower(Customer.name).like(like), func.lower(Customer.email).like(like)]
        digits = normal_phone(text).lstrip("+")
        if len(digits) >= 3:
            conditions.append(
                func.replace(func.replace(func.replace(Customer.phone, " ", ""), "-", ""), "+", "").like(
                    f"%{digits}%"
                )
            )
        query = query.where(or_(*conditions))
    return list(session.scalars(query))


def duplicates(
    session: Session, actor: Actor, dealer_code: str, phone: str, email: str, exclude: int | None = None
) -> list[Customer]:
    """Customers of the dealer with the same phone number or e-mail address."""
    found: list[Customer] = []
    wanted_phone, wanted_email = normal_phone(phone), email.strip().lower()
    if not wanted_phone and not wanted_email:
        return found
    query = select(Customer).where(Customer.dealer_code == dealer_code, Customer.merged_into_id.is_(None))
    for customer in session.scalars(query.order_by(Customer.id)):
        if customer.id == exclude:
            continue
        same_phone = wanted_phone and normal_phone(customer.phone) == wanted_phone
        same_email = wanted_email and customer.email.lower() == wanted_email
        if same_phone or same_email:
            found.append(customer)
    return found


def create(
    session: Session,
    actor: Actor,
    *,
    name: str,
    now: datetime,
    phone: str = "",
    email: str = "",
    consent: bool = False,
    note: str = "",
    dealer_code: str | None = None,
) -> Customer:
    """A new customer; refused when the dealer already has one with this phone or e-mail."""
    actor.require("customers")
    dealer = actor.own_dealer(dealer_code)
    name, phone, email = _clean(name, phone, email)
    if same := duplicates(session, actor, dealer, phone, email):
        raise UserError(
            Text(
                N_("{name} (#{id}) already has this phone number or e-mail: open that record instead"),
                name=same[0].name,
                id=same[0].id,
            )
        )
    customer = Customer(
        dealer_code=dealer,
        name=name,
        phone=phone,
        email=email,
        consent=consent,
        consent_at=now if consent else None,
        note=note.strip(),
        created_at=now,
    )
    session.add(customer)
    session.flush()
    audit.record(session, actor, now, "customer:create", "customer", customer.id, name, dealer_code=dealer)
    return customer


def find_or_create(
    session: Session,
    actor: Actor,
    *,
    dealer_code: str,
    name: str,
    phone: str,
    email: str,
    now: datetime,
) -> tuple[Customer, bool]:
    """The dealer's customer with this phone or e-mail, else a new one; (customer, created)."""
    if same := duplicates(session, actor, dealer_code, phone, email):
        return same[0], False
    return create(session, actor, name=name, phone=phone, email=email, now=now, dealer_code=dealer_code), True


def update(
    session: Session,
    actor: Actor,
    customer_id: int,
    *,
    name: str,
    phone: str,
    email: str,
    consent: bool,
    note: str,
    now: datetime,
) -> Customer:
    customer = get(session, actor, customer_id)
    name, phone, email = _clean(name, phone, email)
    if same := duplicates(session, actor, customer.dealer_code, phone, email, exclude=customer.id):
        raise UserError(
            Text(
                N_("{name} (#{id}) already has this phone number or e-mail: merge the two instead"),
                name=same[0].name,
                id=same[0].id,
            )
        )
    changes = [
        f"{field}: {old!r} -> {new!r}"
        for field, old, new in (
            ("name", customer.name, name),
            ("phone", customer.phone, phone),
            ("email", customer.email, email),
            ("consent", customer.consent, consent),
            ("note", customer.note, note.strip()),
        )
        if old != new
    ]
    if consent and not customer.consent:
        customer.consent_at = now
    elif not consent:
        customer.consent_at = None
    customer.name, customer.phone, customer.email = name, phone, email
    customer.consent, customer.note = consent, note.strip()
    if changes:
        audit.record(
            session,
            actor,
            now,
            "customer:edit",
            "customer",
            customer.id,
            "; ".join(changes),
            dealer_code=customer.dealer_code,
        )
    return customer


def link_vehicle(session: Session, actor: Actor, customer_id: int, vehicle_id: str, now: datetime) -> bool:
    """Record that the customer owns (drives) the vehicle; False when already recorded."""
    customer = get(session, actor, customer_id)
    vehicle = vehicle_records.get(session, actor, vehicle_id)
    if vehicle.dealer_code not in (None, customer.dealer_code):
        raise NotFound(Text(N_("no vehicle {id!r}"), id=vehicle_id))
    return record_vehicle(session, actor, customer, vehicle_id, now)


def record_vehicle(
    session: Session, actor: Actor, customer: Customer, vehicle_id: str, now: datetime
) -> bool:
    """Record (once) that the customer owns the vehicle; the caller checked both are the dealer's."""
    exists = session.scalar(
        select(CustomerVehicle.id).where(
            CustomerVehicle.customer_id == customer.id, CustomerVehicle.vehicle_id == vehicle_id
        )
    )
    if exists is not None:
        return False
    session.add(CustomerVehicle(customer_id=customer.id, vehicle_id=vehicle_id, since=now, by=actor.username))
    audit.record(
        session,
        actor,
        now,
        "customer:vehicle",
        "customer",
        customer.id,
        AUDIT_OWNS.format(vehicle=vehicle_id),
        dealer_code=customer.dealer_code,
    )
    return True


def vehicles(session: Session, actor: Actor, customer_id: int) -> list[CustomerVehicle]:
    customer = get(session, actor, customer_id)
    query = select(CustomerVehicle).where(CustomerVehicle.customer_id == customer.id)
    return list(session.scalars(query.order_by(CustomerVehicle.vehicle_id)))


def orders(session: Session, actor: Actor, customer_id: int) -> list[ServiceOrder]:
    """The customer's work orders and appointments, newest first (the contact history)."""
    customer = get(session, actor, customer_id)
    query = select(ServiceOrder).where(ServiceOrder.customer_id == customer.id)
    return list(session.scalars(query.order_by(ServiceOrder.id.desc())))


def purchases(session: Session, actor: Actor, customer_id: int) -> list[tuple[SalesOrder, Invoice | None]]:
    """The customer's vehicle purchases (购车经历): their sales orders, newest first, each with its invoice."""
    customer = get(session, actor, customer_id)
    query = (
        select(SalesOrder, Invoice)
        .outerjoin(Invoice, Invoice.sales_order_id == SalesOrder.id)
        .where(SalesOrder.customer_id == customer.id)
        .order_by(SalesOrder.id.desc())
    )
    return [(order, invoice) for order, invoice in session.execute(query)]


def complaints(session: Session, actor: Actor, customer_id: int) -> list[CustomerComplaint]:
    customer = get(session, actor, customer_id)
    query = select(CustomerComplaint).where(CustomerComplaint.customer_id == customer.id)
    return list(session.scalars(query.order_by(CustomerComplaint.id.desc())))


def add_complaint(
    session: Session,
    actor: Actor,
    customer_id: int,
    *,
    text: str,
    channel: str,
    now: datetime,
    order_id: int | None = None,
) -> CustomerComplaint:
    customer = get(session, actor, customer_id)
    if not text.strip():
        raise UserError(N_("Complaint: fill this in"))
    if channel not in CHANNELS:
        raise UserError(N_("Channel: choose one of the offered values"))
    if order_id is not None:
        order = session.get(ServiceOrder, order_id)
        if order is None or order.customer_id != customer.id:
            raise UserError(N_("Work order: choose one of this customer's orders"))
    complaint = CustomerComplaint(
        customer_id=customer.id,
        order_id=order_id,
        channel=channel,
        text=text.strip(),
        at=now,
        by=actor.username,
        resolution="",
    )
    session.add(complaint)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        "customer:complaint",
        "customer",
        customer.id,
        AUDIT_COMPLAINT.format(id=complaint.id, channel=channel, text=text.strip()),
        dealer_code=customer.dealer_code,
    )
    return complaint


def resolve_complaint(
    session: Session, actor: Actor, complaint_id: int, resolution: str, now: datetime
) -> CustomerComplaint:
    complaint = session.get(CustomerComplaint, complaint_id)
    if complaint is None:
        raise NotFound(Text(N_("no complaint {id}"), id=complaint_id))
    customer = get(session, actor, complaint.customer_id)
    if complaint.resolved_at is not None:
        raise UserError(N_("this complaint is already resolved"))
    if not resolution.strip():
        raise UserError(N_("Resolution: write down how the complaint was resolved"))
    complaint.resolution, complaint.resolved_at, complaint.resolved_by = (
        resolution.strip(),
        now,
        actor.username,
    )
    audit.record(
        session,
        actor,
        now,
        "customer:resolved",
        "customer",
        customer.id,
        AUDIT_COMPLAINT_RESOLVED.format(id=complaint.id, text=resolution.strip()),
        dealer_code=customer.dealer_code,
    )
    return complaint


def merge(session: Session, actor: Actor, keep_id: int, duplicate_id: int, now: datetime) -> Customer:
    """Merge `duplicate_id` into `keep_id`: its work orders, vehicles and complaints move over, empty
    contact fields are filled from it, consent is kept only if the kept record has it; the duplicate
    stays as a pointer to the kept record."""
    keep = get(session, actor, keep_id)
    duplicate = get(session, actor, duplicate_id)
    if keep.id == duplicate.id:
        raise UserError(N_("choose another customer to merge into this one"))
    if keep.dealer_code != duplicate.dealer_code:
        raise NotFound(Text(N_("no customer {id}"), id=duplicate_id))
    moved_orders = 0
    for order in session.scalars(select(ServiceOrder).where(ServiceOrder.customer_id == duplicate.id)):
        order.customer_id, moved_orders = keep.id, moved_orders + 1
    for complaint in session.scalars(
        select(CustomerComplaint).where(CustomerComplaint.customer_id == duplicate.id)
    ):
        complaint.customer_id = keep.id
    for survey in session.scalars(
        select(SatisfactionSurvey).where(SatisfactionSurvey.customer_id == duplicate.id)
    ):
        survey.customer_id = keep.id
    for link in list(
        session.scalars(select(CustomerVehicle).where(CustomerVehicle.customer_id == duplicate.id))
    ):
        record_vehicle(session, actor, keep, link.vehicle_id, now)
        session.delete(link)
    keep.phone = keep.phone or duplicate.phone
    keep.email = keep.email or duplicate.email
    if duplicate.note and duplicate.note not in keep.note:
        keep.note = (keep.note + "\n" + duplicate.note).strip()
    duplicate.merged_into_id = keep.id
    audit.record(
        session,
        actor,
        now,
        "customer:merge",
        "customer",
        keep.id,
        AUDIT_MERGED.format(
            duplicate=f"#{duplicate.id} {duplicate.name} ({duplicate.phone} {duplicate.email})",
            keep=f"#{keep.id} {keep.name}",
            moved=moved_orders,
        ),
        dealer_code=keep.dealer_code,
    )
    return keep


@dataclass(frozen=True)
class Row:
    customer: Customer
    orders: int
    open_complaints: int


def overview(session: Session, actor: Actor, text: str = "") -> list[Row]:
    """The search result with each customer's number of work orders and open complaints."""
    found = search(session, actor, text)
    ids = [c.id for c in found]
    counts = dict(
        session.execute(
            select(ServiceOrder.customer_id, func.count())
            .where(ServiceOrder.customer_id.in_(ids))
            .group_by(ServiceOrder.customer_id)
        ).all()
    )
    open_ = dict(
        session.execute(
            select(CustomerComplaint.customer_id, func.count())
            .where(CustomerComplaint.customer_id.in_(ids), CustomerComplaint.resolved_at.is_(None))
            .group_by(CustomerComplaint.customer_id)
        ).all()
    )
    return [Row(c, counts.get(c.id, 0), open_.get(c.id, 0)) for c in found]


SCORES = (1, 2, 3, 4, 5)


def record_survey(
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    score: int,
    comment: str,
    channel: str,
    now: datetime,
) -> SatisfactionSurvey:
    """The customer's satisfaction with a settled visit (one answer per work order)."""
    from dealer_portal.records import service_flow as flow  # (it imports this module)

    actor.require("customers")
    order = flow._desk_order(session, actor, order_id)
    if order.state != "settled":
        raise UserError(N_("the survey follows the settlement of the work order"))
    if score not in SCORES:
        raise UserError(N_("Score: choose 1 (very unhappy) to 5 (very happy)"))
    if channel not in CHANNELS:
        raise UserError(N_("Channel: choose one of the offered values"))
    if session.scalar(select(SatisfactionSurvey.id).where(SatisfactionSurvey.order_id == order.id)):
        raise UserError(Text(N_("the customer already answered the survey for work order {id}"), id=order.id))
    survey = SatisfactionSurvey(
        order_id=order.id,
        customer_id=order.customer_id,
        score=score,
        comment=comment.strip(),
        channel=channel,
        at=now,
        by=actor.username,
    )
    session.add(survey)
    audit.record(
        session,
        actor,
        now,
        "customer:survey",
        "service_order",
        order.id,
        (AUDIT_SCORE_COMMENT if comment.strip() else AUDIT_SCORE).format(
            score=score, comment=comment.strip()
        ),
        dealer_code=order.dealer_code,
    )
    return survey


def survey_for(session: Session, order_id: int) -> SatisfactionSurvey | None:
    return session.scalar(select(SatisfactionSurvey).where(SatisfactionSurvey.order_id == order_id))


def surveys(session: Session, actor: Actor, customer_id: int) -> list[SatisfactionSurvey]:
    customer = get(session, actor, customer_id)
    query = select(SatisfactionSurvey).where(SatisfactionSurvey.customer_id == customer.id)
    return list(session.scalars(query.order_by(SatisfactionSurvey.id.desc())))
