"""pairs and director scores

The programme's saved pairs and the branch directors' quarterly scores, which earlier
versions kept in JSON files in the store folder (``programme/pairs.json``,
``scorecard/director_scores.json``; ``smartcounter.store_database`` brings those in).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 11:57:37.348893
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("end_week IS NULL")


def upgrade() -> None:
    op.create_table(
        "director_scores",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "score >= 0 AND score <= 100", name=op.f("ck_director_scores_score_range")
        ),
        sa.PrimaryKeyConstraint("staff_id", "quarter", name=op.f("pk_director_scores")),
    )
    op.create_table(
        "programme_pairs",
        sa.Column("pair_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("partner_branch_id", sa.String(length=64), nullable=False),
        sa.Column("start_week", sa.String(length=10), nullable=False),
        sa.Column("end_week", sa.String(length=10), nullable=True),
        sa.Column("similarity", sa.Double(), nullable=False),
        sa.Column("baseline_rate", sa.Double(), nullable=True),
        sa.Column("baseline_partner_rate", sa.Double(), nullable=True),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "end_week IS NULL OR end_week >= start_week",
            name=op.f("ck_programme_pairs_week_order"),
        ),
        sa.PrimaryKeyConstraint("pair_id", name=op.f("pk_programme_pairs")),
    )
    with op.batch_alter_table("programme_pairs", schema=None) as batch_op:
        batch_op.create_index(
            "uq_programme_pairs_open_branch_id",
            ["branch_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("programme_pairs", schema=None) as batch_op:
        batch_op.drop_index("uq_programme_pairs_open_branch_id")
    op.drop_table("programme_pairs")
    op.drop_table("director_scores")
