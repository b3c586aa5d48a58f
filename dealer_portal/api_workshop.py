"""The REST API of the dealer's reminders and workshop teams (issue #21), for a call centre or a CRM that
works the reminder list, and for a rota tool that keeps teams: under `/api/dealer`, with the same
authentication, roles and dealer checks as api_aftersales and the pages (/reminders: admin and service
advisors; /workshop: the same). Another dealer's record answers 404, a role without the area 403."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dealer_portal.api_aftersales import _actor, _answers
from dealer_portal.messages import localize
from dealer_portal.records import reminders
from dealer_portal.records import technicians as crew
from gateway.api.context import ApiContext, api_context, current_user, get_db
from gateway.api.errors import ERROR_RESPONSES
from gateway.db.models import User

router = APIRouter(prefix="/api/dealer", tags=["dealer reminders and workshop"], responses=ERROR_RESPONSES)
Db = Annotated[Session, Depends(get_db)]
Caller = Annotated[User, Depends(current_user)]
Api = Annotated[ApiContext, Depends(api_context)]
DueKey = Field(min_length=1, max_length=200, description="the due occurrence's key, from GET /reminders")


class DueOut(BaseModel):
    key: str = Field(description="what to send or mark, e.g. `inspection:12:2026-04-01` or `last:7`")
    kind: Literal[tuple(reminders.KIND_LABELS)] = Field(description="service, inspection or insurance")
    dealer_code: str
    customer_id: int
    customer_name: str
    vehicle_id: str
    due_date: date | None
    due_km: float | None
    what: str = Field(description="what is due, in English")
    state: Literal[tuple(reminders.STATES)] = Field(
        description="ready: can be sent; no_consent or no_email: cannot be e-mailed"
    )


class SentOut(BaseModel):
    id: int
    key: str
    dealer_code: str
    customer_id: int
    vehicle_id: str
    what: str
    email: str = Field(description="empty when handled without e-mail")
    at: datetime
    by: str
    delivery: Literal[tuple(reminders.DELIVERY_LABELS)] = Field(
        description="pending, sent or failed (the e-mail), or done (handled without e-mail)"
    )


class Reminders(BaseModel):
    due: list[DueOut]
    sent: list[SentOut]


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = DueKey


class DoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = DueKey
    note: str = Field(min_length=1, max_length=reminders.MAX_NOTE, description="how it was handled")


def _sent(row) -> SentOut:
    reminder, _customer, status = row
    return SentOut(
        id=reminder.id,
        key=reminder.due_key,
        dealer_code=reminder.dealer_code,
        customer_id=reminder.customer_id,
        vehicle_id=reminder.vehicle_id,
        what=reminder.reason,
        email=reminder.email,
        at=reminder.sent_at,
        by=reminder.sent_by,
        delivery=status,
    )


@router.get("/reminders", response_model=Reminders)
def list_reminders(user: Caller, db: Db, api: Api):
    """Services, annual inspections and insurance renewals due and not yet reminded, and the reminders
    sent or handled (newest first, at most 200)."""
    actor = _actor(user)
    with _answers():
        due = [
            DueOut(
                key=d.key,
                kind=d.kind,
                dealer_code=d.customer.dealer_code,
                customer_id=d.customer.id,
                customer_name=d.customer.name,
                vehicle_id=d.vehicle.vehicle_id,
                due_date=d.due_date,
                due_km=d.due_km,
                what=localize(d.why),
                state=d.state,
            )
            for d in reminders.due(db, actor, api.clock())
        ]
        return Reminders(due=due, sent=[_sent(r) for r in reminders.sent(db, actor)])


def _one(db: Session, user: User, reminder_id: int) -> SentOut:
    return next(_sent(r) for r in reminders.sent(db, _actor(user)) if r[0].id == reminder_id)


@router.post("/reminders/send", response_model=SentOut)
def send_reminder(body: SendIn, user: Caller, db: Db, api: Api):
    """Queue the reminder e-mail for the notification worker (422: no consent or no address)."""
    with _answers():
        made = reminders.send(db, _actor(user), body.key, api.clock())
        db.commit()
        return _one(db, user, made.id)


@router.post("/reminders/done", response_model=SentOut)
def mark_reminder_done(body: DoneIn, user: Caller, db: Db, api: Api):
    """Mark a due occurrence as handled without e-mail (e.g. the customer was called)."""
    with _answers():
        made = reminders.done(db, _actor(user), body.key, body.note, api.clock())
        db.commit()
        return _one(db, user, made.id)


class MemberOut(BaseModel):
    username: str
    dealer_code: str
    team_id: int | None
    skills: list[str]


class TeamOut(BaseModel):
    id: int
    dealer_code: str
    name: str
    members: list[str] = Field(description="usernames of the team's technicians")


class Teams(BaseModel):
    teams: list[TeamOut]
    technicians: list[MemberOut]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team_id: int | None = Field(ge=1, le=2**63 - 1, description="the team; null takes them out of any team")


def _teams(db: Session, user: User) -> Teams:
    actor = _actor(user)
    people = [
        MemberOut(
            username=u.username,
            dealer_code=u.dealer_code,
            team_id=p.team_id if p else None,
            skills=sorted(p.skill_set) if p else [],
        )
        for u, p in crew.members(db, actor)
    ]
    teams = [
        TeamOut(
            id=t.id,
            dealer_code=t.dealer_code,
            name=t.name,
            members=[m.username for m in people if m.team_id == t.id],
        )
        for t in crew.teams(db, actor)
    ]
    return Teams(teams=teams, technicians=people)


@router.get("/teams", response_model=Teams)
def list_teams(user: Caller, db: Db):
    """The workshop's teams with their members, and every technician with team and skills."""
    with _answers():
        return _teams(db, user)


@router.put("/technicians/{username}/team", response_model=MemberOut)
def assign_technician(
    username: Annotated[str, Path(max_length=64, description="the technician's username")],
    body: AssignIn,
    user: Caller,
    db: Db,
    api: Api,
):
    """Put a technician of the dealer into one of the dealer's teams (404: another dealer's)."""
    with _answers():
        profile = crew.assign_team(db, _actor(user), username, body.team_id, api.clock())
        db.commit()
        return next(m for m in _teams(db, user).technicians if m.username == profile.username)
