"""idempotent answers: keyed request hashes only

Earlier versions kept a plain SHA-256 of each request sent with an ``Idempotency-Key``,
body and card number included, in ``idempotent_answers.request_hash``: beside the masked
number of the ticket it answered, trying the hidden digits gives the card number back.
The answers are only needed while a client may retry (minutes), so they are all deleted;
from now on the hash is keyed (HMAC-SHA256 under ``lobby.customer_key``) and answers are
kept a day at most. The schema is unchanged; downgrading changes nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM idempotent_answers"))


def downgrade() -> None:
    pass  # the deleted answers are gone for good, which is the point
