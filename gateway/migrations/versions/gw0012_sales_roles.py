"""Sales roles (issue 22): `users.role` also takes `salesperson` (sells: works their own leads, quotes
and orders in the dealer portal) and `sales_manager` (sees the dealer's whole sales desk, approves
discounts above the threshold). Only the CHECK constraint changes; no row is touched.

Downgrade: refused while a user holds one of the new roles (the old constraint would not hold); change
or remove those users first.

Revision ID: gw0012
Revises: gw0010 (the users.language/time_zone columns of issue 20 come first)
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "gw0012"
down_revision: str | Sequence[str] | None = "gw0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("admin", "dispatcher", "service_advisor", "technician")
NEW = (*OLD, "salesperson", "sales_manager")


def _check(roles: tuple[str, ...]) -> str:
    return f"role IN ({', '.join(repr(r) for r in roles)})"


def _replace(roles: tuple[str, ...]) -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role"), _check(roles))


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    held = op.get_bind().scalar(
        text("SELECT count(*) FROM users WHERE role IN ('salesperson', 'sales_manager')")
    )
    if held:
        raise RuntimeError(
            f"{held} user(s) hold the salesperson or sales_manager role; change their role before downgrading"
        )
    _replace(OLD)
