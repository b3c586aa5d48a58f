"""status_samples: range-partitioned by month of ts on PostgreSQL (no-op on SQLite).

The rows are copied into the new partitioned table in this transaction (a full read and write of the
table: minutes per hundred million rows; ingest waits meanwhile). The primary key becomes (id, ts), as
PostgreSQL requires of a partitioned table; ids keep coming from the same sequence. Partitions: every
month that has rows, this month and the next MONTHS_AHEAD, and a default one (gateway/db/partitions.py).
A table partitioned by hand before this revision (deploy/SCALE_OUT.md once showed the SQL) is kept; its
month partitions are renamed to the names the gateway manages.

Revision ID: gw0004
Revises: gw0003
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import op
from sqlalchemy import text

from gateway.db import partitions as p

revision: str = "gw0004"
down_revision: str | Sequence[str] | None = "gw0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTHS_AHEAD = 3
# This revision made month partitions; the gateway makes day partitions of status_samples since gw0009.
MONTHLY = p.PartitionedTable("status_samples", "ts", "month")


def _swap(conn, old: str, *, partitioned: bool) -> None:
    """Rename the current table, its primary key and index to `old` names and create the new table
    (empty) under the real ones."""
    conn.execute(text(f"ALTER TABLE status_samples RENAME TO {old}"))
    conn.execute(text(f"ALTER TABLE {old} RENAME CONSTRAINT pk_status_samples TO pk_{old}"))
    conn.execute(text(f"ALTER INDEX ix_status_samples_vehicle_ts RENAME TO ix_{old}_vehicle_ts"))
    partition_by, key = ("PARTITION BY RANGE (ts)", "(id, ts)") if partitioned else ("", "(id)")
    conn.execute(text(f"CREATE TABLE status_samples (LIKE {old} INCLUDING DEFAULTS) {partition_by}"))
    conn.execute(text(f"ALTER TABLE status_samples ADD CONSTRAINT pk_status_samples PRIMARY KEY {key}"))
    conn.execute(text("ALTER TABLE status_samples ADD CONSTRAINT fk_status_samples_vehicle_id_vehicles "
                      "FOREIGN KEY (vehicle_id) REFERENCES vehicles (vehicle_id)"))
    conn.execute(text("CREATE INDEX ix_status_samples_vehicle_ts ON status_samples (vehicle_id, ts)"))


def _move_rows(conn, old: str) -> None:
    conn.execute(text(f"INSERT INTO status_samples SELECT * FROM {old}"))
    conn.execute(text("ALTER SEQUENCE status_samples_id_seq OWNED BY status_samples.id"))
    conn.execute(text(f"DROP TABLE {old}"))


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    if p.is_partitioned(conn, MONTHLY.table):
        for name in p.children(conn, MONTHLY.table):
            if re.fullmatch(r"status_samples_\d{4}_\d{2}", name):
                conn.execute(text(f"ALTER TABLE {name} RENAME TO {name.replace('samples_', 'samples_p', 1)}"))
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {MONTHLY.default} "
                          "PARTITION OF status_samples DEFAULT"))
        return
    old = "status_samples_unpartitioned"
    _swap(conn, old, partitioned=True)
    conn.execute(text(f"CREATE TABLE {MONTHLY.default} PARTITION OF status_samples DEFAULT"))
    with_rows = conn.scalars(text(f"SELECT DISTINCT date_trunc('month', ts AT TIME ZONE 'UTC') FROM {old}"))
    first = p.month_start(datetime.now(UTC))
    wanted = {m.replace(tzinfo=UTC) for m in with_rows}
    wanted |= {p.add_months(first, i) for i in range(MONTHS_AHEAD + 1)}
    for month in sorted(wanted):
        p.create_partition(conn, MONTHLY, month)
    _move_rows(conn, old)


def downgrade() -> None:
    conn = op.get_bind()
    if not p.is_partitioned(conn, MONTHLY.table):
        return
    old = "status_samples_partitioned"
    conn.execute(text("ALTER SEQUENCE status_samples_id_seq OWNED BY NONE"))  # else dropping `old` drops it
    _swap(conn, old, partitioned=False)
    _move_rows(conn, old)
