"""The dealer's service flow as a state machine with enforced transitions and an audit trail.

    proposed (from a maintenance trigger) --confirm--> booked (appointment)
    booked --receive (complaint, odometer)--> received --estimate--> estimated --open work order--> ordered
    ordered --assign technician--> assigned --issue parts from stock--> parts_issued
    assigned | parts_issued --quality check passed--> checked   (failed: back to assigned for rework)
    checked --settle (invoice)--> settled
    proposed | booked | received | estimated --cancel--> cancelled

Every step is one function here; each checks the actor, the order's state and its data, then writes
the transition row (who, when, note), an audit entry and a change-log row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer_portal.messages import (
    N_,
    NOTE_APPOINTMENT,
    NOTE_ESTIMATE,
    NOTE_FAILED,
    NOTE_FAILED_WITH,
    NOTE_INVOICE,
    NOTE_PASSED,
    NOTE_PASSED_WITH,
    NOTE_PAY_TYPE,
    NOTE_TECHNICIAN,
    Text,
)
from dealer_portal.records import audit, dispatch, parts, vehicle_records
from dealer_portal.records import technicians as crew
from dealer_portal.records.actor import Actor, Forbidden, NotFound
from dealer_portal.records.tables import Customer, ServiceItem, ServiceOrder, ServiceTransition
from dms.errors import UserError
from gateway.db.models import ServiceAppointment, User, Vehicle

STATES = (
    "proposed",
    "booked",
    "received",
    "estimated",
    "ordered",
    "assigned",
    "parts_issued",
    "checked",
    "settled",
    "cancelled",
)
LABELS = {  # msgids: the templates translate them (`_(labels[state])`)
    "proposed": N_("Proposed"),
    "booked": N_("Appointment"),
    "received": N_("Reception"),
    "estimated": N_("Estimate"),
    "ordered": N_("Work order"),
    "assigned": N_("Assigned"),
    "parts_issued": N_("Parts issued"),
    "checked": N_("Quality checked"),
    "settled": N_("Settled"),
    "cancelled": N_("Cancelled"),
}
STEP_NAMES = {  # the states in refusals: "work order 3 is settled: it cannot go to reception"
    "proposed": N_("proposed"),
    "booked": N_("appointment"),
    "received": N_("reception"),
    "estimated": N_("estimate"),
    "ordered": N_("work order"),
    "assigned": N_("assigned"),
    "parts_issued": N_("parts issued"),
    "checked": N_("quality checked"),
    "settled": N_("settled"),
    "cancelled": N_("cancelled"),
}
TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"booked", "cancelled"}),
    "booked": frozenset({"received", "cancelled"}),
    "received": frozenset({"estimated", "cancelled"}),
    "estimated": frozenset({"estimated", "ordered", "cancelled"}),  # re-estimate after changed lines
    "ordered": frozenset({"assigned"}),
    "assigned": frozenset({"assigned", "parts_issued", "checked"}),
    "parts_issued": frozenset({"checked", "assigned"}),
    "checked": frozenset({"settled"}),
    "settled": frozenset(),
    "cancelled": frozenset(),
}
# While a vehicle is in one of these, it is in the workshop: it cannot be booked or checked out.
IN_WORKSHOP = frozenset({"received", "estimated", "ordered", "assigned", "parts_issued", "checked"})
OPEN = frozenset(STATES) - {"settled", "cancelled"}
PAY_TYPES = ("customer", "warranty", "internal")
ITEM_KINDS = ("labour", "part")
EDITABLE = frozenset({"received", "estimated"})
AMENDABLE = frozenset({"ordered", "assigned", "parts_issued"})  # records.work_orders: with approval
APPOINTMENT_STATUS = {
    "booked": "booked",
    "received": "in_service",
    "settled": "done",
    "cancelled": "declined",
}


def _transition(
    session: Session, actor: Actor, order: ServiceOrder, to_state: str, now: datetime, note: str = ""
) -> None:
    if to_state not in TRANSITIONS[order.state]:
        raise UserError(
            Text(
                N_("work order {id} is {state}: it cannot go to {to}"),
                id=order.id,
                state=Text(STEP_NAMES[order.state]),
                to=Text(STEP_NAMES[to_state]),
            )
        )
    session.add(
        ServiceTransition(
            order_id=order.id, from_state=order.state, to_state=to_state, at=now, by=actor.username, note=note
        )
    )
    audit.record(
        session,
        actor,
        now,
        f"service:{to_state}",
        "service_order",
        order.id,
        f"{order.state} -> {to_state}" + (f": {note}" if note else ""),
        dealer_code=order.dealer_code,
    )
    order.state = to_state
    _sync_vehicle_and_appointment(session, order, now)
    audit.announce(session, "service_order", now, order.vehicle_id, order.id)


def _sync_vehicle_and_appointment(session: Session, order: ServiceOrder, now: datetime) -> None:
    """The vehicle is 'in_maintenance' while an order has it in the workshop; the proposal follows."""
    vehicle = session.get(Vehicle, order.vehicle_id)
    if vehicle is not None and vehicle.status != "retired":
        session.flush()
        in_workshop = session.scalar(
            select(ServiceOrder.id)
            .where(ServiceOrder.vehicle_id == order.vehicle_id, ServiceOrder.state.in_(IN_WORKSHOP))
            .limit(1)
        )
        wanted = "in_maintenance" if in_workshop is not None else "active"
        if vehicle.status != wanted:
            vehicle.status, vehicle.updated_at = wanted, now
    if order.appointment_id is not None and order.state in APPOINTMENT_STATUS:
        appointment = session.get(ServiceAppointment, order.appointment_id)
        if appointment is not None:
            appointment.status, appointment.updated_at = APPOINTMENT_STATUS[order.state], now


def _new_order(
    session: Session,
    *,
    dealer_code: str,
    vehicle_id: str,
    kind: str,
    reason: str,
    now: datetime,
    state: str,
    by: str,
    appointment_id: int | None = None,
    scheduled_at: datetime | None = None,
    customer_id: int | None = None,
) -> ServiceOrder:
    order = ServiceOrder(
        dealer_code=dealer_code,
        vehicle_id=vehicle_id,
        kind=kind,
        state=state,
        reason=reason,
        appointment_id=appointment_id,
        scheduled_at=scheduled_at,
        customer_id=customer_id,
        created_at=now,
        pay_type="customer",
        complaint="",
        qc_note="",
    )
    session.add(order)
    session.flush()
    session.add(
        ServiceTransition(order_id=order.id, from_state=None, to_state=state, at=now, by=by, note=reason)
    )
    return order


def import_proposals(session: Session, now: datetime) -> int:
    """Turn the gateway's new maintenance proposals into orders in state 'proposed' (idempotent)."""
    taken = select(ServiceOrder.appointment_id).where(ServiceOrder.appointment_id.is_not(None))
    query = (
        select(ServiceAppointment, Vehicle.dealer_code)
        .join(Vehicle)
        .where(ServiceAppointment.status == "proposed", ServiceAppointment.id.not_in(taken))
    )
    created = 0
    for appointment, vehicle_dealer in session.execute(query).all():
        dealer = appointment.dealer_code or vehicle_dealer
        if dealer is None:
            continue  # no servicing dealer yet: it shows up once the vehicle gets one
        _new_order(
            session,
            dealer_code=dealer,
            vehicle_id=appointment.vehicle_id,
            kind="maintenance",
            reason=appointment.reason,
            now=now,
            state="proposed",
            by="gateway",
            appointment_id=appointment.id,
        )
        created += 1
    return created


