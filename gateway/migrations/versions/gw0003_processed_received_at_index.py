"""processed_messages: an index on received_at, so that pruning old de-duplication keys is a range scan.

Revision ID: gw0003
Revises: gw0002
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "gw0003"
down_revision: str | Sequence[str] | None = "gw0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_processed_messages_received_at", "processed_messages", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_messages_received_at", table_name="processed_messages")
