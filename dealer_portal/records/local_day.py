"""Calendar days as the dealer counts them: in the reader's time zone (`i18n.current()`: the user's zone,
else the portal's `default_time_zone`), not UTC days. A vehicle that arrived at 07:00 in Shanghai
(23:00 UTC the day before) has stood one day at the next local midnight. The portal keeps no time zone
per dealer; a dealer's staff set theirs in the page header."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dealer_portal import i18n


def local_date(value: datetime, zone: ZoneInfo | None = None) -> date:
    """The calendar day of `value` (naive = UTC, as stored) in `zone` (default: the reader's)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(zone or i18n.current().tz).date()