def get_order(session: Session, actor: Actor, order_id: int) -> ServiceOrder:
    """An order the actor may see: their dealer's; a technician only the ones assigned to them."""
    actor.require("service")
    order = session.get(ServiceOrder, order_id)
    if order is None or not actor.sees_dealer(order.dealer_code):
        raise NotFound(Text(N_("no work order {id}"), id=order_id))
    if actor.role == "technician" and order.technician != actor.username:
        raise Forbidden(Text(N_("work order {id} is not assigned to you"), id=order_id))
    return order


def list_orders(session: Session, actor: Actor, states: set[str] | None = None) -> list[ServiceOrder]:
    actor.require("service")
    query = select(ServiceOrder).order_by(ServiceOrder.id.desc())
    if not actor.sees_all_dealers:
        query = query.where(ServiceOrder.dealer_code == actor.dealer_code)
    if actor.role == "technician":
        query = query.where(ServiceOrder.technician == actor.username)
    if states:
        query = query.where(ServiceOrder.state.in_(states))
    return list(session.scalars(query))


def _desk_order(session: Session, actor: Actor, order_id: int) -> ServiceOrder:
    actor.require("service_desk")
    return get_order(session, actor, order_id)


def create_appointment(
    session: Session,
    actor: Actor,
    *,
    vehicle_id: str,
    scheduled_at: datetime,
    reason: str,
    now: datetime,
    customer_name: str = "",
    customer_phone: str = "",
    customer_email: str = "",
    customer_id: int | None = None,
    dealer_code: str | None = None,
) -> ServiceOrder:
    """A manual appointment (customer phoned in): starts as 'booked'. The customer is the one chosen
    (`customer_id`), else the dealer's customer with this phone or e-mail, else a new one
    (records.customers: no duplicate per appointment); the vehicle is recorded as theirs."""
    actor.require("service_desk")
    vehicle = vehicle_records.get(session, actor, vehicle_id)
    dealer = actor.own_dealer(dealer_code or vehicle.dealer_code)
    if vehicle.status == "retired":
        raise UserError(Text(N_("vehicle {vehicle} is retired"), vehicle=vehicle_id))
    from dealer_portal.records import customers as crm  # (it uses this module's tables only)

    customer = None
    if customer_id is not None:
        customer = crm.get(session, actor, customer_id)
        if customer.dealer_code != dealer:
            raise NotFound(Text(N_("no customer {id}"), id=customer_id))
    elif customer_name.strip() or customer_phone.strip() or customer_email.strip():
        customer, _ = crm.find_or_create(
            session,
            actor,
            dealer_code=dealer,
            name=customer_name or customer_phone or customer_email,
            phone=customer_phone,
            email=customer_email,
            now=now,
        )
    if customer is not None:
        crm.record_vehicle(session, actor, customer, vehicle_id, now)
        customer_id = customer.id
    order = _new_order(
        session,
        dealer_code=dealer,
        vehicle_id=vehicle_id,
        kind="repair",
        reason=reason.strip(),
        now=now,
        state="booked",
        by=actor.username,
        scheduled_at=scheduled_at,
        customer_id=customer_id,
    )
    audit.record(session, actor, now, "service:booked", "service_order", order.id, reason, dealer_code=dealer)
    audit.announce(session, "service_order", now, vehicle_id, order.id)
    return order


