"""Admin screens: users (create, role and dealer, disable, password reset), dealers, maintenance rules
and dead letters (inspect, replay after a fix, discard). Admin role only; records.admin enforces it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from dealer_portal.forms import about, number
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import PageNumber, paginate, paginate_rows
from dealer_portal.records import admin, password_reset
from dealer_portal.records.actor import ROLES
from dealer_portal.web import Ctx, page, state
from gateway.db.models import RULE_TYPES, Dealer
from gateway.ingest.batch import Ingestor

router = page_router()
AdminPage = Annotated[Ctx, Depends(page("admin"))]
PageNo = Annotated[int, Query(alias="page")]


class Confirm:
    """The confirmations of these pages (marked for translation)."""

    USER_SAVED = N_("{user}: role and dealer saved")
    USER_ENABLED = N_("{user} enabled")
    USER_DISABLED = N_("{user} disabled")
    RESET_LINK_SENT = N_(
        "A one-time link to set a new password was sent to {email}; it works once, for {minutes} minutes."
    )
    DEALER_ADDED = N_("dealer {code} added")
    DEALER_SAVED = N_("dealer {code} saved")
    RULE_ADDED = N_("rule {id} added")
    RULE_SAVED = N_("rule {id} saved")
    RULE_ENABLED = N_("rule {id} enabled")
    RULE_DISABLED = N_("rule {id} disabled")
    REPLAYED = N_(
        "dead letter {id} replayed: {applied} applied, {duplicates} already there, {refused} refused again"
    )
    DISCARDED = N_("dead letter {id} discarded")


USER_ADDED = N_("User {user} created. Temporary password (shown only now): pass it on securely.")
PASSWORD_RESET = N_("New temporary password for {user} (shown only now); the old one no longer works.")


def _dealer_codes(ctx: Ctx) -> list[Dealer]:
    return list(ctx.db.query(Dealer).order_by(Dealer.code))


def _dealer(value: str) -> str | None:
    return value.strip() or None


@router.get("/admin")
def admin_home(ctx: AdminPage):
    return RedirectResponse("/admin/users", status_code=303)


# -- users -------------------------------------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(ctx: AdminPage, q: str = "", role: str = "", page_no: PageNo = 1):
    role = role if role in ROLES else ""
    listing = paginate(
        ctx.db, admin.user_query(ctx.actor, q=q, role=role), page_no, "/admin/users", {"q": q, "role": role}
    )
    return ctx.render(
        "admin_users.html",
        tab="users",
        listing=listing,
        q=q,
        role=role,
        roles=ROLES,
        dealers=_dealer_codes(ctx),
        sort="",
    )


@router.post("/admin/users", response_class=HTMLResponse)
def user_create(
    ctx: AdminPage,
    username: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    dealer_code: Annotated[str, Form()] = "",
):
    user, password = admin.add_user(
        ctx.db, ctx.actor, username=username, role=role, dealer_code=_dealer(dealer_code), now=ctx.now
    )
    ctx.db.commit()
    return _user_page(
        ctx, user.id, shown=password, note=Text(USER_ADDED, user=user.username), status_code=201
    )


def _user_page(
    ctx: Ctx, user_id: int, shown: str = "", note: str = "", status_code: int = 200
) -> HTMLResponse:
    return ctx.render(
        "admin_user.html",
        status_code=status_code,
        tab="users",
        user=admin.get_user(ctx.db, ctx.actor, user_id),
        roles=ROLES,
        dealers=_dealer_codes(ctx),
        shown_password=shown,
        note=note,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(ctx: AdminPage, user_id: int):
    return _user_page(ctx, user_id)


@router.post("/admin/users/{user_id}")
def user_change(
    ctx: AdminPage, user_id: int, role: Annotated[str, Form()] = "", dealer_code: Annotated[str, Form()] = ""
):
    user = admin.change_user(
        ctx.db, ctx.actor, user_id, role=role, dealer_code=_dealer(dealer_code), now=ctx.now
    )
    return ctx.done(f"/admin/users/{user_id}", Text(Confirm.USER_SAVED, user=user.username))


@router.post("/admin/users/{user_id}/active")
def user_active(ctx: AdminPage, user_id: int, active: Annotated[str, Form()] = "0"):
    user = admin.set_user_active(ctx.db, ctx.actor, user_id, active == "1", ctx.now)
    return ctx.done(
        f"/admin/users/{user_id}",
        Text(Confirm.USER_ENABLED if user.active else Confirm.USER_DISABLED, user=user.username),
    )


@router.post("/admin/users/{user_id}/reset", response_class=HTMLResponse)
def user_reset(ctx: AdminPage, user_id: int):
    user, password = admin.reset_password(ctx.db, ctx.actor, user_id, ctx.now)
    ctx.db.commit()
    return _user_page(ctx, user_id, shown=password, note=Text(PASSWORD_RESET, user=user.username))


@router.post("/admin/users/{user_id}/reset-link")
def user_reset_link(ctx: AdminPage, user_id: int, email: Annotated[str, Form(max_length=255)] = ""):
    settings = state(ctx.request).settings
    sent = password_reset.send_link(
        ctx.db,
        ctx.actor,
        user_id,
        email,
        ctx.now,
        notify=settings.notify,
        base_url=settings.notify.portal_url or str(ctx.request.base_url),
        minutes=settings.reset_link_minutes,
    )
    return ctx.done(
        f"/admin/users/{user_id}",
        Text(Confirm.RESET_LINK_SENT, email=sent.email, minutes=settings.reset_link_minutes),
    )


# -- dealers -----------------------------------------------------------------------------------------


@router.get("/admin/dealers", response_class=HTMLResponse)
def dealers_page(ctx: AdminPage, page_no: PageNumber = "1"):
    listing = paginate_rows(admin.dealers(ctx.db, ctx.actor), page_no, "/admin/dealers", {})
    return ctx.render("admin_dealers.html", tab="dealers", listing=listing, dealers=listing.rows)


@router.post("/admin/dealers")
def dealer_create(
    ctx: AdminPage, dealer_code: Annotated[str, Form()] = "", name: Annotated[str, Form()] = ""
):
    dealer = admin.add_dealer(ctx.db, ctx.actor, code=dealer_code, name=name, now=ctx.now)
    return ctx.done("/admin/dealers", Text(Confirm.DEALER_ADDED, code=dealer.code))


@router.post("/admin/dealers/{code}")
def dealer_rename(ctx: AdminPage, code: str, name: Annotated[str, Form()] = ""):
    dealer = admin.rename_dealer(ctx.db, ctx.actor, code, name=name, now=ctx.now)
    return ctx.done("/admin/dealers", Text(Confirm.DEALER_SAVED, code=dealer.code))


# -- maintenance rules -------------------------------------------------------------------------------


async def _rule_values(ctx: Ctx) -> dict[str, object]:
    form = {k: v.strip() for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    values: dict[str, object] = {k: form.get(k, "") for k in admin.RULE_FIELDS}
    if form.get("target_kind") == "vehicle":
        values["model"] = ""
    else:
        values["vehicle_id"] = ""
    for name, what in (("start", "Start"), ("period", "Period"), ("lead", "Lead")):
        if form.get(name):
            values[name] = number(form[name], what, field=name)
    return values


@router.get("/admin/rules", response_class=HTMLResponse)
def rules_page(ctx: AdminPage, page_no: PageNumber = "1"):
    return _rules(ctx, None, page_no)


def _rules(ctx: Ctx, rule, page_no: str, path: str = "/admin/rules") -> HTMLResponse:
    """The rule list (paged), with `rule` open in the form (None: a new rule)."""
    listing = paginate_rows(admin.rules(ctx.db, ctx.actor), page_no, path, {})
    return ctx.render(
        "admin_rules.html", tab="rules", listing=listing, rules=listing.rows, types=RULE_TYPES, rule=rule
    )


@router.post("/admin/rules")
async def rule_create(ctx: AdminPage):
    values = await _rule_values(ctx)
    with about("model" if values.get("model") else "vehicle_id"):
        rule = admin.add_rule(ctx.db, ctx.actor, values, ctx.now)
    return ctx.done("/admin/rules", Text(Confirm.RULE_ADDED, id=rule.id))


@router.get("/admin/rules/{rule_id}", response_class=HTMLResponse)
def rule_page(ctx: AdminPage, rule_id: int, page_no: PageNumber = "1"):
    rule = admin.get_rule(ctx.db, ctx.actor, rule_id)
    return _rules(ctx, rule, page_no, f"/admin/rules/{rule_id}")


@router.post("/admin/rules/{rule_id}")
async def rule_change(ctx: AdminPage, rule_id: int):
    values = await _rule_values(ctx)
    with about("model" if values.get("model") else "vehicle_id"):
        admin.change_rule(ctx.db, ctx.actor, rule_id, values, ctx.now)
    return ctx.done(f"/admin/rules/{rule_id}", Text(Confirm.RULE_SAVED, id=rule_id))


@router.post("/admin/rules/{rule_id}/active")
def rule_active(ctx: AdminPage, rule_id: int, active: Annotated[str, Form()] = "0"):
    rule = admin.set_rule_active(ctx.db, ctx.actor, rule_id, active == "1", ctx.now)
    return ctx.done(
        "/admin/rules", Text(Confirm.RULE_ENABLED if rule.active else Confirm.RULE_DISABLED, id=rule.id)
    )


# -- dead letters ------------------------------------------------------------------------------------


@router.get("/admin/dead-letters", response_class=HTMLResponse)
def dead_letters_page(ctx: AdminPage, reason: str = "", q: str = "", page_no: PageNo = 1):
    found = admin.dead_letter_query(ctx.actor, reason=reason, q=q)
    return ctx.render(
        "admin_dead_letters.html",
        tab="dead_letters",
        listing=paginate(ctx.db, found, page_no, "/admin/dead-letters", {"reason": reason, "q": q}),
        reasons=admin.dead_letter_reasons(ctx.db, ctx.actor),
        reason=reason,
        q=q,
        sort="",
    )


@router.get("/admin/dead-letters/{letter_id}", response_class=HTMLResponse)
def dead_letter_page(ctx: AdminPage, letter_id: int):
    letter = admin.get_dead_letter(ctx.db, ctx.actor, letter_id)
    text, is_text = admin.payload_text(letter)
    return ctx.render(
        "admin_dead_letter.html", tab="dead_letters", letter=letter, payload=text, is_text=is_text
    )


@router.post("/admin/dead-letters/{letter_id}/replay")
def dead_letter_replay(ctx: AdminPage, letter_id: int):
    st = state(ctx.request)
    ingestor = Ingestor(st.sessions, st.settings.gateway, st.clock)
    result = admin.replay(
        ctx.db,
        ctx.actor,
        letter_id,
        ingestor.apply,
        ctx.now,
        auto_register=st.settings.gateway.auto_register_unknown,
    )
    return ctx.done(
        "/admin/dead-letters",
        Text(
            Confirm.REPLAYED,
            id=letter_id,
            applied=result.applied,
            duplicates=result.duplicates,
            refused=result.dead_lettered,
        ),
    )


@router.post("/admin/dead-letters/{letter_id}/discard")
def dead_letter_discard(ctx: AdminPage, letter_id: int):
    admin.discard(ctx.db, ctx.actor, letter_id, ctx.now)
    return ctx.done("/admin/dead-letters", Text(Confirm.DISCARDED, id=letter_id))
