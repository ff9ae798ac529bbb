"""lobby counts: customer numbers hashed and masked, idempotent answers

Card and account numbers already stored in clear (``tickets.customer_id``,
``lobby_transactions.customer_id``, ``customer_flags.customer_id``) become their keyed
hash (HMAC-SHA256 under ``lobby.customer_key``); tickets keep the masked form in the new
``customer_mask`` for display. ``idempotent_answers`` keeps the answers to requests sent
with an ``Idempotency-Key``. Downgrading drops the new column and table; the numbers stay
hashed (the clear numbers are gone for good, which is the point).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smartcounter.lobby.customers import customer_hash, is_hash, mask
from smartcounter.settings import load_settings

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key() -> str:
    # ``migrate`` passes the running service's key; the ``alembic`` command reads settings.
    config = op.get_context().config
    given = config.attributes.get("customer_key") if config is not None else None
    return str(given) if given else load_settings().lobby.customer_key


def _hash_column(table: str, key_column: str, key: str, *, with_mask: bool = False) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(f"SELECT {key_column}, customer_id FROM {table} WHERE customer_id IS NOT NULL")
    ).all()
    for row_key, number in rows:
        if is_hash(number):
            continue
        values = {"h": customer_hash(key, number), "k": row_key}
        if with_mask:
            values["m"] = mask(number)
            statement = f"UPDATE {table} SET customer_id = :h, customer_mask = :m"
        else:
            statement = f"UPDATE {table} SET customer_id = :h"
        connection.execute(sa.text(f"{statement} WHERE {key_column} = :k"), values)


def _hash_flags(key: str) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT customer_id FROM customer_flags")).all()
    for (number,) in rows:
        if is_hash(number):
            continue
        hashed = customer_hash(key, number)
        # Two spellings of one number ("6222 0000…" and "62220000…") share a hash: keep one.
        connection.execute(
            sa.text("DELETE FROM customer_flags WHERE customer_id = :h"), {"h": hashed}
        )
        connection.execute(
            sa.text("UPDATE customer_flags SET customer_id = :h WHERE customer_id = :n"),
            {"h": hashed, "n": number},
        )


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("customer_mask", sa.String(32), nullable=True))
    op.create_table(
        "idempotent_answers",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotent_answers")),
    )
    op.create_index(op.f("ix_idempotent_answers_created_at"), "idempotent_answers", ["created_at"])
    key = _key()
    _hash_column("tickets", "id", key, with_mask=True)
    _hash_column("lobby_transactions", "id", key)
    _hash_flags(key)


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotent_answers_created_at"), table_name="idempotent_answers")
    op.drop_table("idempotent_answers")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("customer_mask")
