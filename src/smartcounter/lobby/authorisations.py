"""The specialist's authorisations of smart-counter steps, and terminal statuses."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartcounter.accounts.roles import Actor, Permission
from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.errors import (
    AuthorisationDecided,
    AuthorisationNotFound,
    BusinessNotOnTicket,
    TicketNotAtPoint,
    UnknownBusiness,
)
from smartcounter.lobby.lookups import (
    add_audit,
    add_event,
    at_point,
    business_term,
    find_branch,
    find_point,
    lock_ticket,
    pending,
)
from smartcounter.lobby.models import (
    Authorisation,
    AuthorisationStatus,
    ItemStatus,
    QueueKind,
    ServicePoint,
    TerminalStatus,
    Ticket,
    TicketItem,
)
from smartcounter.lobby.schemas import AuthorisationCreate

REJECTED_AUTHORISATION_REASON = "id_check"


def new_authorisation(
    session: Session, ctx: LobbyContext, ticket: Ticket, item: TicketItem, point: ServicePoint
) -> Authorisation:
    authorisation = Authorisation(
        branch_id=ticket.branch_id,
        ticket_id=ticket.id,
        item_id=item.id,
        point_id=point.id,
        business_code=item.business_code,
        status=AuthorisationStatus.PENDING,
        requested_at=ctx.now(),
    )
    session.add(authorisation)
    return authorisation


def request_authorisation(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    ticket_id: int,
    authorisation_in: AuthorisationCreate,
) -> Authorisation:
    """Put a smart-counter step in the specialist's authorisation queue."""
    find_branch(session, actor, branch_id, Permission.SERVE)
    ticket = lock_ticket(session, branch_id, ticket_id)
    point = at_point(session, branch_id, ticket)
    if point.kind is not QueueKind.STM:
        raise TicketNotAtPoint(ticket_no=ticket.ticket_no)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    match = [
        i
        for i in pending(items)
        if i.business_code == authorisation_in.business_code and i.route is QueueKind.STM
    ]
    if not match:
        code = authorisation_in.business_code
        if code not in ctx.catalogue:
            raise UnknownBusiness(code=code)
        raise BusinessNotOnTicket(ticket_no=ticket.ticket_no, business=business_term(ctx, code))
    existing = [
        a
        for a in repo.authorisations(session, branch_id, ticket_id=ticket.id)
        if a.item_id == match[0].id and a.status is not AuthorisationStatus.REJECTED
    ]
    if existing:
        return existing[0]
    authorisation = new_authorisation(session, ctx, ticket, match[0], point)
    add_event(session, ctx, branch_id, "authorisation", ticket, point)
    add_audit(
        session,
        ctx,
        actor,
        "authorisation.request",
        branch_id,
        ticket.ticket_no,
        business=authorisation_in.business_code,
    )
    session.flush()
    return authorisation


def decide_authorisation(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    authorisation_id: int,
    approve: bool,
) -> Authorisation:
    """Approve or reject a pending authorisation; a rejected step goes to a teller."""
    find_branch(session, actor, branch_id, Permission.AUTHORISE)
    authorisation = repo.get_authorisation(session, branch_id, authorisation_id)
    if authorisation is None:
        raise AuthorisationNotFound(authorisation_id=authorisation_id)
    if authorisation.status is not AuthorisationStatus.PENDING:
        raise AuthorisationDecided(status=authorisation.status.value)
    authorisation.status = AuthorisationStatus.APPROVED if approve else AuthorisationStatus.REJECTED
    authorisation.decided_at = ctx.now()
    authorisation.decided_by = actor.staff_id
    ticket = lock_ticket(session, branch_id, authorisation.ticket_id)
    if not approve and authorisation.item_id is not None:
        for item in repo.items_of(session, [ticket.id])[ticket.id]:
            if item.id == authorisation.item_id and item.status is ItemStatus.PENDING:
                item.route = QueueKind.TELLER
                item.reason = REJECTED_AUTHORISATION_REASON
    add_event(session, ctx, branch_id, "authorisation", ticket)
    add_audit(
        session,
        ctx,
        actor,
        "authorisation.approve" if approve else "authorisation.reject",
        branch_id,
        ticket.ticket_no,
        business=authorisation.business_code,
    )
    session.flush()
    return authorisation


def set_terminal_status(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    point_id: int,
    status: TerminalStatus,
) -> ServicePoint:
    """Mark a terminal ok, slow or down; routing and wait estimates follow."""
    find_branch(session, actor, branch_id, Permission.TERMINAL)
    point = find_point(session, branch_id, point_id)
    point.status = status
    point.status_changed_at = ctx.now()
    ctx.setup_changed(branch_id)
    add_event(session, ctx, branch_id, "terminal", None, point)
    add_audit(session, ctx, actor, "point.status", branch_id, point.code, status=status.value)
    session.flush()
    return point
