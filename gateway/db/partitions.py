"""Range partitions by time of the history tables on PostgreSQL (declarative partitioning).

Two tables are partitioned `BY RANGE` on their time column, each with a default partition for rows of a
period that has none (a device clock far off):

| table            | period | kept                                  | partitions named           |
|------------------|--------|---------------------------------------|----------------------------|
| `status_samples` | day    | `raw_retention_days` (raw rows, 7)    | `status_samples_pYYYY_MM_DD` |
| `status_minutes` | month  | `history_retention_days` (a year)     | `status_minutes_pYYYY_MM`  |

The gateway creates the coming periods at start and in its periodic job (`ensure_ahead`) and drops the
partitions that end before the retention cutoff (`drop_before`): a catalog change instead of a DELETE of
millions of rows. Which ranges exist is read from the catalog (each partition's bound), not from names:
`status_samples` was partitioned by month before (revision gw0004) and those month partitions stay until
they age out; a day inside an existing range is not created again.

A partitioned table's primary key must contain the partition column: `status_samples` has (id, ts),
`status_minutes` (vehicle_id, minute). SQLite keeps plain tables: every function here does nothing there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, text

LOCK_ID = 604_2027  # advisory lock: gateways starting together create a period once


@dataclass(frozen=True)
class PartitionedTable:
    table: str
    column: str
    period: Literal["day", "month"]

    @property
    def default(self) -> str:
        return f"{self.table}_default"

    def start(self, t: datetime) -> datetime:
        """The start of the period holding `t` (UTC)."""
        t = t.astimezone(UTC)
        if self.period == "day":
            return datetime(t.year, t.month, t.day, tzinfo=UTC)
        return datetime(t.year, t.month, 1, tzinfo=UTC)

    def add(self, start: datetime, n: int) -> datetime:
        if self.period == "day":
            return start + timedelta(days=n)
        return add_months(start, n)

    def name(self, start: datetime) -> str:
        return f"{self.table}_p{start:%Y_%m_%d}" if self.period == "day" else f"{self.table}_p{start:%Y_%m}"


STATUS_SAMPLES = PartitionedTable("status_samples", "ts", "day")
STATUS_MINUTES = PartitionedTable("status_minutes", "minute", "month")
_BOUND = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


def month_start(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return datetime(t.year, t.month, 1, tzinfo=UTC)


def add_months(month: datetime, n: int) -> datetime:
    index = month.year * 12 + month.month - 1 + n
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def is_partitioned(conn: Connection, table: str) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table})
    return kind == "p"


def children(conn: Connection, table: str) -> list[str]:
    """Names of the table's partitions (default included)."""
    return list(
        conn.scalars(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(:t)"
            ),
            {"t": table},
        )
    )


def ranges(conn: Connection, table: str) -> list[tuple[str, datetime, datetime]]:
    """(name, from, to) of each range partition (not the default), oldest first, read from the catalog."""
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": table},
    ).all()
    out = []
    for name, bound in rows:
        found = _BOUND.search(bound or "")
        if found:
            lo, hi = (datetime.fromisoformat(v).astimezone(UTC) for v in found.groups())
            out.append((name, lo, hi))
    return sorted(out, key=lambda r: r[1])


def create_partition(conn: Connection, spec: PartitionedTable, start: datetime) -> str:
    """Attach the partition of the period starting at `start`, moving its rows out of the default
    partition first (attaching scans the default partition for rows of that range and refuses when there
    are any)."""
    name, upper = spec.name(start), spec.add(start, 1)
    conn.execute(text(f"CREATE TABLE {name} (LIKE {spec.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {spec.default} WHERE {spec.column} >= :lo AND {spec.column} < :hi "
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        ),
        {"lo": start, "hi": upper},
    )
    conn.execute(
        text(
            f"ALTER TABLE {spec.table} ATTACH PARTITION {name} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{upper.isoformat()}')"
        )
    )
    return name


def ensure_ahead(conn: Connection, spec: PartitionedTable, now: datetime, ahead: int) -> list[str]:
    """Create the partitions of the current period and the `ahead` following ones that no existing
    partition covers (in the caller's transaction); the names created."""
    if not is_partitioned(conn, spec.table):
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    have = [(lo, hi) for _, lo, hi in ranges(conn, spec.table)]
    created = []
    for start in (spec.add(spec.start(now), i) for i in range(ahead + 1)):
        end = spec.add(start, 1)
        if not any(lo < end and start < hi for lo, hi in have):
            created.append(create_partition(conn, spec, start))
            have.append((start, end))
    return created


def drop_before(conn: Connection, spec: PartitionedTable, cutoff: datetime) -> list[str]:
    """Drop the partitions that end at or before `cutoff`, and the default partition's rows older than
    it; the names dropped."""
    if not is_partitioned(conn, spec.table):
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    dropped = []
    for name, _, hi in ranges(conn, spec.table):
        if hi <= cutoff:
            conn.execute(text(f"ALTER TABLE {spec.table} DETACH PARTITION {name}"))
            conn.execute(text(f"DROP TABLE {name}"))
            dropped.append(name)
    conn.execute(text(f"DELETE FROM {spec.default} WHERE {spec.column} < :limit"), {"limit": cutoff})
    return dropped
