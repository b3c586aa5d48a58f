"""Service, annual-inspection and insurance reminders (保养提醒, 年检/续保提醒): the dealer's customers'
vehicles due, reminders sent by e-mail (through the notification worker) or marked as handled otherwise,
and which were delivered."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Form, Query
from fastapi.responses import HTMLResponse

from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import Order, PageNumber, listed
from dealer_portal.records import reminders
from dealer_portal.web import Ctx, page

router = page_router()
CustomersPage = Annotated[Ctx, Depends(page("customers"))]
TextField = Annotated[str, Form()]


# Due first by date (no date: due by distance, after the dated ones), or by customer; sent newest first.
DUE_ORDERS = {
    "date": Order(N_("due date"), lambda d: (d.due_date is None, d.due_date or date.min, d.key)),
    "customer": Order(N_("customer"), lambda d: (d.customer.name.casefold(), d.key)),
}
SENT_ORDERS = {
    "newest": Order(N_("newest"), lambda s: (s[0].sent_at, s[0].id), descending=True),
    "customer": Order(N_("customer"), lambda s: (s[1].name.casefold(), s[0].id)),
}


@router.get("/reminders", response_class=HTMLResponse)
def reminders_page(
    ctx: CustomersPage,
    state: str = "",
    sort: str = "",
    page_no: PageNumber = "1",
    sent_page: Annotated[str, Query(max_length=12)] = "1",
    sent_sort: Annotated[str, Query(max_length=12)] = "",
):
    """What is due (filtered by its state, in the URL) and what was sent: two lists, each paged and sorted."""
    state = state if state in reminders.STATES else ""
    due = [d for d in reminders.due(ctx.db, ctx.actor, ctx.now) if not state or d.state == state]
    pages = {"state": state, "page": page_no, "sort": sort, "sent_page": sent_page, "sent_sort": sent_sort}
    return ctx.render(
        "reminders.html",
        due=listed(due, page_no, "/reminders", pages, orders=DUE_ORDERS, sort=sort),
        sent=listed(
            reminders.sent(ctx.db, ctx.actor),
            sent_page,
            "/reminders",
            pages,
            orders=SENT_ORDERS,
            sort=sent_sort,
            prefix="sent_",
            anchor="#sent",
        ),
        state=state,
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
