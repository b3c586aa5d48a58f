"""status_samples and odometer_log: no foreign key to vehicles.

Every status message inserts a row into each table, and each row's key check took a FOR KEY SHARE lock
on its vehicle's row: PostgreSQL spent 51-70 us per message with both keys, 27-30 us without (Ingestor
alone, 10,000 vehicles, batches of 2,000, three runs each). The check adds nothing for these rows:
ingest writes them only for vehicles it has just read from `vehicles` (others are dead-lettered), the
portal only for vehicles it shows, and vehicles are never deleted (retired or scrapped vehicles keep
their row and their history). `processed_messages` never had the key for the same reason;
`vehicle_live_status` (one row per vehicle) keeps it.

Revision ID: gw0006
Revises: gw0005
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "gw0006"
down_revision: str | Sequence[str] | None = "gw0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("status_samples", "odometer_log")


def upgrade() -> None:
    for table in TABLES:
        # batch: SQLite cannot drop a constraint in place (the table is copied); PostgreSQL alters it.
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_vehicle_id_vehicles", type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(f"fk_{table}_vehicle_id_vehicles", "vehicles", ["vehicle_id"], ["vehicle_id"])
