"""Tables of the scorecards: the branch director's quarterly score of each staff member."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from smartcounter.lobby.database import Base
from smartcounter.lobby.models import ID_LENGTH


class StaffDirectorScore(Base):
    """One staff member's director score (0–100) for one quarter; a later entry replaces it."""

    __tablename__ = "director_scores"
    __table_args__ = (sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),)

    staff_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    quarter: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # "2018-Q1"
    score: Mapped[float]
    note: Mapped[str | None] = mapped_column(sa.Text)
    entered_at: Mapped[datetime]
