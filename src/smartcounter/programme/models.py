"""Tables of the programme: the saved pairs (结对子)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from smartcounter.lobby.database import Base
from smartcounter.lobby.models import ID_LENGTH

WEEK_LENGTH = 10  # "2018-W13", with room to spare

OPEN = sa.text("end_week IS NULL")


class ProgrammePair(Base):
    """A lagging branch helped by a partner from its start week until the centre ends it."""

    __tablename__ = "programme_pairs"
    __table_args__ = (
        # The database's own guard of the rule ``add_pairs`` checks, should two changes race:
        # a lagging branch has at most one pair that has not ended.
        sa.Index(
            "uq_programme_pairs_open_branch_id",
            "branch_id",
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        ),
        sa.CheckConstraint("end_week IS NULL OR end_week >= start_week", name="week_order"),
    )

    # Given, not generated: ids carried over from the JSON file stay what they were.
    pair_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    branch_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    partner_branch_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    start_week: Mapped[str] = mapped_column(sa.String(WEEK_LENGTH))
    end_week: Mapped[str | None] = mapped_column(sa.String(WEEK_LENGTH))
    similarity: Mapped[float]
    baseline_rate: Mapped[float | None]
    baseline_partner_rate: Mapped[float | None]
    why: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(sa.Text)