def confirm_proposal(
    session: Session, actor: Actor, order_id: int, scheduled_at: datetime, now: datetime
) -> ServiceOrder:
    order = _desk_order(session, actor, order_id)
    order.scheduled_at = scheduled_at
    _transition(
        session, actor, order, "booked", now, NOTE_APPOINTMENT.format(when=f"{scheduled_at:%Y-%m-%d %H:%M}")
    )
    return order


def receive(
    session: Session, actor: Actor, order_id: int, *, complaint: str, odometer_km: float, now: datetime
) -> ServiceOrder:
    """Reception: the vehicle is at the dealer; note the customer's complaint and the odometer. A
    booking that still had it checked out ends here (dispatch.back_at_workshop)."""
    order = _desk_order(session, actor, order_id)
    if not complaint.strip():
        raise UserError(Text(N_("write down the customer's complaint (or the service requested)")))
    if order.state != "booked":
        _transition(session, actor, order, "received", now)  # raises the state error
    vehicle_records.record_odometer(session, actor, order.vehicle_id, odometer_km, now, source="reception")
    order.complaint, order.odometer_km, order.received_at = complaint.strip(), odometer_km, now
    _transition(session, actor, order, "received", now, complaint.strip())
    dispatch.back_at_workshop(
        session, actor, order.vehicle_id, odometer_km=odometer_km, now=now, order_id=order.id
    )
    return order


