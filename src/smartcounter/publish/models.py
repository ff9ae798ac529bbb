"""The delivery log: one row per attempt to send one edition of one week to one recipient."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from smartcounter.database import ID_LENGTH, Base

WEEK_LENGTH = 10  # "2018-W13", with room to spare
ADDRESS_LENGTH = 320  # the longest e-mail address RFC 3696 allows


class Edition(StrEnum):
    """What was sent: the draft for review, or the approved issue."""

    DRAFT = "draft"
    APPROVED = "approved"


class Channel(StrEnum):
    """How it was sent."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class Outcome(StrEnum):
    """Whether the server took it."""

    SENT = "sent"
    FAILED = "failed"


class Delivery(Base):
    """An attempt to deliver a week's edition: kept, sent or failed, so reruns send no copy twice."""

    __tablename__ = "publish_deliveries"
    __table_args__ = (sa.Index("ix_publish_deliveries_week_edition", "week", "edition"),)

    delivery_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    week: Mapped[str] = mapped_column(sa.String(WEEK_LENGTH))
    edition: Mapped[Edition]
    recipient: Mapped[str] = mapped_column(sa.String(ADDRESS_LENGTH))
    # The branch whose page went to the recipient; None for the whole bulletin.
    branch_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    channel: Mapped[Channel]
    message_id: Mapped[str | None] = mapped_column(sa.String(255))
    attachments: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime]  # naive UTC, as the database keeps time
    outcome: Mapped[Outcome]
    error: Mapped[str | None] = mapped_column(sa.Text)
