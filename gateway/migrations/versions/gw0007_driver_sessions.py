"""driver_events: the driver session each event belongs to (driver_session_id, issue 25), indexed per vehicle
so the vehicle page lists its sessions and their episodes. NULL for events of vehicles that do not send one.

Revision ID: gw0007
Revises: gw0006
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gw0007"
down_revision: str | Sequence[str] | None = "gw0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("driver_events") as batch_op:
        batch_op.add_column(sa.Column("driver_session_id", sa.String(64), nullable=True))
        batch_op.create_index("ix_driver_events_vehicle_session", ["vehicle_id", "driver_session_id"])


def downgrade() -> None:
    with op.batch_alter_table("driver_events") as batch_op:
        batch_op.drop_index("ix_driver_events_vehicle_session")
        batch_op.drop_column("driver_session_id")