def add_item(
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    kind: str,
    quantity: float,
    now: datetime,
    description: str = "",
    unit_cents: int | None = None,
    part_id: int | None = None,
    pay_type: str = "customer",
) -> ServiceItem:
    """A labour or part line on the estimate (only while the order is at reception or estimate)."""
    order = _desk_order(session, actor, order_id)
    if order.state not in EDITABLE:
        raise UserError(
            Text(
                N_(
                    "lines can be changed at reception or estimate, not when {state}: amend the work order instead"
                )
                if order.state in AMENDABLE
                else N_("lines can be changed at reception or estimate, not when {state}"),
                state=Text(STEP_NAMES[order.state]),
            )
        )
    item = new_item(
        session,
        actor,
        order,
        kind=kind,
        quantity=quantity,
        description=description,
        unit_cents=unit_cents,
        part_id=part_id,
        pay_type=pay_type,
    )
    order.items.append(item)  # (not session.add first: the lazy load would autoflush it into the list twice)
    audit.record(
        session,
        actor,
        now,
        "service:item",
        "service_order",
        order.id,
        f"{kind} {item.description} x{quantity:g} ({pay_type})",
        dealer_code=order.dealer_code,
    )
    return item


def new_item(
    session: Session,
    actor: Actor,
    order: ServiceOrder,
    *,
    kind: str,
    quantity: float,
    description: str = "",
    unit_cents: int | None = None,
    part_id: int | None = None,
    pay_type: str = "customer",
) -> ServiceItem:
    """A checked labour or part line for `order` (not yet added to it)."""
    if kind not in ITEM_KINDS:
        raise UserError(Text(N_("a line is labour or part, not {kind}"), kind=repr(kind)))
    if pay_type not in PAY_TYPES:
        raise UserError(Text(N_("pay type must be one of {types}"), types=", ".join(PAY_TYPES)))
    if quantity <= 0:
        raise UserError(Text(N_("the quantity must be positive")))
    if kind == "part":
        if part_id is None:
            raise UserError(Text(N_("choose the part from the catalogue")))
        part = parts.get_part(session, actor, part_id)
        if part.dealer_code != order.dealer_code:
            raise NotFound(Text(N_("no part {id}"), id=part_id))
        description = description.strip() or f"{part.number} {part.name}"
        unit_cents = part.unit_price_cents if unit_cents is None else unit_cents
    elif not description.strip() or unit_cents is None:
        raise UserError(Text(N_("a labour line needs a description and an hourly rate")))
    return ServiceItem(
        kind=kind,
        description=description.strip(),
        quantity=quantity,
        unit_cents=unit_cents,
        pay_type=pay_type,
        part_id=part_id if kind == "part" else None,
        issued_qty=0,
    )


def estimate(session: Session, actor: Actor, order_id: int, now: datetime) -> ServiceOrder:
    order = _desk_order(session, actor, order_id)
    if order.state == "received" and not live_items(order):
        raise UserError(Text(N_("add at least one labour or part line before estimating")))
    order.estimate_cents = sum(item.total_cents for item in live_items(order))
    _transition(
        session,
        actor,
        order,
        "estimated",
        now,
        NOTE_ESTIMATE.format(amount=f"{order.estimate_cents / 100:.2f}"),
    )
    return order


