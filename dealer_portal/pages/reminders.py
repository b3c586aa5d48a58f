"""Service, annual-inspection and insurance reminders (保养提醒, 年检/续保提醒): the dealer's customers'
vehicles due, reminders sent by e-mail (through the notification worker) or marked as handled otherwise,
and which were delivered."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.records import reminders
from dealer_portal.web import Ctx, page

router = page_router()
CustomersPage = Annotated[Ctx, Depends(page("customers"))]
TextField = Annotated[str, Form()]


@router.get("/reminders", response_class=HTMLResponse)
def reminders_page(ctx: CustomersPage):
    return ctx.render(
        "reminders.html",
        due=reminders.due(ctx.db, ctx.actor, ctx.now),
        sent=reminders.sent(ctx.db, ctx.actor),
        states=reminders.STATES,
        kinds=reminders.KIND_LABELS,
        delivery_labels=reminders.DELIVERY_LABELS,
    )


@router.post("/reminders/send")
def send(ctx: CustomersPage, key: TextField = ""):
    reminder = reminders.send(ctx.db, ctx.actor, key, ctx.now)
    return ctx.done("/reminders", Text(N_("reminder queued for {email}"), email=reminder.email))


@router.post("/reminders/done")
def done(ctx: CustomersPage, key: TextField = "", note: TextField = ""):
    reminders.done(ctx.db, ctx.actor, key, note, ctx.now)
    return ctx.done("/reminders", N_("marked as handled"))
