"""POST /vehicles/{id}/request-service: a dispatcher asks the vehicle's dealer for a service visit."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Form

from dealer_portal.forms import FieldError
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.records.service_requests import request_service
from dealer_portal.web import Ctx, page

router = page_router()
NOT_A_DATE = N_("Preferred date: enter a date like 2026-03-02")
REQUESTED = N_("service requested from dealer {dealer} (#{order})")


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError({"preferred_date": NOT_A_DATE}) from None


@router.post("/vehicles/{vehicle_id}/request-service")
def request_service_page(
    ctx: Annotated[Ctx, Depends(page("request_service"))],
    vehicle_id: str,
    reason: Annotated[str, Form()] = "",
    preferred_date: Annotated[str, Form()] = "",
):
    order = request_service(
        ctx.db, ctx.actor, vehicle_id, reason=reason, preferred=_date(preferred_date), now=ctx.now
    )
    return ctx.done(f"/vehicles/{vehicle_id}", Text(REQUESTED, dealer=order.dealer_code, order=order.id))
