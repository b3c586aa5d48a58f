"""The administrator's records: users (with a password reset that shows a temporary password once),
dealers, maintenance rules (the gateway's rule validation) and dead letters (inspect, replay after a
fix, discard). Every function requires the 'admin' area and writes an audit entry."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from dealer_portal.forms import FieldError, validation_field_errors
from dealer_portal.messages import AUDIT_TEMPORARY_PASSWORD, N_, Text
from dealer_portal.records import audit
from dealer_portal.records.actor import ROLES, Actor, NotFound
from dms.contract import ContractError, decode_all
from dms.errors import AlreadyExists, UserError
from gateway.auth import create_user, hash_password
from gateway.db.models import DeadLetter, Dealer, MaintenanceRule, User, Vehicle
from gateway.registry import RuleFields, RuleIn, create_rule, update_rule

DEALER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
DEALER_ROLES = ("service_advisor", "technician")  # these belong to a dealer

BAD_ROLE = N_("Role: choose one of the offered roles")
UNKNOWN_DEALER = N_("Dealer: choose one of the registered dealers")
NEEDS_DEALER = N_("Dealer: a service advisor or technician belongs to a dealer")
NOT_YOURSELF = N_("You cannot take away your own administrator access; ask another administrator")
BAD_DEALER_CODE = N_("Code: 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit")
NEEDS_NAME = N_("Name: fill this in")
DEALER_TAKEN = N_("Code: dealer {code} already exists")
CANNOT_REPLAY_TRUNCATED = N_(
    "Only the first {kept} of {size} bytes of this message were kept: it cannot be replayed. Discard it."
)
STILL_REFUSED = N_("Still refused ({reason}): {detail}")
STILL_UNKNOWN = N_("Still refused: vehicle {vehicle} is not registered. Register it first, then replay.")


def temporary_password() -> str:
    """Shown once to the administrator, who passes it on; 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


# -- users ------------------------------------------------------------------------------------------


def user_query(actor: Actor, *, q: str = "", role: str = "") -> Select:
    actor.require("admin")
    found = select(User).order_by(User.username)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        found = found.where(
            or_(func.lower(User.username).like(like), func.lower(User.dealer_code).like(like))
        )
    if role in ROLES:
        found = found.where(User.role == role)
    return found


def get_user(db: Session, actor: Actor, user_id: int) -> User:
    actor.require("admin")
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(Text(N_("no user {id}"), id=user_id))
    return user


def _check_role_and_dealer(db: Session, role: str, dealer_code: str | None) -> None:
    if role not in ROLES:
        raise FieldError({"role": BAD_ROLE})
    if dealer_code is not None and db.get(Dealer, dealer_code) is None:
        raise FieldError({"dealer_code": UNKNOWN_DEALER})
    if role in DEALER_ROLES and dealer_code is None:
        raise FieldError({"dealer_code": NEEDS_DEALER})


def add_user(
    db: Session,
    actor: Actor,
    *,
    username: str,
    role: str,
    dealer_code: str | None,
    now: datetime,
    rounds: int = 12,
) -> tuple[User, str]:
    """A new user with a temporary password (returned, to be shown once; only its bcrypt hash is kept)."""
    actor.require("admin")
    _check_role_and_dealer(db, role, dealer_code)
    password = temporary_password()
    try:
        user = create_user(db, username, password, role, dealer_code=dealer_code, now=now, rounds=rounds)
    except AlreadyExists as exc:
        raise FieldError({"username": str(exc)}) from None
    except UserError as exc:
        raise FieldError({"username": str(exc)}) from None
    audit.record(db, actor, now, "admin:user_added", "user", user.username, f"{role} {dealer_code or ''}")
    return user, password


def change_user(
    db: Session, actor: Actor, user_id: int, *, role: str, dealer_code: str | None, now: datetime
) -> User:
    user = get_user(db, actor, user_id)
    _check_role_and_dealer(db, role, dealer_code)
    if user.username == actor.username and role != "admin":
        raise UserError(NOT_YOURSELF)
    before = f"{user.role} {user.dealer_code or '-'}"
    user.role, user.dealer_code = role, dealer_code
    audit.record(
        db,
        actor,
        now,
        "admin:user_changed",
        "user",
        user.username,
        f"{before} -> {role} {dealer_code or '-'}",
    )
    return user


