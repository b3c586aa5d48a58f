"""A work order after it opened (车间管理): amendments (a line added or cancelled, e.g. extra faults found
mid-repair) with the customer's approval of the new estimate, the promised completion time, and the
labour time each technician clocks on it.

An amendment is recorded with who approved it for the customer, when and how (phone, in person, ...),
the estimate before and after; the order's estimate becomes the new total. Only the service desk amends;
a technician clocks on and off the orders assigned to them and otherwise only reads."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.messages import (
    AUDIT_AMENDED,
    AUDIT_MINUTES,
    AUDIT_PROMISED,
    AUDIT_PROMISED_CHANGED,
    N_,
    Text,
)
from dealer_portal.records import audit
from dealer_portal.records import service_flow as flow
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.aftersales_tables import LabourClock, WorkOrderAmendment
from dealer_portal.records.tables import ServiceItem, ServiceOrder
from dms.errors import UserError

APPROVAL_METHODS = ("phone", "in_person", "signature", "message", "email")
APPROVAL_LABELS = {
    "phone": N_("by phone"),
    "in_person": N_("in person"),
    "signature": N_("signed"),
    "message": N_("text message"),
    "email": N_("e-mail"),
}
CLOCK_STATES = frozenset({"assigned", "parts_issued"})


def _approval(approved_by: str, method: str, approved_at: datetime, now: datetime) -> str:
    if not approved_by.strip():
        raise UserError(N_("Approved by: write down who approved for the customer"))
    if method not in APPROVAL_METHODS:
        raise UserError(N_("How: choose one of the offered values"))
    if approved_at > now:
        raise UserError(N_("Approved at: the approval cannot be in the future"))
    return approved_by.strip()


def _amendable(session: Session, actor: Actor, order_id: int) -> ServiceOrder:
    order = flow._desk_order(session, actor, order_id)
    if order.state not in flow.AMENDABLE:
        raise UserError(
            Text(
                N_(
                    "work order {id} is {state}: only an open work order (before the quality check) is amended"
                ),
                id=order.id,
                state=Text(flow.STEP_NAMES[order.state]),
            )
        )
    return order


def _record(
    session: Session,
    actor: Actor,
    order: ServiceOrder,
    item: ServiceItem,
    action: str,
    before: int,
    approved_by: str,
    method: str,
    approved_at: datetime,
    note: str,
    now: datetime,
) -> WorkOrderAmendment:
    after = sum(i.total_cents for i in flow.live_items(order))
    order.estimate_cents = after
    amendment = WorkOrderAmendment(
        order_id=order.id,
        item_id=item.id,
        action=action,
        description=item.description,
        estimate_before_cents=before,
        estimate_after_cents=after,
        approved_by=approved_by,
        approval_method=method,
        approved_at=approved_at,
        note=note.strip(),
        recorded_at=now,
        recorded_by=actor.username,
    )
    session.add(amendment)
    audit.record(
        session,
        actor,
        now,
        f"service:amend:{action}",
        "service_order",
        order.id,
        AUDIT_AMENDED.format(
            action=action,
            item=item.description,
            before=f"{before / 100:.2f}",
            after=f"{after / 100:.2f}",
            by=approved_by,
            method=method,
            at=f"{approved_at:%Y-%m-%d %H:%M}",
        )
        + (f": {note.strip()}" if note.strip() else ""),
        dealer_code=order.dealer_code,
    )
    audit.announce(session, "service_order", now, order.vehicle_id, order.id)
    return amendment


def add_line(
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    kind: str,
    quantity: float,
    approved_by: str,
    approval_method: str,
    approved_at: datetime,
    now: datetime,
    description: str = "",
    unit_cents: int | None = None,
    part_id: int | None = None,
    pay_type: str = "customer",
    note: str = "",
) -> WorkOrderAmendment:
    """A line added to an open work order, with the customer's approval. A part added after the parts
    were issued sends the order back to 'assigned' so the new part is issued too."""
    order = _amendable(session, actor, order_id)
    approved_by = _approval(approved_by, approval_method, approved_at, now)
    before = sum(i.total_cents for i in flow.live_items(order))
    item = flow.new_item(
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
    order.items.append(item)
    session.flush()
    amendment = _record(
        session, actor, order, item, "add", before, approved_by, approval_method, approved_at, note, now
    )
    if kind == "part" and order.state == "parts_issued":
        flow._transition(session, actor, order, "assigned", now, N_("amendment: a part to issue"))
    return amendment


def cancel_line(
    session: Session,
    actor: Actor,
    order_id: int,
    item_id: int,
    *,
    approved_by: str,
    approval_method: str,
    approved_at: datetime,
    now: datetime,
    note: str = "",
) -> WorkOrderAmendment:
    """A line of an open work order cancelled with the customer's approval (its parts not yet issued)."""
    order = _amendable(session, actor, order_id)
    approved_by = _approval(approved_by, approval_method, approved_at, now)
    item = next((i for i in flow.live_items(order) if i.id == item_id), None)
    if item is None:
        raise NotFound(Text(N_("no open line {id} on work order {order}"), id=item_id, order=order.id))
    if item.issued_qty > 0:
        raise UserError(N_("the part of this line was issued: return it to stock before cancelling the line"))
    if len(flow.live_items(order)) == 1:
        raise UserError(N_("this is the work order's last line: a work order keeps at least one"))
    before = sum(i.total_cents for i in flow.live_items(order))
    item.cancelled_at = now
    return _record(
        session, actor, order, item, "cancel", before, approved_by, approval_method, approved_at, note, now
    )


