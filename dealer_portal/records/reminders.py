"""Service reminders to customers (保养提醒): which of the dealer's customers' vehicles are due for a
service, and the reminder e-mail sent to the customer through the portal's notification queue (the
notification worker sends it through the configured SMTP server, with retries, like every notification).

A vehicle is due when
- the maintenance rules engine proposed a service for it (gateway/maintenance.py: a `maintenance_rule`
  appointment still 'proposed', by odometer, engine hours or date), or
- it has no such proposal and its last settled visit at this dealer is the dealer's service interval
  (records/dealer_settings, 12 months by default) ago or more, with no visit open since.

A customer's vehicle is also due for a reminder of its annual inspection or insurance renewal when the
date recorded on the customer's vehicle record is within the dealer's renewal window (records/renewals).

Only customers who consented to be contacted (`customers.consent`) and have an e-mail address are sent a
reminder; the others are listed with the reason. Each due occurrence is reminded once (`due_key`), by e-mail or marked as handled otherwise (a
phone call: `done`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.messages import AUDIT_REMINDER_DONE, N_, Text, localize
from dealer_portal.notify.tables import NotificationDelivery
from dealer_portal.records import audit, dealer_settings, renewals
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.aftersales_tables import CustomerVehicle
from dealer_portal.records.tables import Customer, ServiceOrder
from dealer_portal.records.workshop_tables import ServiceReminder
from dms.errors import UserError
from gateway.db.models import Dealer, ServiceAppointment, Vehicle
from gateway.maintenance import add_months

EVENT_TYPE = "service_reminder"
STATES = {
    "ready": N_("ready to send"),
    "no_consent": N_("no consent to contact"),
    "no_email": N_("no e-mail address"),
}
DELIVERY_LABELS = {
    "pending": N_("queued"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "done": N_("handled without e-mail"),
}
KIND_LABELS = {
    "service": N_("service"),
    "inspection": N_("annual inspection"),
    "insurance": N_("insurance renewal"),
}
MAX_NOTE = 500
FINISHED = ("settled", "cancelled")


@dataclass(frozen=True)
class Due:
    key: str
    customer: Customer
    vehicle: Vehicle
    due_date: date | None
    due_km: float | None
    why: Text  # what is due, in words
    kind: str = "service"  # a key of KIND_LABELS

    @property
    def state(self) -> str:
        if not self.customer.consent:
            return "no_consent"
        return "ready" if self.customer.email.strip() else "no_email"


def _owned(session: Session, actor: Actor) -> list[tuple[Customer, Vehicle, CustomerVehicle]]:
    actor.require("customers")
    query = (
        select(Customer, Vehicle, CustomerVehicle)
        .join(CustomerVehicle, CustomerVehicle.customer_id == Customer.id)
        .join(Vehicle, Vehicle.vehicle_id == CustomerVehicle.vehicle_id)
        .where(Customer.merged_into_id.is_(None))
        .order_by(Customer.name, Vehicle.vehicle_id)
    )
    if not actor.sees_all_dealers:
        query = query.where(Customer.dealer_code == actor.dealer_code)
    return [(c, v, cv) for c, v, cv in session.execute(query).all()]


def due(session: Session, actor: Actor, now: datetime) -> list[Due]:
    """Every due service of the actor's dealer(s) not yet reminded, soonest first."""
    owned = _owned(session, actor)
    if not owned:
        return []
    ids = sorted({v.vehicle_id for _, v, _ in owned})
    dealers = sorted({c.dealer_code for c, _, _ in owned})
    query = select(ServiceReminder.dealer_code, ServiceReminder.due_key)
    sent = {(d, k) for d, k in session.execute(query.where(ServiceReminder.dealer_code.in_(dealers)))}
    proposals: dict[str, list[ServiceAppointment]] = {}
    for appointment in session.scalars(
        select(ServiceAppointment)
        .where(
            ServiceAppointment.vehicle_id.in_(ids),
            ServiceAppointment.source == "maintenance_rule",
            ServiceAppointment.status == "proposed",
        )
        .order_by(ServiceAppointment.id)
    ):
        proposals.setdefault(appointment.vehicle_id, []).append(appointment)
    orders: dict[tuple[str, str], list[ServiceOrder]] = {}
    for order in session.scalars(
        select(ServiceOrder).where(ServiceOrder.vehicle_id.in_(ids)).order_by(ServiceOrder.created_at)
    ):
        orders.setdefault((order.dealer_code, order.vehicle_id), []).append(order)
    settings = {d: dealer_settings.effective(session, d) for d in dealers}
    out = []
    for customer, vehicle, record in owned:
        dealer = customer.dealer_code
        found = [
            Due(r.key, customer, vehicle, r.on, None, r.why, r.kind)
            for r in renewals.due(record, settings[dealer].renewal_window_days, now.date())
        ]
        for a in proposals.get(vehicle.vehicle_id, []):
            if a.dealer_code not in (None, dealer):
                continue
            if a.due_odometer_km is not None:
                why = Text(N_("maintenance due at {km} km"), km=f"{a.due_odometer_km:,.0f}")
            elif a.due_date is not None:
                why = Text(N_("maintenance due on {date}"), date=a.due_date.isoformat())
            else:
                why = Text(N_("maintenance due"))
            found.append(Due(f"appointment:{a.id}", customer, vehicle, a.due_date, a.due_odometer_km, why))
        visits = orders.get((dealer, vehicle.vehicle_id), [])
        if (
            not any(d.kind == "service" for d in found)
            and visits
            and all(o.state in FINISHED for o in visits)
        ):
            settled = [o for o in visits if o.state == "settled" and o.settled_at]
            if settled:
                last = max(settled, key=lambda o: o.settled_at)
                months = settings[dealer].service_interval_months
                due_on = add_months(last.settled_at.date(), months)
                if due_on <= now.date():
                    why = Text(
                        N_("last service on {date}; a service is due every {months} months"),
                        date=last.settled_at.date().isoformat(),
                        months=months,
                    )
                    found.append(Due(f"last:{last.id}", customer, vehicle, due_on, None, why))
        out += [d for d in found if (dealer, d.key) not in sent]
    return sorted(out, key=lambda d: (d.due_date or date.max, d.customer.name, d.key))


