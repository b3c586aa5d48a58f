"""A year of history at a fraction of the size (issue 27): `status_minutes`, the status history per
vehicle and UTC minute, kept `history_retention_days`; raw `status_samples` kept a few days in day
partitions (PostgreSQL).

- `status_minutes` (PostgreSQL: partitioned by month of `minute`, a default partition and this month's
  partition here, the months ahead by the gateway) is filled from the raw rows already stored: one
  read of `status_samples` and a sort by vehicle and minute, in this transaction (on a large table plan
  a maintenance window, as for gw0004; rows of months without a partition land in the default one).
- `status_samples` (PostgreSQL): the empty month partitions made ahead of the current month are dropped,
  so the gateway can make day partitions from there on; month partitions holding rows stay until
  `raw_retention_days` passes their end. SQLite: nothing to change (rows are deleted by age).

Downgrade: `status_minutes` is dropped; day partitions of `status_samples` are merged into month
partitions again (what gw0004's gateway manages).

Revision ID: gw0009
Revises: gw0008
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from gateway.db import partitions as p

revision: str = "gw0009"
down_revision: str | Sequence[str] | None = "gw0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "vehicle_id, minute, samples, last_ts, driver_id, latitude, longitude, odometer_km, fuel_pct, "
    "engine_hours, speed_n, speed_mean_kmh, speed_max_kmh, battery_min_v"
)
MONTHLY_RAW = p.PartitionedTable("status_samples", "ts", "month")


def _last(column: str) -> str:
    return f"max(CASE WHEN rn = 1 THEN {column} END)"


def _backfill(conn) -> None:
    """One row per vehicle-minute of the raw rows: counts and extremes over the minute, the rest from
    its latest sample (window functions: PostgreSQL and SQLite alike)."""
    minute = (
        "date_trunc('minute', ts)"
        if conn.dialect.name == "postgresql"
        else "strftime('%Y-%m-%d %H:%M:00.000000', ts)"
    )
    conn.execute(
        text(
            f"INSERT INTO status_minutes ({COLUMNS}) "
            f"SELECT vehicle_id, m, count(*), max(ts), {_last('driver_id')}, {_last('latitude')}, "
            f"{_last('longitude')}, {_last('odometer_km')}, {_last('fuel_pct')}, {_last('engine_hours')}, "
            "count(speed_kmh), avg(speed_kmh), max(speed_kmh), min(battery_v) FROM ("
            f"SELECT s.*, {minute} AS m, row_number() OVER "
            f"(PARTITION BY vehicle_id, {minute} ORDER BY ts DESC, id DESC) AS rn FROM status_samples s"
            ") raw GROUP BY vehicle_id, m"
        )
    )


def upgrade() -> None:
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    columns = [
        sa.Column("vehicle_id", sa.String(64), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("driver_id", sa.String(64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("odometer_km", sa.Float(), nullable=True),
        sa.Column("fuel_pct", sa.Float(), nullable=True),
        sa.Column("engine_hours", sa.Float(), nullable=True),
        sa.Column("speed_n", sa.Integer(), nullable=False),
        sa.Column("speed_mean_kmh", sa.Float(), nullable=True),
        sa.Column("speed_max_kmh", sa.Float(), nullable=True),
        sa.Column("battery_min_v", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("vehicle_id", "minute", name="pk_status_minutes"),
    ]
    op.create_table("status_minutes", *columns, postgresql_partition_by="RANGE (minute)" if pg else None)
    if pg:
        spec = p.STATUS_MINUTES
        conn.execute(text(f"CREATE TABLE {spec.default} PARTITION OF {spec.table} DEFAULT"))
        p.create_partition(conn, spec, spec.start(datetime.now(UTC)))
        this_month = p.month_start(datetime.now(UTC))
        for name, lo, _ in p.ranges(conn, "status_samples"):
            if lo > this_month and conn.scalar(text(f"SELECT NOT EXISTS (SELECT 1 FROM {name})")):
                conn.execute(text(f"ALTER TABLE status_samples DETACH PARTITION {name}"))
                conn.execute(text(f"DROP TABLE {name}"))
    _backfill(conn)


def downgrade() -> None:
    conn = op.get_bind()
    op.drop_table("status_minutes")
    if not p.is_partitioned(conn, "status_samples"):
        return
    days = [(n, lo) for n, lo, hi in p.ranges(conn, "status_samples") if (hi - lo).days < 28]
    for month in sorted({p.month_start(lo) for _, lo in days}):
        mine = [n for n, lo in days if p.month_start(lo) == month]
        for name in mine:
            conn.execute(text(f"ALTER TABLE status_samples DETACH PARTITION {name}"))
        p.create_partition(conn, MONTHLY_RAW, month)
        for name in mine:
            conn.execute(text(f"INSERT INTO status_samples SELECT * FROM {name}"))
            conn.execute(text(f"DROP TABLE {name}"))
