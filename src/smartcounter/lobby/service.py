"""The lobby's use cases: issue tickets, triage, call and serve, authorise, watch terminals.

Plain functions with keyword-only arguments, called by the web routes, the command line
and the tests alike. They flush but never commit: the caller's unit of work commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Actor, Permission
from smartcounter.canonical.catalogue import REASONS
from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.errors import (
    AuthorisationDecided,
    AuthorisationNotFound,
    AuthorisationPending,
    BranchNotFound,
    Invalid,
    NothingToTriage,
    PointBusy,
    PointInactive,
    ReasonRequired,
    ServicePointNotFound,
    StageNotAllowed,
    TerminalDown,
    TicketAlreadyServed,
    TicketNotAtPoint,
    TicketNotFound,
    TicketNotWaiting,
    UnknownBusiness,
    UnknownReason,
)
from smartcounter.lobby.models import (
    AT_POINT_STATUSES,
    OPEN_STATUSES,
    Authorisation,
    AuthorisationStatus,
    Branch,
    ItemStatus,
    LobbyTransaction,
    QueueKind,
    Referral,
    ServicePoint,
    TerminalStatus,
    Ticket,
    TicketItem,
    TicketStatus,
    TriageOutcome,
    TriageTouch,
)
from smartcounter.lobby.prompts import CustomerFacts, Prompt, evaluate
from smartcounter.lobby.routing import (
    alternatives_for,
    channel_of,
    next_queue,
    plan_items,
)
from smartcounter.lobby.schemas import (
    AuthorisationCreate,
    ReferralCreate,
    TicketComplete,
    TicketCreate,
    TicketTransfer,
    TriageCreate,
)
from smartcounter.lobby.waits import QueueLoad, estimate_wait_s, mean_or_default

STAGE_PERMISSIONS = {1: Permission.TRIAGE_1, 2: Permission.TRIAGE_2, 3: Permission.TRIAGE_3}
DEFAULT_DECLINE_REASON = "customer_declined"
REJECTED_AUTHORISATION_REASON = "id_check"
CALLING_SHOWN = 8


@dataclass
class TicketView:
    """A ticket with what the pages show beside it."""

    ticket: Ticket
    items: list[TicketItem]
    position: int | None = None
    wait_s: float | None = None
    prompts: list[Prompt] = field(default_factory=list)
    point: ServicePoint | None = None
    touches: list[TriageTouch] = field(default_factory=list)
    authorisations: list[Authorisation] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass
class QueueView:
    """One queue on the board: how many wait and how long a newcomer would."""

    kind: QueueKind
    prefix: str
    waiting: int
    wait_s: float | None
    notices: list[str]


@dataclass
class BoardView:
    """The public board of a branch: numbers being called, queues, notices."""

    branch: Branch
    calling: list[tuple[Ticket, ServicePoint]]
    queues: list[QueueView]
    points: list[ServicePoint]
    now: datetime


@dataclass
class LobbyView:
    """Everything the lobby tablet shows."""

    board: BoardView
    waiting: list[TicketView]
    at_points: list[TicketView]
    authorisations: list[Authorisation]
    tickets_by_id: dict[int, Ticket]


@dataclass(frozen=True)
class _QueueSeen:
    """A queue's load and length, and its counter's last number, as read at one moment.

    Kept a second or two per worker (``load_cache_seconds``): counting the waiting
    customers for every ticket costs as much as the rest of issuing it once hundreds wait.
    A new ticket's position is the length seen plus the tickets numbered since; a customer
    called meanwhile may still be counted, until the next reading.
    """

    load: QueueLoad
    waiting: int
    last_no: int


# -- lookups -----------------------------------------------------------------------------


def _branch(session: Session, actor: Actor, branch_id: str, permission: Permission) -> Branch:
    actor.require(permission, branch_id)
    branch = repo.get_branch(session, branch_id)
    if branch is None:
        raise BranchNotFound(branch_id=branch_id)
    return branch


def _ticket(session: Session, branch_id: str, ticket_id: int) -> Ticket:
    ticket = repo.get_ticket(session, branch_id, ticket_id, for_update=True)
    if ticket is None:
        raise TicketNotFound(ticket_id=ticket_id)
    return ticket


def _point(session: Session, branch_id: str, point_id: int) -> ServicePoint:
    point = repo.get_point(session, branch_id, point_id)
    if point is None:
        raise ServicePointNotFound(point_id=point_id)
    return point


def _check_reason(reason: str | None) -> None:
    if reason is not None and reason not in REASONS:
        raise UnknownReason(reason=reason)


def _check_codes(ctx: LobbyContext, codes: Sequence[str]) -> None:
    for code in codes:
        if code not in ctx.catalogue:
            raise UnknownBusiness(code=code)


def _pending(items: Sequence[TicketItem]) -> list[TicketItem]:
    return [i for i in items if i.status is ItemStatus.PENDING]


def _event(
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


def _audit(
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


def _ensure_open_day(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise TicketAlreadyServed(ticket_no=ticket.ticket_no, status=ticket.status.value)


# -- issuing -----------------------------------------------------------------------------


def _routing(session: Session, ctx: LobbyContext, branch_id: str) -> repo.BranchRouting:
    """The branch's queues and active points, from this worker's copy if still fresh."""
    found = ctx.setups.get(branch_id)
    if isinstance(found, repo.BranchRouting):
        return found
    routing = repo.branch_routing(session, branch_id)
    if routing is None:
        ctx.setups.forget(branch_id)
        raise BranchNotFound(branch_id=branch_id)
    ctx.setups.put(branch_id, routing)
    return routing


def issue_ticket(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    ticket_in: TicketCreate,
) -> TicketView:
    """Issue a ticket for the declared business, routed by the catalogue (取号)."""
    actor.require(Permission.ISSUE, branch_id)
    routing = _routing(session, ctx, branch_id)
    triage = ticket_in.triage
    if triage is not None:
        actor.require(Permission.TRIAGE_1, branch_id)
        _check_reason(triage.reason)
    _check_codes(ctx, ticket_in.business)
    migratable = [c for c in ticket_in.business if ctx.catalogue[c].migratable]
    if triage is not None and not migratable:
        raise NothingToTriage()
    declined = triage is not None and triage.outcome is TriageOutcome.DECLINED
    declined_reason = (triage.reason or DEFAULT_DECLINE_REASON) if declined and triage else None
    planned = plan_items(
        ticket_in.business,
        catalogue=ctx.catalogue,
        stm_statuses=routing.statuses(QueueKind.STM),
        declined_reason=declined_reason,
    )
    first = planned[0].route
    queue = routing.queues.get(first)
    if queue is None:
        raise Invalid(detail=f"no {first.value} queue")
    now = ctx.now()
    day = ctx.local_day(now)
    follow_up = False
    if ticket_in.customer_id:
        flag = repo.customer_flag(session, ticket_in.customer_id)
        follow_up = bool(flag and flag.follow_up)
    # Everything that only reads comes before the number: its counter row stays locked
    # until commit, so the less work after it, the more tickets per second a queue issues.
    seen = ctx.loads.get((branch_id, day, first))
    if not isinstance(seen, _QueueSeen):
        waiting, last_no = repo.queue_now(
            session, branch_id=branch_id, day=day, queue=first, queue_id=queue.id, at=now
        )
        load = _load(session, ctx, branch_id, day, first, routing.statuses(first))
        seen = _QueueSeen(load=load, waiting=waiting, last_no=last_no)
        ctx.loads.put((branch_id, day, first), seen)
    load = seen.load
    # Items keep the order the customer declared them in (``seq``), whatever their leg.
    declared = list(enumerate(ticket_in.business))
    items: list[TicketItem] = []
    for plan in planned:
        found = next(i for i, (_n, code) in enumerate(declared) if code == plan.business_code)
        seq, _code = declared.pop(found)
        items.append(
            TicketItem(
                seq=seq,
                business_code=plan.business_code,
                route=plan.route,
                status=ItemStatus.PENDING,
                reason=plan.reason,
            )
        )
    ticket = Ticket(
        branch_id=branch_id,
        day=day,
        queue_id=queue.id,
        queue=first,
        status=TicketStatus.WAITING,
        point_id=None,
        customer_id=ticket_in.customer_id,
        age_band=ticket_in.age_band,
        customer_tier=ticket_in.customer_tier,
        has_mobile_banking=ticket_in.has_mobile_banking,
        follow_up=follow_up,
        issued_at=now,
        issued_by=actor.staff_id,
        called_at=None,
        last_called_at=None,
        served_from=None,
        finished_at=None,
        recalls=0,
    )
    prompts = evaluate(ctx.rules.prompts, _facts(ctx, ticket, items))
    # From the number on, the queue's counter row is locked until commit: take it last,
    # in one statement with the writes (on PostgreSQL), and leave nothing to do after it.
    repo.add_numbered_ticket(
        session,
        ticket,
        items,
        prefix=queue.prefix,
        event=repo.event_row(branch_id=branch_id, kind="ticket", at=now),
        audit_entry=audit.entry_row(
            actor=actor,
            action="ticket.issue",
            at=now,
            branch_id=branch_id,
            detail={"business": ticket_in.business},
        ),
    )
    # Numbers between the last one seen and this one went to tickets issued meanwhile.
    position = seen.waiting + (ticket.number - seen.last_no - 1) + 1
    touches = []
    if triage is not None:
        touches.append(_touch(session, ctx, actor, ticket, 1, triage.outcome, declined_reason))
        session.flush()
    return TicketView(
        ticket=ticket,
        items=items,
        position=position,
        wait_s=estimate_wait_s(position - 1, load, slow_factor=ctx.settings.slow_factor),
        prompts=prompts,
        touches=touches,
        notices=_queue_notices(load, first),
    )


def _touch(
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


# -- triage ------------------------------------------------------------------------------


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
    _branch(session, actor, branch_id, Permission.VIEW)
    actor.require(STAGE_PERMISSIONS[triage_in.stage], branch_id)
    _check_reason(triage_in.reason)
    ticket = _ticket(session, branch_id, ticket_id)
    _ensure_open_day(ticket)
    point = repo.get_point(session, branch_id, ticket.point_id) if ticket.point_id else None
    if triage_in.stage == 3:
        # The third round happens at the window, with the customer in front of the teller.
        if ticket.status not in AT_POINT_STATUSES or point is None or point.kind is QueueKind.STM:
            raise StageNotAllowed(stage=3, ticket_no=ticket.ticket_no)
    elif ticket.status is not TicketStatus.WAITING:
        raise StageNotAllowed(stage=triage_in.stage, ticket_no=ticket.ticket_no)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    movable = [i for i in _pending(items) if ctx.catalogue[i.business_code].migratable]
    if not movable:
        raise NothingToTriage()
    declined = triage_in.outcome is TriageOutcome.DECLINED
    reason = (triage_in.reason or DEFAULT_DECLINE_REASON) if declined else None
    for item in movable:
        if declined:
            item.route = QueueKind.TELLER
            item.reason = reason
        else:
            item.route = QueueKind.STM
            item.reason = None
    _touch(session, ctx, actor, ticket, triage_in.stage, triage_in.outcome, reason)
    upcoming = next_queue(i.route for i in _pending(items))
    if ticket.status is TicketStatus.WAITING and upcoming is not None:
        ticket.queue = upcoming
    elif upcoming is not None and point is not None and upcoming is not point.kind:
        # Nothing left for this window: the customer goes on to the smart counter now.
        _requeue(ticket, upcoming)
    _event(session, ctx, branch_id, "triage", ticket)
    _audit(
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
    """Record a referral to the wealth manager (转介理财经理)."""
    _branch(session, actor, branch_id, Permission.REFER)
    ticket = _ticket(session, branch_id, ticket_id)
    session.add(
        Referral(
            branch_id=branch_id,
            ticket_id=ticket.id,
            kind=referral_in.kind,
            staff_id=actor.staff_id,
            created_at=ctx.now(),
        )
    )
    _event(session, ctx, branch_id, "referral", ticket)
    _audit(session, ctx, actor, "ticket.refer", branch_id, ticket.ticket_no, kind=referral_in.kind)
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


# -- serving -----------------------------------------------------------------------------


def _requeue(ticket: Ticket, queue: QueueKind) -> None:
    # Back in line by the time the ticket was taken: a customer who already waited for
    # one leg is not sent to the end of the next queue.
    ticket.status = TicketStatus.WAITING
    ticket.queue = queue
    ticket.point_id = None
    ticket.served_from = None
    ticket.recalls = 0


def call_next(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, point_id: int
) -> TicketView | None:
    """Call the next waiting customer of the point's queue to the point (叫号); None if none."""
    _branch(session, actor, branch_id, Permission.SERVE)
    point = _point(session, branch_id, point_id)
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
    _event(session, ctx, branch_id, "call", ticket, point)
    _audit(session, ctx, actor, "ticket.call", branch_id, ticket.ticket_no, point=point.code)
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def _at_point(session: Session, branch_id: str, ticket: Ticket) -> ServicePoint:
    _ensure_open_day(ticket)
    if ticket.status not in AT_POINT_STATUSES or ticket.point_id is None:
        raise TicketNotAtPoint(ticket_no=ticket.ticket_no)
    return _point(session, branch_id, ticket.point_id)