def _find(session: Session, actor: Actor, key: str, now: datetime) -> Due:
    found = next((d for d in due(session, actor, now) if d.key == key[:200]), None)
    if found is None:
        raise NotFound(Text(N_("no due service {key} to remind of"), key=key[:200]))
    return found


SUBJECTS = {
    "service": N_("Service reminder for your vehicle {vehicle}"),
    "inspection": N_("Annual inspection reminder for your vehicle {vehicle}"),
    "insurance": N_("Insurance renewal reminder for your vehicle {vehicle}"),
}
SERVICE_BODY = N_(
    "Dear {name},\n\nyour vehicle {vehicle} is due for a service: {why}.\n"
    "Please call or reply to book an appointment.\n\n{dealer}\n"
)
RENEWAL_BODY = N_(
    "Dear {name},\n\nfor your vehicle {vehicle}: {why}.\n"
    "We can take care of it for you: please call or reply.\n\n{dealer}\n"
)


def send(session: Session, actor: Actor, key: str, now: datetime) -> ServiceReminder:
    """The reminder of one due service, inspection or renewal queued for the notification worker (once
    per due occurrence)."""
    found = _find(session, actor, key, now)
    customer = found.customer
    _consented(found)
    if found.state == "no_email":
        raise UserError(
            Text(N_("{name} has no e-mail address: add one on the customer page"), name=customer.name)
        )
    dealer = session.get(Dealer, customer.dealer_code)
    dealer_name = dealer.name if dealer else customer.dealer_code
    vehicle = found.vehicle
    car = f"{vehicle.vehicle_id}" + (f" ({vehicle.plate})" if vehicle.plate else "")
    subject = localize(Text(SUBJECTS[found.kind], vehicle=car))
    text = localize(
        Text(
            SERVICE_BODY if found.kind == "service" else RENEWAL_BODY,
            name=customer.name,
            vehicle=car,
            why=found.why,
            dealer=dealer_name,
        )
    )
    body = {
        "event": EVENT_TYPE,
        "event_key": f"reminder:{customer.dealer_code}:{key}",
        "vehicle_id": vehicle.vehicle_id,
        "dealer_code": customer.dealer_code,
        "customer_id": customer.id,
        "at": now.isoformat(),
        "text": text,
    }
    delivery = NotificationDelivery(
        rule_id=None,
        username=actor.username,
        channel="email",
        target=customer.email.strip(),
        event_key=body["event_key"][:100],
        event_type=EVENT_TYPE,
        vehicle_id=vehicle.vehicle_id,
        subject=subject[:200],
        body=json.dumps(body, sort_keys=True, ensure_ascii=False),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
        sent_at=None,
    )
    session.add(delivery)
    session.flush()
    detail = f"{vehicle.vehicle_id} ({key}) to {customer.email.strip()}"
    return _record(session, actor, found, localize(found.why), delivery, "reminder:sent", detail, now)


