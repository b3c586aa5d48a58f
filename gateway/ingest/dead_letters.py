"""Rows for the dead-letter table: what was rejected, why, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

DETAIL_MAX_CHARS = 2000


@dataclass(frozen=True)
class Oversize:
    """What the gateway keeps of a payload over the contract's size limit, from the moment it arrives:
    its first bytes and its size. Queued and handed to ingest workers whole, fifty 10 MB payloads
    took a gateway to 936 MB."""

    head: bytes
    size: int


class Retained(bytes):
    """A payload the broker sent from its retained store (MQTT retain flag, a vehicle's presence): the
    same message comes again at every subscription, each reconnect and each gateway start."""


def as_received(payload: bytes, *, retained: bool, limit: int, keep_bytes: int) -> bytes | Oversize:
    """A payload as the receivers queue it (MQTT and JetStream alike): over `limit` only its first
    `keep_bytes` and its size are kept; one from the broker's retained store is marked as such."""
    if len(payload) > limit:
        return Oversize(bytes(payload[:keep_bytes]), len(payload))
    return Retained(payload) if retained else payload


def dead_letter_row(
    topic: str, payload: bytes | Oversize, reason: str, detail: str, *, now: datetime, max_bytes: int
) -> dict[str, Any]:
    head, size = (payload.head, payload.size) if isinstance(payload, Oversize) else (payload, len(payload))
    return {
        "topic": topic[:512],
        "payload": bytes(head[:max_bytes]),
        "payload_size": size,
        "reason": reason[:32],
        "detail": detail[:DETAIL_MAX_CHARS],
        "received_at": now,
    }


def is_retained(row: dict[str, Any], payload: bytes | Oversize) -> dict[str, Any]:
    """Marks a dead-letter row of a retained payload (the mark is removed before the row is stored)."""
    return {**row, "retained": True} if isinstance(payload, Retained) else row
