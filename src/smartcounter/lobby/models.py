"""Tables of the lobby service: branch set-up, tickets and their business, triage, serving."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from smartcounter.database import ID_LENGTH, Base
from smartcounter.organisation import Branch, Staff

__all__ = ["ID_LENGTH", "Branch", "Staff"]  # re-exported: lobby code names them from here


class QueueKind(StrEnum):
    """A queue, and the kind of service point that serves it."""

    TELLER = "teller"
    STM = "stm"
    WEALTH = "wealth"


class TerminalStatus(StrEnum):
    """How a service point is running; feeds routing and wait estimates."""

    OK = "ok"
    SLOW = "slow"
    DOWN = "down"


class TicketStatus(StrEnum):
    """Where a ticket is in its visit; WAITING again between legs (cash then non-cash)."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    EXPIRED = "expired"


OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)
AT_POINT_STATUSES = (TicketStatus.CALLED, TicketStatus.SERVING)


class ItemStatus(StrEnum):
    """One declared business of a ticket: still to do, done, or dropped with the ticket."""

    PENDING = "pending"
    DONE = "done"
    DROPPED = "dropped"


class TriageOutcome(StrEnum):
    """Did the customer agree to go to the smart counter."""

    ACCEPTED = "accepted"
    DECLINED = "declined"