def open_work_order(
    session: Session, actor: Actor, order_id: int, now: datetime, pay_type: str | None = None
) -> ServiceOrder:
    """The customer accepted the estimate; `pay_type`, when given, applies to every line."""
    order = _desk_order(session, actor, order_id)
    if order.state == "estimated" and sum(i.total_cents for i in live_items(order)) != order.estimate_cents:
        raise UserError(
            Text(N_("the lines changed since the estimate: update the estimate for the customer first"))
        )
    if pay_type is not None:
        if pay_type not in PAY_TYPES:
            raise UserError(Text(N_("pay type must be one of {types}"), types=", ".join(PAY_TYPES)))
        if order.state == "estimated":
            order.pay_type = pay_type
            for item in live_items(order):
                item.pay_type = pay_type
    _transition(session, actor, order, "ordered", now, NOTE_PAY_TYPE.format(pay_type=pay_type or "per line"))
    return order


def assign(session: Session, actor: Actor, order_id: int, technician: str, now: datetime) -> ServiceOrder:
    order = _desk_order(session, actor, order_id)
    user = session.scalar(select(User).where(User.username == technician))
    if user is None or user.role != "technician" or not user.active or user.dealer_code != order.dealer_code:
        raise UserError(
            Text(
                N_("{technician} is not an active technician of dealer {dealer}"),
                technician=repr(technician),
                dealer=order.dealer_code,
            )
        )
    if order.skill_needed and order.skill_needed not in crew.skills_of(session, technician):
        raise UserError(
            Text(
                N_("{technician} does not have the skill this work order needs: {skill}"),
                technician=technician,
                skill=Text(crew.SKILLS[order.skill_needed]),
            )
        )
    order.technician = technician
    _transition(session, actor, order, "assigned", now, NOTE_TECHNICIAN.format(name=technician))
    return order


def set_skill_needed(
    session: Session, actor: Actor, order_id: int, skill: str, now: datetime
) -> ServiceOrder:
    """The skill the work needs ("" for none); assigning then needs a technician who has it."""
    order = _desk_order(session, actor, order_id)
    if order.state in ("checked", "settled", "cancelled"):
        raise UserError(N_("the work on this order is finished"))
    if skill and skill not in crew.SKILLS:
        raise UserError(N_("Skill: choose one of the offered skills"))
    before, order.skill_needed = order.skill_needed, skill or None
    if before != order.skill_needed:
        audit.record(
            session,
            actor,
            now,
            "service:skill",
            "service_order",
            order.id,
            f"{before or '-'} -> {skill or '-'}",
            dealer_code=order.dealer_code,
        )
    return order


def live_items(order: ServiceOrder) -> list[ServiceItem]:
    """The order's lines that count: every line but those cancelled by an amendment."""
    return [item for item in order.items if item.cancelled_at is None]


def _parts_outstanding(order: ServiceOrder) -> list[ServiceItem]:
    return [item for item in live_items(order) if item.kind == "part" and item.issued_qty < item.quantity]


def issue_parts(session: Session, actor: Actor, order_id: int, now: datetime) -> ServiceOrder:
    """Issue every part line from stock (all or nothing: a shortage leaves the stock untouched)."""
    order = _desk_order(session, actor, order_id)
    if order.state != "assigned":
        _transition(session, actor, order, "parts_issued", now)  # raises the state error
    outstanding = _parts_outstanding(order)
    if not outstanding:
        raise UserError(Text(N_("this work order has no parts left to issue")))
    need: dict[int, float] = {}
    for item in outstanding:
        need[item.part_id] = need.get(item.part_id, 0) + item.quantity - item.issued_qty
    short = [
        f"{p.number} ({p.on_hand:g} in stock, {need[p.id]:g} needed)"
        for p in (parts.get_part(session, actor, pid) for pid in need)
        if p.on_hand < need[p.id]
    ]
    if short:
        raise UserError(Text(N_("not enough stock: {parts}"), parts="; ".join(short)))
    for item in outstanding:
        parts.issue(
            session,
            actor,
            parts.get_part(session, actor, item.part_id),
            item.quantity - item.issued_qty,
            order.id,
            now,
        )
        item.issued_qty = item.quantity
    _transition(
        session,
        actor,
        order,
        "parts_issued",
        now,
        ", ".join(f"{i.description} x{i.quantity:g}" for i in outstanding),
    )
    return order


