"""'Request service' from the fleet side: a dispatcher asks the vehicle's servicing dealer for a visit
(reason, preferred date). It is a gateway appointment proposal (source 'manual'), so it lands in the
dealer's service list as a proposed order that the service advisor confirms into the service flow,
and it notifies who subscribed to 'service_request'."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError
from dealer_portal.messages import AUDIT_REQUEST_PREFERRED, N_, Text
from dealer_portal.records import audit, vehicle_records
from dealer_portal.records import service_flow as flow
from dealer_portal.records.actor import Actor
from dealer_portal.records.tables import ServiceOrder
from dms.errors import UserError
from gateway.db.models import ServiceAppointment

NO_DEALER = N_("{vehicle} has no servicing dealer: set its dealer on the vehicle record first")
RETIRED = N_("{vehicle} is retired: it is not serviced any more")
NEEDS_REASON = N_("Reason: say what the workshop should look at")
PAST_DATE = N_("Preferred date: today or later")
ALREADY = N_("{vehicle} already has an open service request (#{order}) with its dealer")


def request_service(
    db: Session, actor: Actor, vehicle_id: str, *, reason: str, preferred: date | None, now: datetime
) -> ServiceOrder:
    """The proposed order now in the dealer's service list. Refused (not found) for a vehicle the actor
    may not see, i.e. another dealer's or fleet's."""
    actor.require("request_service")
    vehicle = vehicle_records.get(db, actor, vehicle_id)
    reason = reason.strip()
    if not reason:
        raise FieldError({"reason": NEEDS_REASON})
    if preferred is not None and preferred < now.date():
        raise FieldError({"preferred_date": PAST_DATE})
    if vehicle.dealer_code is None:
        raise UserError(Text(NO_DEALER, vehicle=vehicle_id))
    if vehicle.status == "retired":
        raise UserError(Text(RETIRED, vehicle=vehicle_id))
    open_request = db.scalar(
        select(ServiceOrder.id)
        .join(ServiceAppointment, ServiceAppointment.id == ServiceOrder.appointment_id)
        .where(
            ServiceOrder.vehicle_id == vehicle_id,
            ServiceAppointment.source == "manual",
            ServiceOrder.state == "proposed",
        )
        .limit(1)
    )
    if open_request is not None:
        raise UserError(Text(ALREADY, vehicle=vehicle_id, order=open_request))
    appointment = ServiceAppointment(
        vehicle_id=vehicle_id,
        dealer_code=vehicle.dealer_code,
        source="manual",
        due_key=f"request:{vehicle_id}:{actor.username}:{now.isoformat()}",
        reason=f"{reason} (requested by {actor.username})",
        due_date=preferred,
        status="proposed",
        created_at=now,
        updated_at=now,
    )
    db.add(appointment)
    db.flush()
    flow.import_proposals(db, now)
    order = db.scalar(select(ServiceOrder).where(ServiceOrder.appointment_id == appointment.id))
    if preferred is not None:  # shown as the order's time until the advisor confirms one
        order.scheduled_at = datetime.combine(preferred, time(8, 0), tzinfo=UTC)
    audit.record(
        db,
        actor,
        now,
        "service:requested",
        "service_order",
        order.id,
        (
            AUDIT_REQUEST_PREFERRED.format(vehicle=vehicle_id, reason=reason, day=preferred.isoformat())
            if preferred
            else f"{vehicle_id}: {reason}"
        ),
        dealer_code=vehicle.dealer_code,
    )
    audit.announce(db, "appointment", now, vehicle_id, appointment.id)
    return order