class AuthorisationStatus(StrEnum):
    """A smart-counter step waiting for, or decided by, a specialist."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class OpeningHours(Base):
    """Opening hours of one weekday (0 Monday); no row means closed that day."""

    __tablename__ = "opening_hours"
    __table_args__ = (sa.UniqueConstraint("branch_id", "weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[str] = mapped_column(sa.ForeignKey("branches.branch_id", ondelete="CASCADE"))
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]


class Queue(Base):
    """A branch's queue of one kind and the prefix of its ticket numbers (A, B, V)."""

    __tablename__ = "queues"
    __table_args__ = (
        sa.UniqueConstraint("branch_id", "kind"),
        sa.UniqueConstraint("branch_id", "prefix"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[str] = mapped_column(sa.ForeignKey("branches.branch_id", ondelete="CASCADE"))
    kind: Mapped[QueueKind]
    prefix: Mapped[str] = mapped_column(sa.String(4))


class ServicePoint(Base):
    """A teller window, a smart-counter terminal or the wealth manager's desk."""

    __tablename__ = "service_points"
    __table_args__ = (sa.UniqueConstraint("branch_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[str] = mapped_column(sa.ForeignKey("branches.branch_id", ondelete="CASCADE"))
    kind: Mapped[QueueKind]
    code: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[TerminalStatus] = mapped_column(default=TerminalStatus.OK)
    active: Mapped[bool] = mapped_column(default=True)
    status_changed_at: Mapped[datetime | None]


class TicketCounter(Base):
    """The last number issued in a queue on a day; numbers restart every day."""

    __tablename__ = "ticket_counters"

    queue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    last_no: Mapped[int]


# A ticket's number is written with at least this many digits, zero-padded: A001 on the
# ticket, ...-stm-0001 in the visit id. (PostgreSQL writes them in the statement that
# takes the number: see ``repository.add_numbered_ticket``.)
TICKET_NO_DIGITS = 3
VISIT_NO_DIGITS = 4


def padded(number: int, digits: int) -> str:
    """``number`` with at least ``digits`` digits (7 → 007; 1234 stays 1234)."""
    return f"{number:0{digits}d}"


def visit_prefix(branch_id: str, day: date, queue: QueueKind) -> str:
    """A visit id without its number: branch, day and queue."""
    return f"{branch_id}-{day:%Y%m%d}-{queue.value}-"


class Ticket(Base):
    """A customer's visit, from taking a number to leaving (取号)."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.UniqueConstraint("queue_id", "day", "number"),
        sa.Index("ix_tickets_branch_day_status", "branch_id", "day", "status", "queue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH * 2), unique=True)
    branch_id: Mapped[str] = mapped_column(sa.ForeignKey("branches.branch_id", ondelete="CASCADE"))
    day: Mapped[date]
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queues.id"))
    number: Mapped[int]
    ticket_no: Mapped[str] = mapped_column(sa.String(16))
    queue: Mapped[QueueKind]
    status: Mapped[TicketStatus]
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_points.id"))
    # The card or account number as a keyed hash (links visits) and masked (for display);
    # the number itself is never stored.
    customer_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH), index=True)
    customer_mask: Mapped[str | None] = mapped_column(sa.String(32))
    age_band: Mapped[str | None] = mapped_column(sa.String(8))
    customer_tier: Mapped[str | None] = mapped_column(sa.String(16))
    has_mobile_banking: Mapped[bool | None]
    follow_up: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[datetime]
    issued_by: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    called_at: Mapped[datetime | None]
    last_called_at: Mapped[datetime | None]
    served_from: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    recalls: Mapped[int] = mapped_column(default=0)


class TicketItem(Base):
    """One business the customer came for, and the queue it is routed to."""

    __tablename__ = "ticket_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int]
    business_code: Mapped[str] = mapped_column(sa.String(64))
    route: Mapped[QueueKind]
    status: Mapped[ItemStatus] = mapped_column(default=ItemStatus.PENDING)
    reason: Mapped[str | None] = mapped_column(sa.String(32))


class TriageTouch(Base):
    """One triage round (分流): stage, staff, outcome and why a customer declined."""

    __tablename__ = "triage_touches"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[int]
    staff_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    ts: Mapped[datetime]
    outcome: Mapped[TriageOutcome]
    reason: Mapped[str | None] = mapped_column(sa.String(32))


class LobbyTransaction(Base):
    """A business done at a service point; becomes a row of ``transactions`` at close of day."""

    __tablename__ = "lobby_transactions"
    __table_args__ = (sa.Index("ix_lobby_transactions_branch_ts", "branch_id", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    txn_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH * 2 + 8), unique=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_items.id", ondelete="SET NULL")
    )
    branch_id: Mapped[str] = mapped_column(sa.ForeignKey("branches.branch_id", ondelete="CASCADE"))
    business_code: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(8))
    queue: Mapped[QueueKind]
    staff_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_points.id"))
    customer_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    ts: Mapped[datetime]
    duration_s: Mapped[float | None]
    reason: Mapped[str | None] = mapped_column(sa.String(32))


class Authorisation(Base):
    """A smart-counter step waiting for a specialist's authorisation (授权)."""

    __tablename__ = "authorisations"
    __table_args__ = (sa.Index("ix_authorisations_branch_status", "branch_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[str] = mapped_column(sa.ForeignKey("branches.branch_id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_items.id", ondelete="SET NULL")
    )
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_points.id"))
    business_code: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[AuthorisationStatus]
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))


class Referral(Base):
    """A customer referred to the wealth manager on the tablet's prompt (转介)."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[str] = mapped_column(sa.ForeignKey("branches.branch_id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(32))
    staff_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    created_at: Mapped[datetime]


class CustomerFlag(Base):
    """A customer who declined the smart counter: guide them again next visit (下次引导)."""

    __tablename__ = "customer_flags"

    customer_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    follow_up: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(sa.String(32))
    branch_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    updated_at: Mapped[datetime]


class LobbyEvent(Base):
    """Something changed in a branch's lobby; live pages poll these to refresh."""

    __tablename__ = "lobby_events"
    __table_args__ = (sa.Index("ix_lobby_events_branch_id_id", "branch_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    kind: Mapped[str] = mapped_column(sa.String(32))
    ticket_no: Mapped[str | None] = mapped_column(sa.String(16))
    point_code: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime]


class DayClosure(Base):
    """A branch's day exported to the analytics store (close of day)."""

    __tablename__ = "day_closures"
    __table_args__ = (sa.UniqueConstraint("branch_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[str] = mapped_column(sa.ForeignKey("branches.branch_id", ondelete="CASCADE"))
    day: Mapped[date]
    closed_at: Mapped[datetime]
    closed_by: Mapped[str | None] = mapped_column(sa.String(100))
    visits: Mapped[int]
    transactions: Mapped[int]
    triage: Mapped[int]
    migratable: Mapped[int]
    migrated: Mapped[int]


class IdempotentAnswer(Base):
    """The answer given to a request sent with an ``Idempotency-Key``, kept to replay it.

    Written in the transaction of the change it answers: a request whose change was
    committed has its answer here too, even if the server died before sending it.
    """

    __tablename__ = "idempotent_answers"

    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
