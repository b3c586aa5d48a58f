"""The workshop (车间管理): technician teams, each technician's team and skills, and the workload per
technician and per team."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse

from dealer_portal.forms import optional_int
from dealer_portal.messages import N_, Text
from dealer_portal.pages import page_router
from dealer_portal.paging import Order, PageNumber, listed
from dealer_portal.records import technicians as crew
from dealer_portal.web import Ctx, page

router = page_router()
WorkshopPage = Annotated[Ctx, Depends(page("workshop"))]
TextField = Annotated[str, Form()]


TECHNICIAN_ORDERS = {
    "name": Order(N_("name"), lambda p: p.name.casefold()),
    "busiest": Order(N_("most open work orders"), lambda p: (-len(p.open_orders), p.name.casefold())),
    "hours": Order(N_("most hours"), lambda p: (-p.minutes, p.name.casefold())),
}


@router.get("/workshop", response_class=HTMLResponse)
def workshop_page(ctx: WorkshopPage, team: str = "", sort: str = "", page_no: PageNumber = "1"):
    """Technicians (filtered by team, in the URL; paged and sorted) and the load per team."""
    people, teams = crew.workload(ctx.db, ctx.actor, ctx.now)
    team = team if any(t.name == team for t in teams) else ""
    found = [p for p in people if not team or p.team == team]
    return ctx.render(
        "workshop.html",
        people=listed(found, page_no, "/workshop", {"team": team}, orders=TECHNICIAN_ORDERS, sort=sort),
        team=team,
        team_loads=teams,
        teams=crew.teams(ctx.db, ctx.actor),
        skills=crew.SKILLS,
        days=crew.WORKLOAD_DAYS,
    )


@router.post("/workshop/teams")
def create_team(ctx: WorkshopPage, team: TextField = "", dealer_code: TextField = ""):
    made = crew.create_team(ctx.db, ctx.actor, team, ctx.now, dealer_code or None)
    return ctx.done("/workshop", Text(N_("team {name} created"), name=made.name))


@router.post("/workshop/technicians/{username}")
async def save_technician(ctx: WorkshopPage, username: str):
    form = await ctx.request.form()
    team_id = optional_int(str(form.get("team_id", "")), N_("Team"), field="team_id")
    skills = {v for v in form.getlist("skill") if isinstance(v, str)}
    crew.set_profile(ctx.db, ctx.actor, username, team_id=team_id, skills=skills, now=ctx.now)
    return ctx.done("/workshop", Text(N_("{name}: team and skills saved"), name=username))