def done(session: Session, actor: Actor, key: str, note: str, now: datetime) -> ServiceReminder:
    """A due occurrence handled another way (a consenting customer was called, or already booked): no
    e-mail, but it leaves the due list like a sent reminder and says how it was handled."""
    found = _find(session, actor, key, now)
    _consented(found)  # contacting them any other way needs their consent as much
    note = note.strip()
    if not note:
        raise UserError(N_("Note: say how the customer was reminded, like 'called on the phone'"))
    if len(note) > MAX_NOTE:
        raise UserError(Text(N_("Note: at most {n} characters"), n=MAX_NOTE))
    detail = AUDIT_REMINDER_DONE.format(vehicle=found.vehicle.vehicle_id, key=key, note=note)
    return _record(
        session, actor, found, f"{localize(found.why)} ({note})", None, "reminder:done", detail, now
    )


def _consented(found: Due) -> None:
    if found.state == "no_consent":
        raise UserError(
            Text(
                N_("{name} has not agreed to be contacted: record their consent on the customer page first"),
                name=found.customer.name,
            )
        )


def _record(
    session: Session,
    actor: Actor,
    found: Due,
    reason: str,
    delivery: NotificationDelivery | None,
    action: str,
    detail: str,
    now: datetime,
) -> ServiceReminder:
    """The due occurrence reminded (by the e-mail `delivery`, or without one), and its audit row."""
    customer = found.customer
    reminder = ServiceReminder(
        dealer_code=customer.dealer_code,
        customer_id=customer.id,
        vehicle_id=found.vehicle.vehicle_id,
        due_key=found.key,
        reason=reason,
        email=delivery.target if delivery else "",
        delivery_id=delivery.id if delivery else None,
        sent_at=now,
        sent_by=actor.username,
    )
    session.add(reminder)
    session.flush()
    audit.record(
        session, actor, now, action, "customer", customer.id, detail, dealer_code=customer.dealer_code
    )
    return reminder


def sent(session: Session, actor: Actor, limit: int = 200) -> list[tuple[ServiceReminder, Customer, str]]:
    """Reminders sent or handled, newest first, with the customer and the delivery's status ("done":
    handled without e-mail)."""
    actor.require("customers")
    query = (
        select(ServiceReminder, Customer, NotificationDelivery.status)
        .join(Customer, Customer.id == ServiceReminder.customer_id)
        .outerjoin(NotificationDelivery, NotificationDelivery.id == ServiceReminder.delivery_id)
        .order_by(ServiceReminder.sent_at.desc(), ServiceReminder.id.desc())
        .limit(limit)
    )
    if not actor.sees_all_dealers:
        query = query.where(ServiceReminder.dealer_code == actor.dealer_code)
    return [
        (r, c, "done" if r.delivery_id is None else status or "failed")
        for r, c, status in session.execute(query).all()
    ]
