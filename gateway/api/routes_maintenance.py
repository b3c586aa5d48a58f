"""Maintenance: proposals that are due, and the rules that make them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dms.errors import UserError
from gateway.api.context import (
    ApiContext,
    RowId,
    api_context,
    current_user,
    get_db,
    require_roles,
    vehicle_or_404,
    visible_vehicles,
)
from gateway.api.errors import unprocessable
from gateway.api.schemas import AppointmentOut, Items, RuleOut
from gateway.api.views import appointment_view, rule_view
from gateway.db.models import MaintenanceRule, ServiceAppointment, User, Vehicle
from gateway.registry import RuleFields, RuleIn, create_rule, update_rule

router = APIRouter(prefix="/api/maintenance", tags=["maintenance"])
RULE_EDITORS = ("admin", "service_advisor")


@router.get("/due", response_model=Items[AppointmentOut])
def due(
    status_: str = Query("proposed", alias="status", description="appointment status, or 'all'"),
    vehicle_id: str | None = None,
    limit: int = Query(500, ge=1, le=5000),
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
) -> dict:
    """Service appointments the triggers proposed (by default those still at 'proposed')."""
    query = select(ServiceAppointment)
    if user.dealer_code is not None:
        query = query.where(ServiceAppointment.dealer_code == user.dealer_code)
    if status_ != "all":
        query = query.where(ServiceAppointment.status == status_)
    if vehicle_id is not None:
        query = query.where(ServiceAppointment.vehicle_id == vehicle_id)
    rows = db.scalars(
        query.order_by(ServiceAppointment.created_at.desc(), ServiceAppointment.id.desc()).limit(limit)
    )
    return {"items": [appointment_view(a) for a in rows]}


@router.get("/rules", response_model=Items[RuleOut])
def list_rules(user: User = Depends(current_user), db: Session = Depends(get_db)) -> dict:
    query = select(MaintenanceRule).order_by(MaintenanceRule.id)
    if user.dealer_code is not None:  # model-wide rules, and the rules of the dealer's own vehicles
        own = visible_vehicles(user).with_only_columns(Vehicle.vehicle_id)
        query = query.where(or_(MaintenanceRule.vehicle_id.is_(None), MaintenanceRule.vehicle_id.in_(own)))
    return {"items": [rule_view(r) for r in db.scalars(query)]}


def _may_edit(db: Session, user: User, vehicle_id: str | None) -> None:
    """A dealer's service advisor edits the rules of the dealer's own vehicles; model-wide rules are admin's."""
    if user.dealer_code is None:
        return
    if vehicle_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "model-wide rules are managed by an admin")
    vehicle_or_404(db, user, vehicle_id)


@router.post("/rules", status_code=status.HTTP_201_CREATED, response_model=RuleOut)
def post_rule(
    data: RuleIn,
    user: User = Depends(require_roles(*RULE_EDITORS)),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    _may_edit(db, user, data.vehicle_id)
    try:
        rule = create_rule(db, data, now=ctx.clock())
    except UserError as exc:
        raise unprocessable(str(exc)) from None
    db.commit()
    return rule_view(rule)


@router.patch("/rules/{rule_id}", response_model=RuleOut)
def patch_rule(
    rule_id: RowId,
    data: RuleFields,
    user: User = Depends(require_roles(*RULE_EDITORS)),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    rule = db.get(MaintenanceRule, rule_id)
    if rule is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no rule {rule_id}")
    _may_edit(db, user, rule.vehicle_id)
    if "vehicle_id" in data.model_fields_set:
        _may_edit(db, user, data.vehicle_id)
    try:
        update_rule(db, rule, data, now=ctx.clock())
    except UserError as exc:
        raise unprocessable(str(exc)) from None
    db.commit()
    return rule_view(rule)