def set_user_active(db: Session, actor: Actor, user_id: int, active: bool, now: datetime) -> User:
    """Disable (the user's session ends at their next request: the portal re-reads the user) or enable."""
    user = get_user(db, actor, user_id)
    if user.username == actor.username and not active:
        raise UserError(NOT_YOURSELF)
    user.active = active
    audit.record(db, actor, now, "admin:user_" + ("enabled" if active else "disabled"), "user", user.username)
    return user


def reset_password(
    db: Session, actor: Actor, user_id: int, now: datetime, *, rounds: int = 12
) -> tuple[User, str]:
    """A new temporary password for the user (the old one stops working); returned to be shown once."""
    user = get_user(db, actor, user_id)
    password = temporary_password()
    user.password_hash = hash_password(password, rounds=rounds)
    audit.record(db, actor, now, "admin:password_reset", "user", user.username, AUDIT_TEMPORARY_PASSWORD)
    return user, password


# -- dealers ----------------------------------------------------------------------------------------


def dealers(db: Session, actor: Actor) -> list[tuple[Dealer, int, int]]:
    """Every dealer with its number of users and vehicles."""
    actor.require("admin")
    users = dict(db.execute(select(User.dealer_code, func.count()).group_by(User.dealer_code)).all())
    vehicles = dict(db.execute(select(Vehicle.dealer_code, func.count()).group_by(Vehicle.dealer_code)).all())
    return [
        (d, users.get(d.code, 0), vehicles.get(d.code, 0))
        for d in db.scalars(select(Dealer).order_by(Dealer.code))
    ]


def add_dealer(db: Session, actor: Actor, *, code: str, name: str, now: datetime) -> Dealer:
    actor.require("admin")
    code, name = code.strip(), name.strip()
    errors = {}
    if not DEALER_CODE.fullmatch(code):
        errors["dealer_code"] = BAD_DEALER_CODE
    elif db.get(Dealer, code) is not None:
        errors["dealer_code"] = Text(DEALER_TAKEN, code=code)
    if not name:
        errors["name"] = NEEDS_NAME
    if errors:
        raise FieldError(errors)
    dealer = Dealer(code=code, name=name)
    db.add(dealer)
    db.flush()
    audit.record(db, actor, now, "admin:dealer_added", "dealer", code, name, dealer_code=code)
    return dealer


def rename_dealer(db: Session, actor: Actor, code: str, *, name: str, now: datetime) -> Dealer:
    actor.require("admin")
    dealer = db.get(Dealer, code)
    if dealer is None:
        raise NotFound(Text(N_("no dealer {code}"), code=repr(code)))
    if not name.strip():
        raise FieldError({"name": NEEDS_NAME})
    before, dealer.name = dealer.name, name.strip()
    audit.record(
        db, actor, now, "admin:dealer_renamed", "dealer", code, f"{before} -> {dealer.name}", dealer_code=code
    )
    return dealer


# -- maintenance rules ----------------------------------------------------------------------------

RULE_FIELDS = ("name", "model", "vehicle_id", "type", "start", "period", "lead")


def rules(db: Session, actor: Actor) -> list[MaintenanceRule]:
    actor.require("admin")
    return list(
        db.scalars(select(MaintenanceRule).order_by(MaintenanceRule.active.desc(), MaintenanceRule.id))
    )


def get_rule(db: Session, actor: Actor, rule_id: int) -> MaintenanceRule:
    actor.require("admin")
    rule = db.get(MaintenanceRule, rule_id)
    if rule is None:
        raise NotFound(Text(N_("no maintenance rule {id}"), id=rule_id))
    return rule


def _rule_data(values: dict[str, object]) -> dict[str, object]:
    """Form values as the gateway's rule model takes them: empty texts are 'not given'."""
    return {k: v for k, v in values.items() if k in RULE_FIELDS and v not in ("", None)}


