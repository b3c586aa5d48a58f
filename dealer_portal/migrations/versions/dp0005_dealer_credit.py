"""Dealer credit with the manufacturer (issue #22): dealer_credit holds each dealer's credit limit and
the share of it from which a vehicle order is confirmed with a warning. No row: no limit is checked.
Revises dp0004 here; re-chained at merge.

Revision ID: dp0005
Revises: dp0004
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'dp0005'
down_revision: str | Sequence[str] | None = 'dp0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dealer_credit',
    sa.Column('dealer_code', sa.String(length=32), nullable=False),
    sa.Column('limit_cents', sa.Integer(), nullable=False),
    sa.Column('warn_pct', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['dealer_code'], ['dealers.code'], name=op.f('fk_dealer_credit_dealer_code_dealers')),
    sa.PrimaryKeyConstraint('dealer_code', name=op.f('pk_dealer_credit'))
    )


def downgrade() -> None:
    op.drop_table('dealer_credit')
