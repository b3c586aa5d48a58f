"""Technician teams and skills (班组与技能) and each technician's and team's workload.

A service advisor (or admin) of the dealer keeps the teams and each technician's team and skills. A work
order may name the skill it needs (service_flow.set_skill_needed); assigning it to a technician without
that skill is refused (service_flow.assign). The workload is what is on each technician's bench now (open
work orders assigned to them, labour clocked on them) and the labour clocked over the last days."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer_portal.messages import N_, Text
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.aftersales_tables import LabourClock
from dealer_portal.records.tables import ServiceOrder
from dealer_portal.records.workshop_tables import TechnicianProfile, TechnicianTeam
from dms.errors import UserError
from gateway.db.models import User

SKILLS = {  # key -> how people read it (msgids)
    "maintenance": N_("Routine maintenance"),
    "engine": N_("Engine and drivetrain"),
    "electrical": N_("Electrical and diagnostics"),
    "high_voltage": N_("High-voltage (EV) systems"),
    "chassis": N_("Brakes, steering and suspension"),
    "body": N_("Body repair"),
    "paint": N_("Paint"),
    "tyres": N_("Tyres and alignment"),
}
OPEN_STATES = frozenset({"ordered", "assigned", "parts_issued"})
WORKLOAD_DAYS = 7


def _technician(session: Session, actor: Actor, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.role != "technician" or not actor.sees_dealer(user.dealer_code):
        raise NotFound(Text(N_("no technician {name}"), name=username))
    return user


def skills_of(session: Session, username: str) -> set[str]:
    profile = session.get(TechnicianProfile, username)
    return profile.skill_set if profile else set()


def teams(session: Session, actor: Actor) -> list[TechnicianTeam]:
    actor.require("workshop")
    query = select(TechnicianTeam).order_by(TechnicianTeam.dealer_code, TechnicianTeam.name)
    if not actor.sees_all_dealers:
        query = query.where(TechnicianTeam.dealer_code == actor.dealer_code)
    return list(session.scalars(query))


def create_team(
    session: Session, actor: Actor, name: str, now: datetime, dealer_code: str | None = None
) -> TechnicianTeam:
    actor.require("workshop")
    dealer = actor.own_dealer(dealer_code)
    name = name.strip()
    if not name:
        raise UserError(N_("Team: fill this in"))
    if session.scalar(
        select(TechnicianTeam).where(TechnicianTeam.dealer_code == dealer, TechnicianTeam.name == name)
    ):
        raise UserError(Text(N_("Team: dealer {dealer} already has a team {name}"), dealer=dealer, name=name))
    team = TechnicianTeam(dealer_code=dealer, name=name, created_at=now)
    session.add(team)
    session.flush()
    audit.record(session, actor, now, "team:team_created", "team", team.id, name, dealer_code=dealer)
    return team


def set_profile(
    session: Session,
    actor: Actor,
    username: str,
    *,
    team_id: int | None,
    skills: set[str],
    now: datetime,
) -> TechnicianProfile:
    """A technician's team and skills (every change audited)."""
    actor.require("workshop")
    user = _technician(session, actor, username)
    unknown = sorted(skills - SKILLS.keys())
    if unknown:
        raise UserError(Text(N_("Skills: unknown skill {skill}"), skill=unknown[0]))
    if team_id is not None:
        team = session.get(TechnicianTeam, team_id)
        if team is None or team.dealer_code != user.dealer_code:
            raise UserError(N_("Team: choose one of the dealer's teams"))
    profile = session.get(TechnicianProfile, username)
    if profile is None:
        profile = TechnicianProfile(username=username, skills="")
        session.add(profile)
    before = (profile.team_id, profile.skill_set)
    profile.team_id = team_id
    profile.skills = ",".join(sorted(skills))
    profile.updated_at, profile.updated_by = now, actor.username
    session.flush()
    if before != (team_id, set(skills)):
        audit.record(
            session,
            actor,
            now,
            "technician:profile",
            "user",
            username,
            f"team {before[0]} -> {team_id}; skills {','.join(sorted(before[1])) or '-'} -> "
            f"{profile.skills or '-'}",
            dealer_code=user.dealer_code,
        )
    return profile


def members(session: Session, actor: Actor) -> list[tuple[User, TechnicianProfile | None]]:
    """The technicians of the dealers the actor sees, with their team and skills (if recorded)."""
    actor.require("workshop")
    query = select(User).where(User.role == "technician").order_by(User.username)
    found = [u for u in session.scalars(query) if u.dealer_code and actor.sees_dealer(u.dealer_code)]
    return [(u, session.get(TechnicianProfile, u.username)) for u in found]


def assign_team(
    session: Session, actor: Actor, username: str, team_id: int | None, now: datetime
) -> TechnicianProfile:
    """Move a technician into a team of their dealer (None: out of any team), skills unchanged."""
    actor.require("workshop")
    if team_id is not None:
        team = session.get(TechnicianTeam, team_id)
        if team is None or not actor.sees_dealer(team.dealer_code):
            raise NotFound(Text(N_("no team {id}"), id=team_id))
    return set_profile(
        session, actor, username, team_id=team_id, skills=skills_of(session, username), now=now
    )


@dataclass
class Load:
    """One technician's or one team's workload."""

    name: str
    team: str = ""
    skills: set[str] = field(default_factory=set)
    open_orders: list[int] = field(default_factory=list)
    clocked_on: int | None = None  # the order a technician's clock is running on
    minutes: float = 0.0  # labour clocked over the last WORKLOAD_DAYS days


def workload(session: Session, actor: Actor, now: datetime) -> tuple[list[Load], list[Load]]:
    """(per technician, per team) of the dealers the actor sees."""
    actor.require("workshop")
    query = select(User).where(User.role == "technician", User.active.is_(True)).order_by(User.username)
    if not actor.sees_all_dealers:
        query = query.where(User.dealer_code == actor.dealer_code)
    users = list(session.scalars(query))
    names = [u.username for u in users]
    profiles = {p.username: p for p in session.scalars(select(TechnicianProfile))}
    team_names = {t.id: t.name for t in teams(session, actor)}
    loads = {}
    for user in users:
        profile = profiles.get(user.username)
        team = team_names.get(profile.team_id, "") if profile and profile.team_id else ""
        loads[user.username] = Load(user.username, team, profile.skill_set if profile else set())
    for order in session.scalars(
        select(ServiceOrder).where(ServiceOrder.technician.in_(names), ServiceOrder.state.in_(OPEN_STATES))
    ):
        loads[order.technician].open_orders.append(order.id)
    since = now - timedelta(days=WORKLOAD_DAYS)
    clock = select(LabourClock).where(LabourClock.technician.in_(names), LabourClock.started_at >= since)
    for entry in session.scalars(clock):
        load = loads[entry.technician]
        if entry.stopped_at is None:
            load.clocked_on = entry.order_id
        load.minutes += ((entry.stopped_at or now) - entry.started_at).total_seconds() / 60
    by_team: dict[str, Load] = defaultdict(lambda: Load(""))
    for load in loads.values():
        team = by_team[load.team]
        team.name = load.team
        team.open_orders += load.open_orders
        team.minutes += load.minutes
        team.skills |= load.skills
    return list(loads.values()), [by_team[name] for name in sorted(by_team)]
