"""The lobby's days: which are still open, and the customers a close expires.

A closed day's visits are in the analytics store: a ticket issued for it afterwards would
be counted by nobody, so none is issued. Closing expires the customers still waiting and
names them, so that the director sees whom the close turned away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.errors import DayInFuture, DayWithoutData, TicketDayClosed
from smartcounter.lobby.models import ItemStatus, TicketStatus


@dataclass(frozen=True)
class ExpiredTicket:
    """A customer still waiting (or at a point) when the day was closed."""

    branch_id: str
    ticket_no: str
    visit_id: str
    status: TicketStatus
    customer_mask: str | None


def ensure_day_open(session: Session, branch_id: str, day: date) -> None:
    """Refuse a change to ``day`` once it is closed."""
    if repo.closure(session, branch_id, day) is not None:
        raise TicketDayClosed(day=day.isoformat(), branch_id=branch_id)


def ensure_closable(
    session: Session, ctx: LobbyContext, branch_ids: Sequence[str], day: date
) -> None:
    """Only today or a past day with tickets can be closed."""
    if day > ctx.today():
        raise DayInFuture(day=day.isoformat())
    if not any(repo.tickets_of_day(session, b, day, limit=1) for b in branch_ids):
        raise DayWithoutData(day=day.isoformat())


def expire_open_tickets(
    session: Session, branch_ids: Sequence[str], day: date
) -> list[ExpiredTicket]:
    """Expire the tickets of ``day`` and before still open, and say whose they were."""
    expired: list[ExpiredTicket] = []
    for branch_id in branch_ids:
        for ticket in repo.open_tickets_until(session, branch_id, day):
            expired.append(
                ExpiredTicket(
                    branch_id=branch_id,
                    ticket_no=ticket.ticket_no,
                    visit_id=ticket.visit_id,
                    status=ticket.status,
                    customer_mask=ticket.customer_mask,
                )
            )
            ticket.status = TicketStatus.EXPIRED
            ticket.point_id = None
            for item in repo.items_of(session, [ticket.id])[ticket.id]:
                if item.status is ItemStatus.PENDING:
                    item.status = ItemStatus.DROPPED
    session.flush()
    return expired
