"""REST API of new-vehicle stock and the manufacturer exchange, for integrations (a manufacturer's
system, a dealer's website), beside the gateway's API under /api and with its bearer tokens:

    GET  /api/dealer/stock            the caller's stock with status, location and days in stock
    GET  /api/dealer/exchange         the dealer's exchange file (docs/exchange)
    POST /api/dealer/exchange         import a file; answers the validation report

The same domain functions as the pages check role and dealer (admin or service advisor; staff of a
dealer see only that dealer; operator staff name the dealer with `?dealer=`)."""

from __future__ import annotations

from contextlib import contextmanager

from fastapi import APIRouter, Body, Depends, HTTPException, Query, status
from sqlalchemy.orm import Session

from dealer_portal.exchange import transfer
from dealer_portal.records import stock
from dealer_portal.records.actor import Actor, Forbidden, NotFound
from dms.errors import UserError
from gateway.api.context import ApiContext, api_context, current_user, get_db
from gateway.db.models import User

router = APIRouter(prefix="/api/dealer", tags=["dealer sales"])


def _actor(user: User) -> Actor:
    return Actor(user.username, user.role, user.dealer_code)


@contextmanager
def _answers():
    """Domain refusals as HTTP answers: 403, 404, 422 with the message."""
    try:
        yield
    except Forbidden as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except UserError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None


@router.get("/stock")
def stock_list(
    status_: str = Query(
        "",
        alias="status",
        description="ordered, in_transit, in_stock, pdi_done, reserved, "
        "delivered, on_yard (in stock, PDI done or reserved), or empty for all",
    ),
    model: str = Query("", max_length=80),
    limit: int = Query(500, ge=1, le=5000),
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    """New vehicles in the caller's stock, oldest arrival first."""
    now = ctx.clock()
    with _answers():
        rows = db.scalars(stock.query(_actor(user), status=status_, model=model).limit(limit))
        return {
            "items": [
                {
                    "vin": v.vin,
                    "dealer_code": v.dealer_code,
                    "model": v.model,
                    "configuration": v.configuration,
                    "colour": v.colour,
                    "status": v.status,
                    "location": v.location,
                    "coc_number": v.coc_number,
                    "list_price_cents": v.list_price_cents,
                    "arrived_at": v.arrived_at,
                    "days_in_stock": stock.days_in_stock(v, now),
                    "vehicle_id": v.vehicle_id,
                }
                for v in rows
            ]
        }


@router.get("/exchange")
def exchange_export(
    dealer: str | None = Query(None, max_length=32, description="Operator staff: the dealer to export."),
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    """The dealer's orders, stock, warranty claims and parts order in the exchange format, version 1."""
    with _answers():
        return transfer.export(db, _actor(user), ctx.clock(), dealer)


@router.post("/exchange")
def exchange_import(
    document: dict = Body(description="An exchange file (docs/exchange/v1/file.schema.json)."),
    dealer: str | None = Query(None, max_length=32, description="Operator staff: the dealer to import for."),
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
    ctx: ApiContext = Depends(api_context),
) -> dict:
    """Validate every record, apply the stock ones; 200 with the report even when records were
    rejected (422 only for a file that is not an exchange file of a known version)."""
    import json

    with _answers():
        checked = transfer.read(json.dumps(document))
        report = transfer.import_file(db, _actor(user), checked, ctx.clock(), dealer)
        db.commit()
    return {
        "ok": report.ok,
        "accepted": report.accepted,
        "created": report.created,
        "updated": report.updated,
        "confirmed": report.confirmed,
        "rejected": [{"where": r.where, "key": r.key, "reason": r.reason} for r in report.rejected],
    }
