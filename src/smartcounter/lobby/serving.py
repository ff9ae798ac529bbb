"""Calling and serving customers at a point: call, recall, no-show, start, transfer, complete."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from smartcounter.accounts.roles import Actor, Permission
from smartcounter.lobby import repository as repo
from smartcounter.lobby.authorisations import new_authorisation
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.day import ensure_day_open
from smartcounter.lobby.errors import (
    AuthorisationPending,
    NoShowNotRecallable,
    PointBusy,
    PointInactive,
    ReasonRequired,
    TerminalDown,
    TicketNotWaiting,
)
from smartcounter.lobby.lookups import (
    add_audit,
    add_event,
    at_point,
    business_term,
    check_codes,
    check_reason,
    ensure_open,
    find_branch,
    find_point,
    lock_ticket,
    pending,
    requeue,
)
from smartcounter.lobby.models import (
    Authorisation,
    AuthorisationStatus,
    ItemStatus,
    LobbyTransaction,
    QueueKind,
    ServicePoint,
    TerminalStatus,
    Ticket,
    TicketItem,
    TicketStatus,
)
from smartcounter.lobby.routing import channel_of, next_queue
from smartcounter.lobby.schemas import TicketComplete, TicketTransfer
from smartcounter.lobby.views import TicketView, ticket_view


def call_next(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, point_id: int
) -> TicketView | None:
    """Call the next waiting customer of the point's queue to the point (叫号); None if none."""
    find_branch(session, actor, branch_id, Permission.SERVE)
    point = find_point(session, branch_id, point_id)
    if not point.active:
        raise PointInactive(point=point.code)
    if point.status is TerminalStatus.DOWN:
        raise TerminalDown(point=point.code)
    current = repo.ticket_at_point(session, point.id)
    if current is not None:
        raise PointBusy(point=point.code, ticket_no=current.ticket_no)
    ticket = repo.next_waiting(session, branch_id, ctx.today(), point.kind)
    if ticket is None:
        return None
    now = ctx.now()
    ticket.status = TicketStatus.CALLED
    ticket.point_id = point.id
    ticket.called_at = ticket.called_at or now
    ticket.last_called_at = now
    ticket.recalls = 0
    add_event(session, ctx, branch_id, "call", ticket, point)
    add_audit(session, ctx, actor, "ticket.call", branch_id, ticket.ticket_no, point=point.code)
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def recall(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, ticket_id: int
) -> TicketView:
    """Call the customer again; after the branch's number of recalls they are a no-show."""
    branch = find_branch(session, actor, branch_id, Permission.SERVE)
    ticket = lock_ticket(session, branch_id, ticket_id)
    point = at_point(session, branch_id, ticket)
    if ticket.status is TicketStatus.SERVING:
        raise TicketNotWaiting(ticket_no=ticket.ticket_no)
    limit = branch.no_show_after or ctx.settings.no_show_after
    ticket.recalls += 1
    ticket.last_called_at = ctx.now()
    if ticket.recalls >= limit:
        no_show(session, ctx, ticket)
        add_event(session, ctx, branch_id, "no_show", ticket, point)
        add_audit(
            session,
            ctx,
            actor,
            "ticket.no_show",
            branch_id,
            ticket.ticket_no,
            recalls=ticket.recalls,
        )
    else:
        add_event(session, ctx, branch_id, "call", ticket, point)
        add_audit(
            session,
            ctx,
            actor,
            "ticket.recall",
            branch_id,
            ticket.ticket_no,
            recalls=ticket.recalls,
        )
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def no_show(session: Session, ctx: LobbyContext, ticket: Ticket) -> None:
    ticket.status = TicketStatus.NO_SHOW
    ticket.point_id = None
    ticket.finished_at = ctx.now()
    for item in pending(repo.items_of(session, [ticket.id])[ticket.id]):
        item.status = ItemStatus.DROPPED