def quality_check(
    session: Session, actor: Actor, order_id: int, *, passed: bool, note: str, now: datetime
) -> ServiceOrder:
    """Inspection after the repair; a failed check sends the order back to the technician."""
    order = _desk_order(session, actor, order_id)
    if order.state not in ("assigned", "parts_issued"):
        _transition(session, actor, order, "checked", now)  # raises the state error
    if passed and _parts_outstanding(order):
        raise UserError(Text(N_("issue the parts of this work order before the quality check")))
    if order.technician == actor.username:
        raise Forbidden(Text(N_("the technician who did the work cannot pass its own quality check")))
    order.qc_by, order.qc_note = actor.username, note.strip()
    _transition(
        session,
        actor,
        order,
        "checked" if passed else "assigned",
        now,
        (NOTE_PASSED_WITH if passed else NOTE_FAILED_WITH).format(note=note.strip())
        if note.strip()
        else (NOTE_PASSED if passed else NOTE_FAILED),
    )
    return order


@dataclass(frozen=True)
class Invoice:
    lines: list[ServiceItem]
    by_pay_type: dict[str, int]

    @property
    def total_cents(self) -> int:
        return sum(self.by_pay_type.values())

    @property
    def customer_cents(self) -> int:
        return self.by_pay_type.get("customer", 0)


def invoice(order: ServiceOrder) -> Invoice:
    totals = {p: 0 for p in PAY_TYPES}
    for item in live_items(order):
        totals[item.pay_type] += item.total_cents
    return Invoice(live_items(order), totals)


def settle(session: Session, actor: Actor, order_id: int, now: datetime) -> ServiceOrder:
    """Settlement: the customer pays the customer-pay lines; warranty and internal lines are booked."""
    order = _desk_order(session, actor, order_id)
    bill = invoice(order)
    settling = order.state == "checked"
    if settling:
        order.invoice_cents, order.settled_at = bill.customer_cents, now
    _transition(
        session,
        actor,
        order,
        "settled",
        now,
        NOTE_INVOICE.format(amount=f"{bill.customer_cents / 100:.2f}", total=f"{bill.total_cents / 100:.2f}"),
    )
    if settling:
        from dealer_portal.records import invoices  # (it uses this module's tables only)

        invoices.issue_for_order(session, actor, order, bill.lines, now)
    return order


def cancel(session: Session, actor: Actor, order_id: int, note: str, now: datetime) -> ServiceOrder:
    order = _desk_order(session, actor, order_id)
    _transition(session, actor, order, "cancelled", now, note.strip())
    return order


def technicians(session: Session, actor: Actor, dealer_code: str) -> list[str]:
    query = (
        select(User.username)
        .where(User.role == "technician", User.active.is_(True), User.dealer_code == dealer_code)
        .order_by(User.username)
    )
    return list(session.scalars(query)) if actor.sees_dealer(dealer_code) else []


def customers(session: Session, actor: Actor) -> list[tuple[Customer, int]]:
    """The dealer's customers with their number of work orders (another dealer's never appear)."""
    actor.require("service_desk")
    query = (
        select(Customer, func.count(ServiceOrder.id))
        .outerjoin(ServiceOrder, ServiceOrder.customer_id == Customer.id)
        .group_by(Customer.id)
        .order_by(Customer.name)
    )
    query = query.where(Customer.merged_into_id.is_(None))
    if not actor.sees_all_dealers:
        query = query.where(Customer.dealer_code == actor.dealer_code)
    return [(c, n) for c, n in session.execute(query).all()]
