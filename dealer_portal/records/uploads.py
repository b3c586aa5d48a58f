"""An uploaded document checked once for every record that keeps files (vehicle papers, stock papers)."""

from __future__ import annotations

import re

from dealer_portal.messages import N_, Text
from dms.errors import UserError


def document_fields(title: str, filename: str, content_type: str, data: bytes, max_bytes: int) -> dict:
    """The stored columns of an upload (title, a file-system-safe name, type, size, data); refuses an empty
    file and one over `max_bytes`."""
    if not data:
        raise UserError(Text(N_("the uploaded file is empty")))
    if len(data) > max_bytes:
        raise UserError(Text(N_("documents are limited to {size} MB"), size=f"{max_bytes / (1024 * 1024):g}"))
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename)[-200:] or "document"
    return {
        "title": ((title or "").strip() or safe_name)[:120],
        "filename": safe_name,
        "content_type": content_type or "application/octet-stream",
        "size": len(data),
        "data": data,
    }
