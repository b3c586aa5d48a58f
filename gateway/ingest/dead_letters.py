"""Rows for the dead-letter table: what was rejected, why, and when."""
from __future__ import annotations

from datetime import datetime
from typing import Any

DETAIL_MAX_CHARS = 2000


def dead_letter_row(topic: str, payload: bytes, reason: str, detail: str, *, now: datetime,
                    max_bytes: int) -> dict[str, Any]:
    return {"topic": topic[:512], "payload": bytes(payload[:max_bytes]), "payload_size": len(payload),
            "reason": reason[:32], "detail": detail[:DETAIL_MAX_CHARS], "received_at": now}
