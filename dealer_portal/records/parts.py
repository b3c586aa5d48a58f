"""Parts store of a dealer: catalogue, stock per bin, receiving, returns, issues, stock-taking, reorder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dealer_portal.messages import AUDIT_BIN_MOVE, N_, NOTE_COUNTED, NOTE_WORK_ORDER, Text
from dealer_portal.paging import Order
from dealer_portal.records import audit
from dealer_portal.records.actor import Actor, NotFound
from dealer_portal.records.tables import Part, StockLevel, StockMove
from dms.errors import UserError


def create_part(
    session: Session,
    actor: Actor,
    *,
    number: str,
    name: str,
    unit_cost_cents: int,
    unit_price_cents: int,
    reorder_point: int = 0,
    reorder_qty: int = 0,
    supplier: str = "",
    now: datetime,
    dealer_code: str | None = None,
) -> Part:
    actor.require("parts")
    dealer = actor.own_dealer(dealer_code)
    number, name = number.strip().upper(), name.strip()
    if not number or not name:
        raise UserError(Text(N_("a part needs a number and a name")))
    if reorder_point < 0 or reorder_qty < 0:
        raise UserError(Text(N_("reorder point and quantity cannot be negative")))
    if session.scalar(select(Part).where(Part.dealer_code == dealer, Part.number == number)) is not None:
        raise UserError(Text(N_("part {number} is already in the catalogue"), number=number))
    part = Part(
        dealer_code=dealer,
        number=number,
        name=name,
        unit_cost_cents=unit_cost_cents,
        unit_price_cents=unit_price_cents,
        reorder_point=reorder_point,
        reorder_qty=reorder_qty,
        supplier=supplier.strip(),
    )
    session.add(part)
    session.flush()
    audit.record(session, actor, now, "create", "part", part.id, f"{number} {name}", dealer_code=dealer)
    return part


def get_part(session: Session, actor: Actor, part_id: int) -> Part:
    part = session.get(Part, part_id)
    if part is None or not actor.sees_dealer(part.dealer_code):
        raise NotFound(Text(N_("no part {id}"), id=part_id))
    return part


def catalogue(session: Session, actor: Actor, text: str = "") -> list[Part]:
    actor.require("parts")
    query = select(Part).order_by(Part.number)
    if not actor.sees_all_dealers:
        query = query.where(Part.dealer_code == actor.dealer_code)
    if text.strip():
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(Part.number).like(like), func.lower(Part.name).like(like)))
    return list(session.scalars(query))


def _move(
    session: Session,
    actor: Actor,
    part: Part,
    bin_code: str,
    delta: float,
    kind: str,
    now: datetime,
    *,
    unit_cost_cents: int | None = None,
    order_id: int | None = None,
    note: str = "",
) -> StockMove:
    """The one place stock changes: a bin never goes below zero, and every change leaves a move."""
    bin_code = bin_code.strip().upper()
    if not bin_code:
        raise UserError(Text(N_("name the bin location (e.g. A-01-3)")))
    level = session.scalar(
        select(StockLevel).where(StockLevel.part_id == part.id, StockLevel.bin == bin_code)
    )
    if level is None:
        level = StockLevel(bin=bin_code, qty=0)
        part.stock.append(level)  # cascades into the session; keeps part.on_hand current
    if level.qty + delta < 0:
        raise UserError(
            Text(
                N_("bin {bin} holds {qty} of {part}; cannot take {take}"),
                bin=bin_code,
                qty=f"{level.qty:g}",
                part=part.number,
                take=f"{-delta:g}",
            )
        )
    level.qty += delta
    move = StockMove(
        part_id=part.id,
        bin=bin_code,
        delta=delta,
        kind=kind,
        unit_cost_cents=part.unit_cost_cents if unit_cost_cents is None else unit_cost_cents,
        order_id=order_id,
        note=note,
        at=now,
        by=actor.username,
    )
    session.add(move)
    audit.record(
        session,
        actor,
        now,
        kind,
        "part",
        part.id,
        AUDIT_BIN_MOVE.format(part=part.number, bin=bin_code, delta=f"{delta:+g}", note=note).strip(),
        dealer_code=part.dealer_code,
    )
    return move


def _positive(qty: float) -> float:
    if qty <= 0:
        raise UserError(Text(N_("the quantity must be positive")))
    return qty


def receive(
    session: Session,
    actor: Actor,
    part_id: int,
    bin_code: str,
    qty: float,
    now: datetime,
    unit_cost_cents: int | None = None,
    note: str = "",
) -> StockMove:
    """Goods received from the supplier into a bin (the latest cost becomes the part's cost)."""
    actor.require("parts")
    part = get_part(session, actor, part_id)
    if unit_cost_cents is not None:
        part.unit_cost_cents = unit_cost_cents
    return _move(session, actor, part, bin_code, _positive(qty), "receive", now, note=note)


def return_to_supplier(
    session: Session, actor: Actor, part_id: int, bin_code: str, qty: float, now: datetime, note: str = ""
) -> StockMove:
    actor.require("parts")
    part = get_part(session, actor, part_id)
    return _move(session, actor, part, bin_code, -_positive(qty), "return", now, note=note)


def transfer(
    session: Session, actor: Actor, part_id: int, from_bin: str, to_bin: str, qty: float, now: datetime
) -> tuple[StockMove, StockMove]:
    """Move stock from one bin location to another (two moves, so both bins' histories show it)."""
    actor.require("parts")
    if from_bin.strip().upper() == to_bin.strip().upper():
        raise UserError(Text(N_("choose two different bins")))
    part = get_part(session, actor, part_id)
    note = f"{from_bin.strip().upper()} -> {to_bin.strip().upper()}"
    return (
        _move(session, actor, part, from_bin, -_positive(qty), "transfer", now, note=note),
        _move(session, actor, part, to_bin, qty, "transfer", now, note=note),
    )


def issue(
    session: Session,
    actor: Actor,
    part: Part,
    qty: float,
    order_id: int | None,
    now: datetime,
    *,
    kind: str = "issue",
    note: str | None = None,
) -> list[StockMove]:
    """Take `qty` for a work order (or a counter sale: kind "sale"), from the fullest bins first; all
    or nothing."""
    _positive(qty)
    if part.on_hand < qty:
        raise UserError(
            Text(
                N_("only {on_hand} of {part} ({name}) in stock, {qty} needed"),
                on_hand=f"{part.on_hand:g}",
                part=part.number,
                name=part.name,
                qty=f"{qty:g}",
            )
        )
    moves, left = [], qty
    for level in sorted(part.stock, key=lambda lv: (-lv.qty, lv.bin)):
        take = min(level.qty, left)
        if take > 0:
            moves.append(
                _move(
                    session,
                    actor,
                    part,
                    level.bin,
                    -take,
                    kind,
                    now,
                    order_id=order_id,
                    note=NOTE_WORK_ORDER.format(id=order_id) if note is None else note,
                )
            )
            left -= take
        if left <= 0:
            break
    return moves


@dataclass(frozen=True)
class CountResult:
    part: Part
    bin: str
    book_qty: float
    counted_qty: float

    @property
    def difference(self) -> float:
        return self.counted_qty - self.book_qty


def count(
    session: Session,
    actor: Actor,
    part_id: int,
    bin_code: str,
    counted_qty: float,
    now: datetime,
    new_bin: bool = False,
) -> CountResult:
    """Stock-taking: set a bin to what was counted and keep the difference as a move. A bin the part
    was never in is counted only when the count says so (`new_bin`): a mistyped bin is not created."""
    actor.require("parts")
    if counted_qty < 0:
        raise UserError(Text(N_("a counted quantity cannot be negative")))
    part = get_part(session, actor, part_id)
    level = next((lv for lv in part.stock if lv.bin == bin_code.strip().upper()), None)
    if level is None and not new_bin:
        raise UserError(
            Text(
                N_(
                    "{part} has never been in bin {bin}: check the bin, or tick “new bin” to record stock found there"
                ),
                part=part.number,
                bin=bin_code.strip().upper() or "?",
            )
        )
    book = level.qty if level else 0.0
    result = CountResult(part, bin_code.strip().upper(), book, counted_qty)
    if result.difference:
        _move(
            session,
            actor,
            part,
            bin_code,
            result.difference,
            "count",
            now,
            note=NOTE_COUNTED.format(counted=f"{counted_qty:g}", book=f"{book:g}"),
        )
    return result


@dataclass(frozen=True)
class Suggestion:
    part: Part
    on_hand: float
    quantity: float

    @property
    def cost_cents(self) -> int:
        return round(self.quantity * self.part.unit_cost_cents)


def reorder_suggestions(session: Session, actor: Actor) -> list[Suggestion]:
    """Parts at or below their reorder point, topped up to reorder point + reorder quantity."""
    out = []
    for part in catalogue(session, actor):
        on_hand = part.on_hand
        if part.reorder_point > 0 and on_hand <= part.reorder_point:
            out.append(Suggestion(part, on_hand, part.reorder_point + max(part.reorder_qty, 1) - on_hand))
    return out


# How a list of parts to buy (the reorder suggestions, the purchase needs) can be sorted.
TO_BUY_ORDERS = {
    "part": Order(N_("part number"), lambda s: (s.part.number, s.part.id)),
    "supplier": Order(N_("supplier"), lambda s: ((s.part.supplier or "").casefold(), s.part.number)),
    "cost": Order(N_("highest cost"), lambda s: (s.cost_cents, s.part.number), descending=True),
}


def moves(session: Session, actor: Actor, limit: int = 50) -> list[StockMove]:
    actor.require("parts")
    query = select(StockMove).join(Part).order_by(StockMove.id.desc()).limit(limit)
    if not actor.sees_all_dealers:
        query = query.where(Part.dealer_code == actor.dealer_code)
    return list(session.scalars(query))