def recall(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, ticket_id: int
) -> TicketView:
    """Call the customer again; after the branch's number of recalls they are a no-show."""
    branch = _branch(session, actor, branch_id, Permission.SERVE)
    ticket = _ticket(session, branch_id, ticket_id)
    point = _at_point(session, branch_id, ticket)
    if ticket.status is TicketStatus.SERVING:
        raise TicketNotWaiting(ticket_no=ticket.ticket_no)
    limit = branch.no_show_after or ctx.settings.no_show_after
    ticket.recalls += 1
    ticket.last_called_at = ctx.now()
    if ticket.recalls >= limit:
        _no_show(session, ctx, ticket)
        _event(session, ctx, branch_id, "no_show", ticket, point)
        _audit(
            session,
            ctx,
            actor,
            "ticket.no_show",
            branch_id,
            ticket.ticket_no,
            recalls=ticket.recalls,
        )
    else:
        _event(session, ctx, branch_id, "call", ticket, point)
        _audit(
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


def _no_show(session: Session, ctx: LobbyContext, ticket: Ticket) -> None:
    ticket.status = TicketStatus.NO_SHOW
    ticket.point_id = None
    ticket.finished_at = ctx.now()
    for item in _pending(repo.items_of(session, [ticket.id])[ticket.id]):
        item.status = ItemStatus.DROPPED


def mark_no_show(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, ticket_id: int
) -> TicketView:
    """Give up on a called customer who did not come (过号)."""
    _branch(session, actor, branch_id, Permission.SERVE)
    ticket = _ticket(session, branch_id, ticket_id)
    point = _at_point(session, branch_id, ticket)
    _no_show(session, ctx, ticket)
    _event(session, ctx, branch_id, "no_show", ticket, point)
    _audit(session, ctx, actor, "ticket.no_show", branch_id, ticket.ticket_no)
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def start_service(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, ticket_id: int
) -> TicketView:
    """The customer has arrived at the point; at a smart counter, ask for authorisations."""
    _branch(session, actor, branch_id, Permission.SERVE)
    ticket = _ticket(session, branch_id, ticket_id)
    point = _at_point(session, branch_id, ticket)
    now = ctx.now()
    if ticket.status is TicketStatus.CALLED:
        ticket.status = TicketStatus.SERVING
        ticket.served_from = now
    if point.kind is QueueKind.STM:
        items = repo.items_of(session, [ticket.id])[ticket.id]
        asked = {a.item_id for a in repo.authorisations(session, branch_id, ticket_id=ticket.id)}
        for item in _pending(items):
            needs = item.business_code in ctx.rules.routing.authorisation_required
            if item.route is QueueKind.STM and needs and item.id not in asked:
                _new_authorisation(session, ctx, ticket, item, point)
    _event(session, ctx, branch_id, "start", ticket, point)
    _audit(session, ctx, actor, "ticket.start", branch_id, ticket.ticket_no, point=point.code)
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def _new_authorisation(
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
    _branch(session, actor, branch_id, Permission.SERVE)
    _check_reason(transfer_in.reason)
    ticket = _ticket(session, branch_id, ticket_id)
    _ensure_open_day(ticket)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    for item in _pending(items):
        if item.route is ticket.queue:
            item.route = transfer_in.queue
            migratable = ctx.catalogue[item.business_code].migratable
            if transfer_in.queue is QueueKind.STM:
                item.reason = None
            elif migratable and transfer_in.reason is not None:
                item.reason = transfer_in.reason
    old_point = repo.get_point(session, branch_id, ticket.point_id) if ticket.point_id else None
    upcoming = next_queue(i.route for i in _pending(items)) or transfer_in.queue
    _requeue(ticket, upcoming)
    _event(session, ctx, branch_id, "transfer", ticket, old_point)
    _audit(
        session, ctx, actor, "ticket.transfer", branch_id, ticket.ticket_no, queue=upcoming.value
    )
    session.flush()
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


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
    _branch(session, actor, branch_id, Permission.SERVE)
    _check_reason(complete_in.reason)
    _check_codes(ctx, complete_in.extra_business)
    ticket = _ticket(session, branch_id, ticket_id)
    point = _at_point(session, branch_id, ticket)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    next_seq = max((i.seq for i in items), default=-1) + 1
    for offset, code in enumerate(complete_in.extra_business):
        extra = TicketItem(
            ticket_id=ticket.id,
            seq=next_seq + offset,
            business_code=code,
            route=point.kind,
            status=ItemStatus.PENDING,
        )
        session.add(extra)
        items.append(extra)
    session.flush()
    leg = [i for i in _pending(items) if i.route is point.kind]
    channel = channel_of(point.kind)
    approvals: dict[int | None, Authorisation] = {}
    if point.kind is QueueKind.STM:
        for a in repo.authorisations(session, branch_id, ticket_id=ticket.id):
            if a.status is AuthorisationStatus.PENDING:
                raise AuthorisationPending(ticket_no=ticket.ticket_no, business=a.business_code)
            if a.status is AuthorisationStatus.APPROVED:
                approvals[a.item_id] = a
        for item in leg:
            needs = item.business_code in ctx.rules.routing.authorisation_required
            if needs and item.id not in approvals:
                # Starting the service asks for it; completing cannot skip the specialist.
                raise AuthorisationPending(ticket_no=ticket.ticket_no, business=item.business_code)
    reasons: dict[int, str | None] = {}
    for item in leg:
        reason: str | None = None
        if channel == "teller" and ctx.catalogue[item.business_code].migratable:
            reason = item.reason or complete_in.reason
            if reason is None:
                raise ReasonRequired(business=item.business_code, ticket_no=ticket.ticket_no)
        reasons[item.id] = reason
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
                branch_id=branch_id,
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
    if migrated_any and ticket.customer_id:
        flag = repo.customer_flag(session, ticket.customer_id)
        if flag is not None and flag.follow_up:
            flag.follow_up = False
            flag.updated_at = now
    upcoming = next_queue(i.route for i in _pending(items))
    if upcoming is None:
        ticket.status = TicketStatus.DONE
        ticket.point_id = None
        ticket.finished_at = now
    else:
        _requeue(ticket, upcoming)
    _event(session, ctx, branch_id, "complete", ticket, point)
    _audit(
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


# -- authorisations and terminals ---------------------------------------------------------------


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
    _branch(session, actor, branch_id, Permission.SERVE)
    ticket = _ticket(session, branch_id, ticket_id)
    point = _at_point(session, branch_id, ticket)
    if point.kind is not QueueKind.STM:
        raise TicketNotAtPoint(ticket_no=ticket.ticket_no)
    items = repo.items_of(session, [ticket.id])[ticket.id]
    match = [
        i
        for i in _pending(items)
        if i.business_code == authorisation_in.business_code and i.route is QueueKind.STM
    ]
    if not match:
        raise UnknownBusiness(code=authorisation_in.business_code)
    existing = [
        a
        for a in repo.authorisations(session, branch_id, ticket_id=ticket.id)
        if a.item_id == match[0].id and a.status is not AuthorisationStatus.REJECTED
    ]
    if existing:
        return existing[0]
    authorisation = _new_authorisation(session, ctx, ticket, match[0], point)
    _event(session, ctx, branch_id, "authorisation", ticket, point)
    _audit(
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
    _branch(session, actor, branch_id, Permission.AUTHORISE)
    authorisation = repo.get_authorisation(session, branch_id, authorisation_id)
    if authorisation is None:
        raise AuthorisationNotFound(authorisation_id=authorisation_id)
    if authorisation.status is not AuthorisationStatus.PENDING:
        raise AuthorisationDecided(status=authorisation.status.value)
    authorisation.status = AuthorisationStatus.APPROVED if approve else AuthorisationStatus.REJECTED
    authorisation.decided_at = ctx.now()
    authorisation.decided_by = actor.staff_id
    ticket = _ticket(session, branch_id, authorisation.ticket_id)
    if not approve and authorisation.item_id is not None:
        for item in repo.items_of(session, [ticket.id])[ticket.id]:
            if item.id == authorisation.item_id and item.status is ItemStatus.PENDING:
                item.route = QueueKind.TELLER
                item.reason = REJECTED_AUTHORISATION_REASON
    _event(session, ctx, branch_id, "authorisation", ticket)
    _audit(
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
    _branch(session, actor, branch_id, Permission.TERMINAL)
    point = _point(session, branch_id, point_id)
    point.status = status
    point.status_changed_at = ctx.now()
    ctx.setup_changed(branch_id)
    _event(session, ctx, branch_id, "terminal", None, point)
    _audit(session, ctx, actor, "point.status", branch_id, point.code, status=status.value)
    session.flush()
    return point


# -- views -------------------------------------------------------------------------------


def _load(
    session: Session,
    ctx: LobbyContext,
    branch_id: str,
    day: date,
    kind: QueueKind,
    points: tuple[TerminalStatus, ...],
    busy: dict[QueueKind, int] | None = None,
    pending_auth: int | None = None,
) -> QueueLoad:
    """What one queue's wait depends on now, given the statuses of its active points."""
    if busy is None:
        busy = repo.busy_counts(session, branch_id, day)
    if pending_auth is None and kind is QueueKind.STM:
        pending = repo.authorisations(session, branch_id, status=AuthorisationStatus.PENDING)
        pending_auth = len(pending)
    durations = repo.recent_leg_seconds(
        session, branch_id, kind, ctx.day_start_utc(day), ctx.settings.recent_services
    )
    return QueueLoad(
        points=points,
        busy=busy.get(kind, 0),
        mean_service_s=mean_or_default(
            durations, ctx.settings.service_seconds.get(kind.value, 300.0)
        ),
        pending_authorisations=(pending_auth or 0) if kind is QueueKind.STM else 0,
        authorisation_s=ctx.settings.authorisation_seconds,
    )


def _loads(
    session: Session, ctx: LobbyContext, branch_id: str, day: date
) -> dict[QueueKind, QueueLoad]:
    busy = repo.busy_counts(session, branch_id, day)
    pending = len(repo.authorisations(session, branch_id, status=AuthorisationStatus.PENDING))
    active = repo.points(session, branch_id, active_only=True)
    return {
        kind: _load(
            session,
            ctx,
            branch_id,
            day,
            kind,
            tuple(p.status for p in active if p.kind is kind),
            busy,
            pending,
        )
        for kind in QueueKind
    }


def _queue_notices(load: QueueLoad, kind: QueueKind) -> list[str]:
    if not load.points:
        return [f"lobby.notice.{kind.value}_none"]
    if all(s is TerminalStatus.DOWN for s in load.points):
        return [f"lobby.notice.{kind.value}_down"]
    if any(s is TerminalStatus.SLOW for s in load.points):
        return [f"lobby.notice.{kind.value}_slow"]
    if kind is QueueKind.STM and load.pending_authorisations:
        return ["lobby.notice.stm_authorising"]
    return []


def _facts(ctx: LobbyContext, ticket: Ticket, items: Sequence[TicketItem]) -> CustomerFacts:
    codes = tuple(i.business_code for i in items)
    non_migratable = [c for c in codes if not ctx.catalogue[c].migratable]
    return CustomerFacts(
        tier=ticket.customer_tier,
        age_band=ticket.age_band,
        queue=ticket.queue.value,
        business=codes,
        has_mobile_banking=ticket.has_mobile_banking,
        follow_up=ticket.follow_up,
        alternatives=alternatives_for(non_migratable, ctx.rules.routing),
    )


def _views(
    session: Session,
    ctx: LobbyContext,
    tickets: Sequence[Ticket],
    loads: dict[QueueKind, QueueLoad] | None = None,
) -> list[TicketView]:
    if not tickets:
        return []
    ids = [t.id for t in tickets]
    items = repo.items_of(session, ids)
    touches = repo.touches_of(session, ids)
    referrals = repo.referrals_of(session, ids)
    point_ids = [t.point_id for t in tickets if t.point_id is not None]
    points = repo.points_by_id(session, point_ids)
    views: list[TicketView] = []
    for ticket in tickets:
        mine = items.get(ticket.id, [])
        view = TicketView(
            ticket=ticket,
            items=mine,
            prompts=evaluate(ctx.rules.prompts, _facts(ctx, ticket, mine)),
            point=points.get(ticket.point_id) if ticket.point_id else None,
            touches=touches.get(ticket.id, []),
            referrals=referrals.get(ticket.id, []),
        )
        if ticket.status is TicketStatus.WAITING:
            loads = (
                loads if loads is not None else _loads(session, ctx, ticket.branch_id, ticket.day)
            )
            load = loads[ticket.queue]
            view.position = repo.position(session, ticket)
            view.wait_s = estimate_wait_s(
                view.position - 1, load, slow_factor=ctx.settings.slow_factor
            )
            view.notices = _queue_notices(load, ticket.queue)
        if ticket.status in AT_POINT_STATUSES:
            view.authorisations = list(
                repo.authorisations(session, ticket.branch_id, ticket_id=ticket.id)
            )
        views.append(view)
    return views


def ticket_view(*, session: Session, ctx: LobbyContext, ticket: Ticket) -> TicketView:
    """The ticket with its position, wait estimate, prompts and notices."""
    return _views(session, ctx, [ticket])[0]


def get_ticket(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, ticket_id: int
) -> TicketView:
    """One ticket of a branch."""
    _branch(session, actor, branch_id, Permission.VIEW)
    ticket = repo.get_ticket(session, branch_id, ticket_id)
    if ticket is None:
        raise TicketNotFound(ticket_id=ticket_id)
    return ticket_view(session=session, ctx=ctx, ticket=ticket)


def list_tickets(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    day: date | None = None,
    statuses: Sequence[TicketStatus] | None = None,
    queue: QueueKind | None = None,
    limit: int = 500,
) -> list[TicketView]:
    """The tickets of a day (today by default), oldest first."""
    _branch(session, actor, branch_id, Permission.VIEW)
    when = day or ctx.today()
    tickets = repo.tickets_of_day(
        session, branch_id, when, statuses=statuses, queue=queue, limit=limit
    )
    return _views(session, ctx, tickets, _loads(session, ctx, branch_id, when))


def board(*, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str) -> BoardView:
    """The public board: numbers called to points, queue lengths, waits, terminal notices."""
    branch = _branch(session, actor, branch_id, Permission.BOARD)
    day = ctx.today()
    loads = _loads(session, ctx, branch_id, day)
    waiting = repo.waiting_counts(session, branch_id, day)
    queue_views = []
    for queue in repo.queues(session, branch_id):
        load = loads[queue.kind]
        queue_views.append(
            QueueView(
                kind=queue.kind,
                prefix=queue.prefix,
                waiting=waiting.get(queue.kind, 0),
                wait_s=estimate_wait_s(
                    waiting.get(queue.kind, 0), load, slow_factor=ctx.settings.slow_factor
                ),
                notices=_queue_notices(load, queue.kind),
            )
        )
    called = repo.recently_called(session, branch_id, day, CALLING_SHOWN)
    points = repo.points_by_id(session, [t.point_id for t in called if t.point_id])
    calling = [(t, points[t.point_id]) for t in called if t.point_id in points]
    return BoardView(
        branch=branch,
        calling=calling,
        queues=queue_views,
        points=list(repo.points(session, branch_id)),
        now=ctx.now(),
    )


def lobby(*, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str) -> LobbyView:
    """What the lobby tablet shows: the board, waiting customers with prompts, authorisations."""
    _branch(session, actor, branch_id, Permission.VIEW)
    day = ctx.today()
    board_view = board(session=session, ctx=ctx, actor=actor, branch_id=branch_id)
    loads = _loads(session, ctx, branch_id, day)
    open_tickets = repo.tickets_of_day(session, branch_id, day, statuses=OPEN_STATUSES)
    views = _views(session, ctx, open_tickets, loads)
    pending = list(repo.authorisations(session, branch_id, status=AuthorisationStatus.PENDING))
    tickets_by_id = {v.ticket.id: v.ticket for v in views}
    missing = [a.ticket_id for a in pending if a.ticket_id not in tickets_by_id]
    for ticket_id in missing:
        found = repo.get_ticket(session, branch_id, ticket_id)
        if found is not None:
            tickets_by_id[found.id] = found
    return LobbyView(
        board=board_view,
        waiting=[v for v in views if v.ticket.status is TicketStatus.WAITING],
        at_points=[v for v in views if v.ticket.status in AT_POINT_STATUSES],
        authorisations=pending,
        tickets_by_id=tickets_by_id,
    )


def list_authorisations(
    *,
    session: Session,
    actor: Actor,
    branch_id: str,
    status: AuthorisationStatus | None = AuthorisationStatus.PENDING,
) -> Sequence[Authorisation]:
    """The authorisation queue of a branch (pending ones by default)."""
    _branch(session, actor, branch_id, Permission.VIEW)
    return repo.authorisations(session, branch_id, status=status)