def mark_no_show(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, ticket_id: int
) -> TicketView:
    """Give up on a called customer who did not come (过号)."""
    find_branch(session, actor, branch_id, Permission.SERVE)
    ticket = lock_ticket(session, branch_id, ticket_id)
    point = at_point(session, branch_id, ticket)
    no_show(session, ctx, ticket)
    add_event(session, ctx, branch_id, "no_show", ticket, point)
    add_audit(session, ctx, actor, "ticket.no_show", branch_id, ticket.ticket_no)
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def start_service(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, ticket_id: int
) -> TicketView:
    """The customer has arrived at the point; at a smart counter, ask for authorisations."""
    find_branch(session, actor, branch_id, Permission.SERVE)
    ticket = lock_ticket(session, branch_id, ticket_id)
    point = at_point(session, branch_id, ticket)
    now = ctx.now()
    if ticket.status is TicketStatus.CALLED:
        ticket.status = TicketStatus.SERVING
        ticket.served_from = now
    if point.kind is QueueKind.STM:
        items = repo.items_of(session, [ticket.id])[ticket.id]
        asked = {a.item_id for a in repo.authorisations(session, branch_id, ticket_id=ticket.id)}
        for item in pending(items):
            needs = item.business_code in ctx.rules.routing.authorisation_required
            if item.route is QueueKind.STM and needs and item.id not in asked:
                new_authorisation(session, ctx, ticket, item, point)
    add_event(session, ctx, branch_id, "start", ticket, point)
    add_audit(session, ctx, actor, "ticket.start", branch_id, ticket.ticket_no, point=point.code)
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def transfer(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    ticket_id: int,
    transfer_in: TicketTransfer,
) -> TicketView:
    """Send the ticket's current business to another queue; it waits there by its time."""
    find_branch(session, actor, branch_id, Permission.SERVE)
    check_reason(transfer_in.reason)
    ticket = lock_ticket(session, branch_id, ticket_id)
    ensure_open(ticket)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    for item in pending(items):
        if item.route is ticket.queue:
            item.route = transfer_in.queue
            migratable = ctx.catalogue[item.business_code].migratable
            if transfer_in.queue is QueueKind.STM:
                item.reason = None
            elif migratable and transfer_in.reason is not None:
                item.reason = transfer_in.reason
    old_point = repo.get_point(session, branch_id, ticket.point_id) if ticket.point_id else None
    upcoming = next_queue(i.route for i in pending(items)) or transfer_in.queue
    requeue(ticket, upcoming)
    add_event(session, ctx, branch_id, "transfer", ticket, old_point)
    add_audit(
        session, ctx, actor, "ticket.transfer", branch_id, ticket.ticket_no, queue=upcoming.value
    )
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def _add_extra_business(
    session: Session,
    ticket: Ticket,
    items: list[TicketItem],
    codes: Sequence[str],
    route: QueueKind,
) -> None:
    """Business the customer asked for at the point, added to the ticket there."""
    next_seq = max((i.seq for i in items), default=-1) + 1
    for offset, code in enumerate(codes):
        extra = TicketItem(
            ticket_id=ticket.id,
            seq=next_seq + offset,
            business_code=code,
            route=route,
            status=ItemStatus.PENDING,
        )
        session.add(extra)
        items.append(extra)
    session.flush()


def _approvals(
    session: Session, ctx: LobbyContext, ticket: Ticket, leg: Sequence[TicketItem]
) -> dict[int | None, Authorisation]:
    """The approved authorisations of a smart-counter leg, by item; refuses one still owed."""
    approvals: dict[int | None, Authorisation] = {}
    for a in repo.authorisations(session, ticket.branch_id, ticket_id=ticket.id):
        if a.status is AuthorisationStatus.PENDING:
            raise AuthorisationPending(
                ticket_no=ticket.ticket_no, business=business_term(ctx, a.business_code)
            )
        if a.status is AuthorisationStatus.APPROVED:
            approvals[a.item_id] = a
    for item in leg:
        needs = item.business_code in ctx.rules.routing.authorisation_required
        if needs and item.id not in approvals:
            # Starting the service asks for it; completing cannot skip the specialist.
            raise AuthorisationPending(
                ticket_no=ticket.ticket_no, business=business_term(ctx, item.business_code)
            )
    return approvals


def _reasons(
    ctx: LobbyContext, ticket: Ticket, leg: Sequence[TicketItem], channel: str, given: str | None
) -> dict[int, str | None]:
    """Why each migratable business was done at a teller window (required there)."""
    reasons: dict[int, str | None] = {}
    for item in leg:
        reason: str | None = None
        # At the wealth desk (a referral) nothing was turned away from the smart counter.
        at_window = channel == "teller" and item.route is QueueKind.TELLER
        if at_window and ctx.catalogue[item.business_code].migratable:
            reason = item.reason or given
            if reason is None:
                raise ReasonRequired(
                    business=business_term(ctx, item.business_code), ticket_no=ticket.ticket_no
                )
        reasons[item.id] = reason
    return reasons


