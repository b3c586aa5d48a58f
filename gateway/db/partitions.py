"""Monthly range partitions of the status history (`status_samples`) on PostgreSQL.

Revision gw0004 turns the table into `PARTITION BY RANGE (ts)` with one partition per UTC month
(`status_samples_pYYYY_MM`) and a default partition for rows of a month that has none (a device clock far
off, or history older than the conversion). The gateway creates the coming months at start and in its
periodic job (`ensure_months`); with `status_retention_months` set it drops whole months that are older
(`drop_months_before`), which costs a catalog change instead of a DELETE of millions of rows.

A partitioned table's primary key must contain the partition column: it is (id, ts). `id` still comes
from one sequence, so it stays unique by itself; the msg_id de-duplication is `processed_messages`' key,
not this table's. SQLite keeps one plain table: every function here does nothing there.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Connection, text

TABLE = "status_samples"
DEFAULT_PARTITION = f"{TABLE}_default"
_MONTH_NAME = re.compile(rf"^{TABLE}_p(\d{{4}})_(\d{{2}})$")
LOCK_ID = 604_2027  # advisory lock: gateways starting together create a month once


def month_start(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return datetime(t.year, t.month, 1, tzinfo=UTC)


def add_months(month: datetime, n: int) -> datetime:
    index = month.year * 12 + month.month - 1 + n
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def month_name(month: datetime) -> str:
    return f"{TABLE}_p{month:%Y_%m}"


def is_partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": TABLE})
    return kind == "p"


def children(conn: Connection) -> list[str]:
    """Names of the table's partitions (default included)."""
    return list(
        conn.scalars(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(:t)"
            ),
            {"t": TABLE},
        )
    )


def months(conn: Connection) -> list[datetime]:
    """The months that have a partition, oldest first."""
    found = [m for m in (_MONTH_NAME.match(n) for n in children(conn)) if m]
    return sorted(datetime(int(m[1]), int(m[2]), 1, tzinfo=UTC) for m in found)


def create_month(conn: Connection, month: datetime) -> str:
    """Attach the partition of `month`, moving its rows out of the default partition first (attaching
    scans the default partition for rows of that range and refuses when there are any)."""
    name, upper = month_name(month), add_months(month, 1)
    conn.execute(text(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE ts >= :lo AND ts < :hi "
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        ),
        {"lo": month, "hi": upper},
    )
    conn.execute(
        text(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{upper.isoformat()}')"
        )
    )
    return name


def ensure_months(conn: Connection, now: datetime, ahead: int) -> list[str]:
    """Create the partitions of this month and the `ahead` following ones that are missing (in the
    caller's transaction); the names created."""
    if not is_partitioned(conn):
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    have = set(months(conn))
    first = month_start(now)
    return [create_month(conn, m) for m in (add_months(first, i) for i in range(ahead + 1)) if m not in have]


def drop_months_before(conn: Connection, cutoff: datetime) -> list[str]:
    """Drop the partitions that end at or before the month of `cutoff`, and the default partition's
    rows older than that month; the names dropped."""
    if not is_partitioned(conn):
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    limit = month_start(cutoff)
    dropped = []
    for month in months(conn):
        if add_months(month, 1) <= limit:
            conn.execute(text(f"ALTER TABLE {TABLE} DETACH PARTITION {month_name(month)}"))
            conn.execute(text(f"DROP TABLE {month_name(month)}"))
            dropped.append(month_name(month))
    conn.execute(text(f"DELETE FROM {DEFAULT_PARTITION} WHERE ts < :limit"), {"limit": limit})
    return dropped
