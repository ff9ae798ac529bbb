"""Triage rounds (分流) and referrals to the wealth manager."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from smartcounter.accounts.roles import Actor, Permission
from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.errors import (
    AlreadyReferred,
    DeclineReasonRequired,
    NothingToTriage,
    StageAlreadyDone,
    StageNotAllowed,
)
from smartcounter.lobby.lookups import (
    add_audit,
    add_event,
    check_reason,
    ensure_open,
    find_branch,
    lock_ticket,
    pending,
    requeue,
)
from smartcounter.lobby.models import (
    AT_POINT_STATUSES,
    ItemStatus,
    QueueKind,
    Referral,
    Ticket,
    TicketItem,
    TicketStatus,
    TriageOutcome,
    TriageTouch,
)
from smartcounter.lobby.routing import next_queue
from smartcounter.lobby.schemas import ReferralCreate, TriageCreate
from smartcounter.lobby.views import TicketView, ticket_view

STAGE_PERMISSIONS = {1: Permission.TRIAGE_1, 2: Permission.TRIAGE_2, 3: Permission.TRIAGE_3}
DEFAULT_DECLINE_REASON = "customer_declined"
# What a referred customer sees the wealth manager for (the catalogue's code).
WEALTH_BUSINESS = "wealth_product"


def decline_reason(outcome: TriageOutcome, reason: str | None) -> str | None:
    """The reason kept with an outcome: a decline must give one, an acceptance keeps none."""
    if outcome is not TriageOutcome.DECLINED:
        return None
    if reason is None:
        raise DeclineReasonRequired()
    return reason


def ensure_stage_open(session: Session, ticket: Ticket, stage: int) -> None:
    """One outcome per stage per ticket: a second one would count the customer twice."""
    earlier = repo.touches_of(session, [ticket.id]).get(ticket.id, [])
    if any(t.stage == stage for t in earlier):
        raise StageAlreadyDone(stage=stage, ticket_no=ticket.ticket_no)


def touch(
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    ticket: Ticket,
    stage: int,
    outcome: TriageOutcome,
    reason: str | None,
) -> TriageTouch:
    now = ctx.now().replace(microsecond=0)
    # A triage row's id in the store is (visit, stage, second): keep two touches of one
    # stage in one second apart.
    earlier = repo.touches_of(session, [ticket.id]).get(ticket.id, [])
    taken = {t.ts for t in earlier if t.stage == stage}
    while now in taken:
        now += timedelta(seconds=1)
    touch = TriageTouch(
        ticket_id=ticket.id,
        stage=stage,
        staff_id=actor.staff_id,
        ts=now,
        outcome=outcome,
        reason=reason if outcome is TriageOutcome.DECLINED else None,
    )
    session.add(touch)
    if ticket.customer_id:
        repo.set_customer_flag(
            session,
            customer_id=ticket.customer_id,
            follow_up=outcome is TriageOutcome.DECLINED,
            reason=reason if outcome is TriageOutcome.DECLINED else None,
            branch_id=ticket.branch_id,
            at=now,
        )
    return touch


def record_triage(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    ticket_id: int,
    triage_in: TriageCreate,
) -> TicketView:
    """Record a triage round and move the ticket's migratable business accordingly (分流)."""
    find_branch(session, actor, branch_id, Permission.VIEW)
    actor.require(STAGE_PERMISSIONS[triage_in.stage], branch_id)
    check_reason(triage_in.reason)
    ticket = lock_ticket(session, branch_id, ticket_id)
    ensure_open(ticket)
    point = repo.get_point(session, branch_id, ticket.point_id) if ticket.point_id else None
    if triage_in.stage == 3:
        # The third round happens at the window, with the customer in front of the teller.
        if ticket.status not in AT_POINT_STATUSES or point is None or point.kind is QueueKind.STM:
            raise StageNotAllowed(stage=3, ticket_no=ticket.ticket_no)
    elif ticket.status is not TicketStatus.WAITING:
        raise StageNotAllowed(stage=triage_in.stage, ticket_no=ticket.ticket_no)
    ensure_stage_open(session, ticket, triage_in.stage)
    reason = decline_reason(triage_in.outcome, triage_in.reason)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    movable = [i for i in pending(items) if ctx.catalogue[i.business_code].migratable]
    if not movable:
        raise NothingToTriage()
    declined = triage_in.outcome is TriageOutcome.DECLINED
    for item in movable:
        if declined:
            item.route = QueueKind.TELLER
            item.reason = reason
        else:
            item.route = QueueKind.STM
            item.reason = None
    touch(session, ctx, actor, ticket, triage_in.stage, triage_in.outcome, reason)
    upcoming = next_queue(i.route for i in pending(items))
    if ticket.status is TicketStatus.WAITING and upcoming is not None:
        ticket.queue = upcoming
    elif upcoming is not None and point is not None and upcoming is not point.kind:
        # Nothing left for this window: the customer goes on to the smart counter now.
        requeue(ticket, upcoming)
    add_event(session, ctx, branch_id, "triage", ticket)
    add_audit(
        session,
        ctx,
        actor,
        "ticket.triage",
        branch_id,
        ticket.ticket_no,
        stage=triage_in.stage,
        outcome=triage_in.outcome.value,
        reason=reason,
    )
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def refer(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    ticket_id: int,
    referral_in: ReferralCreate,
) -> TicketView:
    """Refer the customer to the wealth manager (转介理财经理): they join the wealth queue.

    The wealth leg comes after the business they came for; a customer waiting with
    nothing else left waits for the wealth manager at once. A customer is referred once
    per visit: referring them again is refused (``AlreadyReferred``).
    """
    find_branch(session, actor, branch_id, Permission.REFER)
    ticket = lock_ticket(session, branch_id, ticket_id)
    ensure_open(ticket)
    if repo.referrals_of(session, [ticket.id]).get(ticket.id):
        # One referral per visit: a second (another tablet's, a stale page's) would count
        # the customer twice for one wealth leg.
        raise AlreadyReferred(ticket_no=ticket.ticket_no)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    if not any(i.route is QueueKind.WEALTH for i in pending(items)):
        wealth = TicketItem(
            ticket_id=ticket.id,
            seq=max((i.seq for i in items), default=-1) + 1,
            business_code=WEALTH_BUSINESS,
            route=QueueKind.WEALTH,
            status=ItemStatus.PENDING,
        )
        session.add(wealth)
        items.append(wealth)
        if ticket.status is TicketStatus.WAITING:
            ticket.queue = next_queue(i.route for i in pending(items)) or QueueKind.WEALTH
    session.add(
        Referral(
            branch_id=branch_id,
            ticket_id=ticket.id,
            kind=referral_in.kind,
            staff_id=actor.staff_id,
            created_at=ctx.now(),
        )
    )
    add_event(session, ctx, branch_id, "referral", ticket)
    add_audit(
        session, ctx, actor, "ticket.refer", branch_id, ticket.ticket_no, kind=referral_in.kind
    )
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)
