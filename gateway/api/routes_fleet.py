"""Vehicles (register, update, live status), driver events and the dispatcher's alert feed."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from dms.errors import AlreadyExists, UserError
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
from gateway.api.schemas import AlertOut, EventOut, Items, LiveIn, LiveOut, VehicleOut
from gateway.api.views import alert_view, event_view, vehicle_view
from gateway.changes import record_changes
from gateway.commands import CommandsUnavailable, request_live
from gateway.db.models import Alert, DriverEventRecord, User, Vehicle, VehicleLiveStatus
from gateway.registry import VehicleIn, VehicleUpdate, register_vehicle, update_vehicle

router = APIRouter(prefix="/api", tags=["fleet"])
FLEET_EDITORS = ("admin", "dispatcher")
LIVE_VIEWERS = FLEET_EDITORS


def _open_alerts(db: Session, vehicle_ids: list[str]) -> dict[str, list[Alert]]:
    out: dict[str, list[Alert]] = defaultdict(list)
    if vehicle_ids:
        for a in db.scalars(
            select(Alert)
            .where(Alert.vehicle_id.in_(vehicle_ids), Alert.acknowledged_at.is_(None))
            .order_by(Alert.opened_at.desc())
        ):
            out[a.vehicle_id].append(a)
    return out


def _views(db: Session, ctx: ApiContext, vehicles: list[Vehicle]) -> list[dict]:
    ids = [v.vehicle_id for v in vehicles]
    live = {
        r.vehicle_id: r
        for r in db.scalars(select(VehicleLiveStatus).where(VehicleLiveStatus.vehicle_id.in_(ids)))
    }
    alerts = _open_alerts(db, ids)
    now = ctx.clock()
    return [
        vehicle_view(
            v, live.get(v.vehicle_id), alerts.get(v.vehicle_id, []), now, ctx.settings.offline_after_s
        )
        for v in vehicles
    ]


def _user_error(exc: UserError) -> HTTPException:
    if isinstance(exc, AlreadyExists):
        return HTTPException(status.HTTP_409_CONFLICT, str(exc))
    return unprocessable(str(exc))


@router.get("/vehicles", response_model=Items[VehicleOut])
def list_vehicles(
    archived: bool = False,
    dealer: str | None = None,
    online: bool | None = None,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    query = visible_vehicles(user).order_by(Vehicle.vehicle_id)
    if not archived:
        query = query.where(Vehicle.archived.is_(False))
    if dealer is not None:
        query = query.where(Vehicle.dealer_code == dealer)
    items = _views(db, ctx, list(db.scalars(query)))
    if online is not None:
        items = [i for i in items if i["online"] == online]
    return {"items": items}


@router.get("/vehicles/{vehicle_id}", response_model=VehicleOut)
def get_vehicle(
    vehicle_id: str,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    return _views(db, ctx, [vehicle_or_404(db, user, vehicle_id)])[0]


@router.post("/vehicles", status_code=status.HTTP_201_CREATED, response_model=VehicleOut)
def create_vehicle(
    data: VehicleIn,
    user: User = Depends(require_roles(*FLEET_EDITORS)),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    if user.dealer_code is not None and data.dealer_code not in (None, user.dealer_code):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you may register vehicles of your own dealer only")
    try:
        vehicle = register_vehicle(db, data, now=ctx.clock())
    except UserError as exc:
        raise _user_error(exc) from None
    db.commit()
    return _views(db, ctx, [vehicle])[0]


@router.patch("/vehicles/{vehicle_id}", response_model=VehicleOut)
def patch_vehicle(
    vehicle_id: str,
    data: VehicleUpdate,
    user: User = Depends(require_roles(*FLEET_EDITORS)),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    vehicle = vehicle_or_404(db, user, vehicle_id)
    try:
        update_vehicle(db, vehicle, data, now=ctx.clock())
    except UserError as exc:
        raise _user_error(exc) from None
    db.commit()
    return _views(db, ctx, [vehicle])[0]


@router.post(
    "/vehicles/{vehicle_id}/live",
    response_model=LiveOut,
    responses={503: {"description": "No command broker is configured, or it did not take the request."}},
)
def request_live_view(
    vehicle_id: str,
    data: LiveIn | None = None,
    user: User = Depends(require_roles(*LIVE_VIEWERS)),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    """Open the vehicle's live view: the vehicle is asked (dms/v1/<id>/cmd) for driver state and status
    every second for `seconds` (default `live_view_s`); it falls back by itself afterwards. 503 when no
    command broker is configured or it does not acknowledge."""
    vehicle_or_404(db, user, vehicle_id)
    seconds = data.seconds if data is not None and data.seconds is not None else ctx.settings.live_view_s
    try:
        sent = request_live(ctx.command_publisher(), vehicle_id, seconds, ctx.clock())
    except CommandsUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    until = sent.ts + timedelta(seconds=seconds)
    return {"vehicle_id": vehicle_id, "msg_id": sent.msg_id, "seconds": seconds, "until": until.isoformat()}


@router.get("/vehicles/{vehicle_id}/events", response_model=Items[EventOut])
def vehicle_events(
    vehicle_id: str,
    since: datetime | None = None,
    type: str | None = None,
    limit: int = Query(200, ge=1, le=5000),
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
) -> dict:
    vehicle_or_404(db, user, vehicle_id)
    query = select(DriverEventRecord).where(DriverEventRecord.vehicle_id == vehicle_id)
    if since is not None:
        query = query.where(DriverEventRecord.ts >= since)
    if type is not None:
        query = query.where(DriverEventRecord.type == type)
    rows = db.scalars(query.order_by(DriverEventRecord.ts.desc(), DriverEventRecord.id.desc()).limit(limit))
    return {"items": [event_view(e) for e in rows]}


@router.get("/alerts", response_model=Items[AlertOut])
def list_alerts(
    open: bool = True,
    limit: int = Query(200, ge=1, le=5000),
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
) -> dict:
    visible = visible_vehicles(user).with_only_columns(Vehicle.vehicle_id)
    query = select(Alert).where(Alert.vehicle_id.in_(visible))
    if open:
        query = query.where(Alert.acknowledged_at.is_(None))
    rows = db.scalars(query.order_by(Alert.opened_at.desc()).limit(limit))
    return {"items": [alert_view(a) for a in rows]}


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut)
def ack_alert(
    alert_id: RowId,
    user: User = Depends(require_roles(*FLEET_EDITORS)),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    alert = db.get(Alert, alert_id)
    if (
        alert is None
        or db.scalar(visible_vehicles(user).where(Vehicle.vehicle_id == alert.vehicle_id)) is None
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    if alert.acknowledged_at is None:  # acknowledging twice keeps the first acknowledgement
        now = ctx.clock()
        alert.acknowledged_by, alert.acknowledged_at = user.username, now
        record_changes(db, [("alert", alert.vehicle_id, str(alert.id))], now=now)
        db.commit()
    return alert_view(alert)
