"""The organisation the service knows: branches and their staff.

Lobby and accounts both name branches and staff members (a login belongs to a branch and
to one member of its staff); their tables live here so that neither imports the other.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from smartcounter.database import ID_LENGTH, Base


class Branch(Base):
    """A branch as the lobby knows it; loaded from the store and editable."""

    __tablename__ = "branches"

    branch_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str | None] = mapped_column(sa.String(200))
    branch_type: Mapped[str] = mapped_column(sa.String(16))
    staff_count: Mapped[int | None]
    no_show_after: Mapped[int | None]
    created_at: Mapped[datetime]


class Staff(Base):
    """A member of staff, with their role and whether they are on duty today."""

    __tablename__ = "staff"

    staff_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    branch_id: Mapped[str] = mapped_column(
        sa.ForeignKey("branches.branch_id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(32))
    on_duty: Mapped[bool] = mapped_column(default=True)


def get_branch(session: Session, branch_id: str) -> Branch | None:
    """The branch ``branch_id``, or None."""
    return session.get(Branch, branch_id)


def get_staff(session: Session, staff_id: str) -> Staff | None:
    """The staff member ``staff_id``, or None."""
    return session.get(Staff, staff_id)
