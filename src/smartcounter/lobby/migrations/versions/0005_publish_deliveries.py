"""publish deliveries

The delivery log of ``smartcounter publish``: each attempt to send a week's draft or
approved bulletin to one recipient (e-mail or group-chat robot), with its outcome, so
that a rerun sends nothing twice and retries what failed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 14:26:44.083448
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _choice(name: str, *values: str) -> sa.Enum:
    # As the models store a StrEnum: its value in a VARCHAR, no database enum type.
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "publish_deliveries",
        sa.Column("delivery_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("edition", _choice("edition", "draft", "approved"), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("channel", _choice("channel", "email", "webhook"), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("attachments", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("outcome", _choice("outcome", "sent", "failed"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_publish_deliveries")),
    )
    with op.batch_alter_table("publish_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_publish_deliveries_week_edition", ["week", "edition"])


def downgrade() -> None:
    with op.batch_alter_table("publish_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_publish_deliveries_week_edition")
    op.drop_table("publish_deliveries")