def _validated(model, data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problem = validation_field_errors(exc)
        # the rule's own cross-field check (a months rule's limits) is about its numbers
        if "" in problem.errors:
            problem.errors["period"] = problem.errors.pop("")
        raise FieldError(problem.errors) from None


def add_rule(db: Session, actor: Actor, values: dict[str, object], now: datetime) -> MaintenanceRule:
    actor.require("admin")
    rule = create_rule(db, _validated(RuleIn, _rule_data(values)), now=now)
    audit.record(db, actor, now, "admin:rule_added", "maintenance_rule", rule.id, _describe(rule))
    return rule


def change_rule(
    db: Session, actor: Actor, rule_id: int, values: dict[str, object], now: datetime
) -> MaintenanceRule:
    """The edit form sends the whole rule: checked as a new one would be (limits by type), then saved;
    naming a vehicle clears the model and the other way round."""
    rule = get_rule(db, actor, rule_id)
    full = _validated(RuleIn, _rule_data(values))
    update_rule(db, rule, RuleFields(**full.model_dump(exclude={"active"})), now=now)
    audit.record(db, actor, now, "admin:rule_changed", "maintenance_rule", rule.id, _describe(rule))
    return rule


def set_rule_active(db: Session, actor: Actor, rule_id: int, active: bool, now: datetime) -> MaintenanceRule:
    rule = get_rule(db, actor, rule_id)
    update_rule(db, rule, RuleFields(active=active), now=now)
    audit.record(
        db, actor, now, "admin:rule_" + ("enabled" if active else "disabled"), "maintenance_rule", rule.id
    )
    return rule


def _describe(rule: MaintenanceRule) -> str:
    target = f"vehicle {rule.vehicle_id}" if rule.vehicle_id else f"model {rule.model}"
    return f"{rule.name}: {rule.type} start {rule.start:g} every {rule.period:g} lead {rule.lead:g}, {target}"


# -- dead letters ----------------------------------------------------------------------------------


def dead_letter_query(actor: Actor, *, reason: str = "", q: str = "") -> Select:
    actor.require("admin")
    found = select(DeadLetter).order_by(DeadLetter.id.desc())
    if reason:
        found = found.where(DeadLetter.reason == reason)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        found = found.where(
            or_(func.lower(DeadLetter.topic).like(like), func.lower(DeadLetter.detail).like(like))
        )
    return found


def dead_letter_reasons(db: Session, actor: Actor) -> list[tuple[str, int]]:
    actor.require("admin")
    return list(
        db.execute(
            select(DeadLetter.reason, func.count()).group_by(DeadLetter.reason).order_by(DeadLetter.reason)
        ).all()
    )


def get_dead_letter(db: Session, actor: Actor, letter_id: int) -> DeadLetter:
    actor.require("admin")
    letter = db.get(DeadLetter, letter_id)
    if letter is None:
        raise NotFound(Text(N_("no dead letter {id}"), id=letter_id))
    return letter


def payload_text(letter: DeadLetter) -> tuple[str, bool]:
    """The payload as text when it is UTF-8 (JSON), else as hex; and whether it was text."""
    try:
        return bytes(letter.payload).decode("utf-8"), True
    except UnicodeDecodeError:
        return bytes(letter.payload).hex(" "), False


def replay(
    db: Session,
    actor: Actor,
    letter_id: int,
    apply: Callable[[list[tuple[str, bytes]]], object],
    now: datetime,
    *,
    auto_register: bool = False,
) -> object:
    """Give a dead letter to the gateway's ingest again, after the cause was fixed (a vehicle
    registered, ...). Checked first with the same contract, so a message still refused stays where it
    is with the reason; applied by the gateway's own ingest (`apply`, its own transaction), the dead
    letter is then removed. Returns the ingest's result."""
    letter = get_dead_letter(db, actor, letter_id)
    payload = bytes(letter.payload)
    if letter.payload_size > len(payload):
        raise UserError(Text(CANNOT_REPLAY_TRUNCATED, kept=len(payload), size=letter.payload_size))
    try:
        messages = decode_all(letter.topic, payload)
    except ContractError as exc:
        raise UserError(Text(STILL_REFUSED, reason=exc.reason, detail=exc.detail)) from None
    if not auto_register:
        for vehicle_id in sorted({m.vehicle_id for m in messages}):
            if db.get(Vehicle, vehicle_id) is None:
                raise UserError(Text(STILL_UNKNOWN, vehicle=vehicle_id))
    db.commit()  # end this session's transaction: the ingest writes in its own (SQLite: one writer)
    result = apply([(letter.topic, payload)])
    letter = get_dead_letter(db, actor, letter_id)
    db.delete(letter)
    audit.record(
        db, actor, now, "admin:dead_letter_replayed", "dead_letter", letter_id, f"{letter.topic}: {result}"
    )
    return result


def discard(db: Session, actor: Actor, letter_id: int, now: datetime) -> None:
    letter = get_dead_letter(db, actor, letter_id)
    audit.record(
        db,
        actor,
        now,
        "admin:dead_letter_discarded",
        "dead_letter",
        letter_id,
        f"{letter.reason} {letter.topic}",
    )
    db.delete(letter)