def amendments(session: Session, actor: Actor, order_id: int) -> list[WorkOrderAmendment]:
    order = flow.get_order(session, actor, order_id)
    query = select(WorkOrderAmendment).where(WorkOrderAmendment.order_id == order.id)
    return list(session.scalars(query.order_by(WorkOrderAmendment.id)))


def promise(
    session: Session, actor: Actor, order_id: int, promised_at: datetime, now: datetime
) -> ServiceOrder:
    """The completion time promised to the customer (changed as often as needed, each change audited)."""
    order = flow._desk_order(session, actor, order_id)
    if order.state not in flow.OPEN:
        raise UserError(Text(N_("work order {id} is closed"), id=order.id))
    if promised_at < now:
        raise UserError(N_("Promised completion: choose a time that is not in the past"))
    before = order.promised_at
    order.promised_at = promised_at
    audit.record(
        session,
        actor,
        now,
        "service:promised",
        "service_order",
        order.id,
        AUDIT_PROMISED_CHANGED.format(
            before=f"{before:%Y-%m-%d %H:%M}", after=f"{promised_at:%Y-%m-%d %H:%M}"
        )
        if before
        else AUDIT_PROMISED.format(after=f"{promised_at:%Y-%m-%d %H:%M}"),
        dealer_code=order.dealer_code,
    )
    return order


def _open_clock(session: Session, technician: str) -> LabourClock | None:
    query = select(LabourClock).where(LabourClock.technician == technician, LabourClock.stopped_at.is_(None))
    return session.scalar(query.limit(1))


def clock_on(session: Session, actor: Actor, order_id: int, now: datetime) -> LabourClock:
    """The technician starts working on an order assigned to them (one order at a time)."""
    actor.require("labour_clock")
    order = flow.get_order(session, actor, order_id)  # a technician sees only the orders assigned to them
    if order.state not in CLOCK_STATES:
        raise UserError(
            Text(
                N_("work order {id} is {state}: time is clocked while it is assigned"),
                id=order.id,
                state=Text(flow.STEP_NAMES[order.state]),
            )
        )
    if (running := _open_clock(session, actor.username)) is not None:
        raise UserError(
            Text(
                N_("you are clocked on work order {id} since {at:%H:%M}: clock off there first"),
                id=running.order_id,
                at=running.started_at,
            )
        )
    entry = LabourClock(order_id=order.id, technician=actor.username, started_at=now)
    session.add(entry)
    audit.record(
        session, actor, now, "service:clock_on", "service_order", order.id, "", dealer_code=order.dealer_code
    )
    return entry


def clock_off(session: Session, actor: Actor, order_id: int, now: datetime) -> LabourClock:
    actor.require("labour_clock")
    order = flow.get_order(session, actor, order_id)
    running = _open_clock(session, actor.username)
    if running is None or running.order_id != order.id:
        raise UserError(Text(N_("you are not clocked on work order {id}"), id=order.id))
    running.stopped_at = max(now, running.started_at)
    audit.record(
        session,
        actor,
        now,
        "service:clock_off",
        "service_order",
        order.id,
        AUDIT_MINUTES.format(minutes=f"{running.minutes:.0f}"),
        dealer_code=order.dealer_code,
    )
    return running


def clock_entries(session: Session, actor: Actor, order_id: int) -> list[LabourClock]:
    order = flow.get_order(session, actor, order_id)
    query = select(LabourClock).where(LabourClock.order_id == order.id)
    return list(session.scalars(query.order_by(LabourClock.id)))


def minutes_by_technician(entries: list[LabourClock], now: datetime) -> dict[str, float]:
    """Clocked minutes per technician (a running clock counts up to now)."""
    totals: dict[str, float] = defaultdict(float)
    for entry in entries:
        end = entry.stopped_at or now
        totals[entry.technician] += max(0.0, (end - entry.started_at).total_seconds() / 60)
    return dict(totals)


def running_clock(session: Session, actor: Actor) -> LabourClock | None:
    """The acting technician's running clock, if any."""
    return _open_clock(session, actor.username) if actor.may("labour_clock") else None
