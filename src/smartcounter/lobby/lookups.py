"""Lookups and small steps every lobby use case shares: find, check, log, requeue."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Actor, Permission
from smartcounter.canonical.catalogue import REASONS
from smartcounter.i18n import Lang, Term
from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.errors import (
    BranchNotFound,
    ServicePointNotFound,
    TicketAlreadyServed,
    TicketNotAtPoint,
    TicketNotFound,
    UnknownBusiness,
    UnknownReason,
)
from smartcounter.lobby.models import (
    AT_POINT_STATUSES,
    OPEN_STATUSES,
    Branch,
    ItemStatus,
    QueueKind,
    ServicePoint,
    Ticket,
    TicketItem,
    TicketStatus,
)


def find_branch(session: Session, actor: Actor, branch_id: str, permission: Permission) -> Branch:
    actor.require(permission, branch_id)
    branch = repo.get_branch(session, branch_id)
    if branch is None:
        raise BranchNotFound(branch_id=branch_id)
    return branch


def lock_ticket(session: Session, branch_id: str, ticket_id: int) -> Ticket:
    ticket = repo.get_ticket(session, branch_id, ticket_id, for_update=True)
    if ticket is None:
        raise TicketNotFound(ticket_id=ticket_id)
    return ticket


def find_point(session: Session, branch_id: str, point_id: int) -> ServicePoint:
    point = repo.get_point(session, branch_id, point_id)
    if point is None:
        raise ServicePointNotFound(point_id=point_id)
    return point


def check_reason(reason: str | None) -> None:
    if reason is not None and reason not in REASONS:
        raise UnknownReason(reason=reason)


def check_codes(ctx: LobbyContext, codes: Sequence[str]) -> None:
    for code in codes:
        if code not in ctx.catalogue:
            raise UnknownBusiness(code=code)


def business_term(ctx: LobbyContext, code: str) -> Term:
    """A business code for a message: shown by its catalogue name in the reader's language."""
    business = ctx.catalogue.get(code)
    names = {lang.value: business.name(lang.value) for lang in Lang} if business else None
    return Term(code, names=names)


def pending(items: Sequence[TicketItem]) -> list[TicketItem]:
    return [i for i in items if i.status is ItemStatus.PENDING]


def add_event(
    session: Session,
    ctx: LobbyContext,
    branch_id: str,
    kind: str,
    ticket: Ticket | None = None,
    point: ServicePoint | None = None,
) -> None:
    repo.add_event(
        session,
        branch_id=branch_id,
        kind=kind,
        at=ctx.now(),
        ticket_no=ticket.ticket_no if ticket else None,
        point_code=point.code if point else None,
    )


def add_audit(
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    action: str,
    branch_id: str,
    target: str | None = None,
    **detail: object,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=ctx.now(),
        branch_id=branch_id,
        target=target,
        detail=dict(detail) or None,
    )


def ensure_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise TicketAlreadyServed(ticket_no=ticket.ticket_no, status=ticket.status.value)


def at_point(session: Session, branch_id: str, ticket: Ticket) -> ServicePoint:
    ensure_open(ticket)
    if ticket.status not in AT_POINT_STATUSES or ticket.point_id is None:
        raise TicketNotAtPoint(ticket_no=ticket.ticket_no)
    return find_point(session, branch_id, ticket.point_id)


def requeue(ticket: Ticket, queue: QueueKind) -> None:
    # Back in line by the time the ticket was taken: a customer who already waited for
    # one leg is not sent to the end of the next queue.
    ticket.status = TicketStatus.WAITING
    ticket.queue = queue
    ticket.point_id = None
    ticket.served_from = None
    ticket.recalls = 0
