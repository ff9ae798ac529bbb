"""accounts security: failed-login counts, one account per member of staff

``login_throttle`` keeps recent failed logins per account name and per client address
(so a lockout holds across workers); ``uq_users_staff_id`` lets a member of staff have
one account only. Accounts that shared a staff id before keep it on the oldest account;
the others lose the link (an audit entry names each) and must be linked again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _unlink_shared_staff_ids() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, username, branch_id, staff_id FROM users WHERE staff_id IN"
            " (SELECT staff_id FROM users WHERE staff_id IS NOT NULL"
            "  GROUP BY staff_id HAVING COUNT(*) > 1)"
            " ORDER BY staff_id, id"
        )
    ).all()
    kept: set[str] = set()
    now = datetime.now(UTC).replace(tzinfo=None)
    for user_id, username, branch_id, staff_id in rows:
        if staff_id not in kept:
            kept.add(staff_id)
            continue
        connection.execute(
            sa.text("UPDATE users SET staff_id = NULL WHERE id = :id"), {"id": user_id}
        )
        connection.execute(
            sa.text(
                "INSERT INTO audit_log (ts, actor, user_id, branch_id, action, target, detail)"
                " VALUES (:ts, 'system:migration', NULL, :branch, 'user.staff_unlinked',"
                " :target, :detail)"
            ),
            {
                "ts": now,
                "branch": branch_id,
                "target": username,
                "detail": json.dumps({"staff_id": staff_id}, ensure_ascii=False),
            },
        )


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_login_throttle")),
    )
    _unlink_shared_staff_ids()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("uq_users_staff_id", ["staff_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("uq_users_staff_id")
    op.drop_table("login_throttle")
