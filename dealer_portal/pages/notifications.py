"""Notifications: each user's rules (event type, e-mail or webhook) and the delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Query
from fastapi.responses import HTMLResponse

from dealer_portal.messages import N_
from dealer_portal.notify import rules
from dealer_portal.pages import page_router
from dealer_portal.paging import Order, PageNumber, listed, paginate
from dealer_portal.web import Ctx, page

router = page_router()
NotifyPage = Annotated[Ctx, Depends(page("notifications"))]
ADDED, ON, PAUSED, REMOVED = (
    N_("notification added"),
    N_("notification on"),
    N_("notification paused"),
    N_("notification removed"),
)


RULE_ORDERS = {
    "event": Order(N_("event"), lambda r: (r.event_type, r.id)),
    "channel": Order(N_("channel"), lambda r: (r.channel, r.event_type, r.id)),
    "newest": Order(N_("newest"), lambda r: r.id, descending=True),
}


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    ctx: NotifyPage, event: str = "", channel: str = "", sort: str = "", page_no: PageNumber = "1"
):
    """The user's rules, filtered by event type and channel (both in the URL), 50 a page."""
    event = event if event in rules.EVENT_TYPES else ""
    channel = channel if channel in rules.CHANNELS else ""
    found = [
        r
        for r in rules.rules_of(ctx.db, ctx.actor)
        if (not event or r.event_type == event) and (not channel or r.channel == channel)
    ]
    params = {"event": event, "channel": channel}
    return ctx.render(
        "notifications.html",
        rules=listed(found, page_no, "/notifications", params, orders=RULE_ORDERS, sort=sort),
        filters=params,
        event_types=rules.EVENT_TYPES,
        channels=rules.CHANNELS,
    )


@router.post("/notifications")
def rule_create(
    ctx: NotifyPage,
    event_type: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
    secret: Annotated[str, Form()] = "",
):
    rules.create(
        ctx.db, ctx.actor, event_type=event_type, channel=channel, target=target, secret=secret, now=ctx.now
    )
    return ctx.done("/notifications", ADDED)


@router.post("/notifications/{rule_id}/active")
def rule_active(ctx: NotifyPage, rule_id: int, active: Annotated[str, Form()] = "0"):
    rule = rules.set_active(ctx.db, ctx.actor, rule_id, active == "1", ctx.now)
    return ctx.done("/notifications", ON if rule.active else PAUSED)


@router.post("/notifications/{rule_id}/delete")
def rule_delete(ctx: NotifyPage, rule_id: int):
    rules.delete(ctx.db, ctx.actor, rule_id, ctx.now)
    return ctx.done("/notifications", REMOVED)


@router.get("/notifications/log", response_class=HTMLResponse)
def delivery_log(
    ctx: NotifyPage,
    status: str = "",
    everyone: str = "",
    page_no: Annotated[int, Query(alias="page")] = 1,
):
    """Sent and failed deliveries with their attempts and last error, newest first, 50 a page."""
    status = status if status in rules.STATUSES else ""
    everyone = "1" if everyone == "1" and ctx.actor.role == "admin" else ""
    found = rules.log_query(ctx.actor, status=status, everyone=everyone == "1")
    return ctx.render(
        "notification_log.html",
        listing=paginate(
            ctx.db, found, page_no, "/notifications/log", {"status": status, "everyone": everyone}
        ),
        status=status,
        everyone=everyone,
        statuses=rules.STATUSES,
        event_types=rules.EVENT_TYPES,
        sort="",
    )