def _record_transactions(
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    ticket: Ticket,
    point: ServicePoint,
    leg: Sequence[TicketItem],
    approvals: dict[int | None, Authorisation],
    reasons: dict[int, str | None],
) -> bool:
    """One transaction per business of the leg; True when one migrated to the smart counter."""
    channel = channel_of(point.kind)
    now = ctx.now()
    started = ticket.served_from or ticket.last_called_at or now
    per_item = max(0.0, (now - started).total_seconds()) / max(1, len(leg))
    migrated_any = False
    for item in leg:
        approval = approvals.get(item.id)
        staff_id = approval.decided_by if approval and approval.decided_by else actor.staff_id
        session.add(
            LobbyTransaction(
                txn_id=f"{ticket.visit_id}-{item.seq:02d}",
                ticket_id=ticket.id,
                item_id=item.id,
                branch_id=ticket.branch_id,
                business_code=item.business_code,
                channel=channel,
                queue=point.kind,
                staff_id=staff_id,
                point_id=point.id,
                customer_id=ticket.customer_id,
                ts=now,
                duration_s=round(per_item, 1),
                reason=reasons[item.id],
            )
        )
        item.status = ItemStatus.DONE
        item.reason = reasons[item.id]
        migrated_any = migrated_any or (
            channel == "stm" and ctx.catalogue[item.business_code].migratable
        )
    return migrated_any


def complete(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    ticket_id: int,
    complete_in: TicketComplete,
) -> TicketView:
    """Finish the ticket's business at its point and record the transactions.

    Migratable business done at a teller window needs a reason (from triage, or given
    here). What is left for another queue (the non-cash leg after the cash leg) waits there.
    """
    find_branch(session, actor, branch_id, Permission.SERVE)
    check_reason(complete_in.reason)
    check_codes(ctx, complete_in.extra_business)
    ticket = lock_ticket(session, branch_id, ticket_id)
    point = at_point(session, branch_id, ticket)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    _add_extra_business(session, ticket, items, complete_in.extra_business, point.kind)
    leg = [i for i in pending(items) if i.route is point.kind]
    approvals = _approvals(session, ctx, ticket, leg) if point.kind is QueueKind.STM else {}
    reasons = _reasons(ctx, ticket, leg, channel_of(point.kind), complete_in.reason)
    migrated = _record_transactions(session, ctx, actor, ticket, point, leg, approvals, reasons)
    now = ctx.now()
    if migrated and ticket.customer_id:
        flag = repo.customer_flag(session, ticket.customer_id)
        if flag is not None and flag.follow_up:
            flag.follow_up = False
            flag.updated_at = now
    upcoming = next_queue(i.route for i in pending(items))
    if upcoming is None:
        ticket.status = TicketStatus.DONE
        ticket.point_id = None
        ticket.finished_at = now
    else:
        requeue(ticket, upcoming)
    add_event(session, ctx, branch_id, "complete", ticket, point)
    add_audit(
        session,
        ctx,
        actor,
        "ticket.complete",
        branch_id,
        ticket.ticket_no,
        point=point.code,
        business=[i.business_code for i in leg],
    )
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def recallable_until(ctx: LobbyContext, ticket: Ticket) -> datetime | None:
    """Until when a no-show may be called back, keeping their visit; None if not one."""
    if ticket.status is not TicketStatus.NO_SHOW or ticket.finished_at is None:
        return None
    if ticket.day != ctx.today():
        return None
    return ticket.finished_at + timedelta(minutes=ctx.settings.no_show_recall_minutes)


def reinstate_no_show(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, ticket_id: int
) -> TicketView:
    """A no-show came back in time: back in line by their ticket's time, one visit still.

    Without this a late customer takes a new ticket and the visit counts twice.
    """
    find_branch(session, actor, branch_id, Permission.SERVE)
    ticket = lock_ticket(session, branch_id, ticket_id)
    until = recallable_until(ctx, ticket)
    if until is None or ctx.now() > until:
        raise NoShowNotRecallable(ticket_no=ticket.ticket_no)
    ensure_day_open(session, branch_id, ticket.day)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    # The business the no-show dropped is the business still to do.
    for item in items:
        if item.status is ItemStatus.DROPPED:
            item.status = ItemStatus.PENDING
    upcoming = next_queue(i.route for i in pending(items)) or ticket.queue
    requeue(ticket, upcoming)
    ticket.finished_at = None
    add_event(session, ctx, branch_id, "reinstate", ticket)
    add_audit(session, ctx, actor, "ticket.reinstate", branch_id, ticket.ticket_no)
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)
