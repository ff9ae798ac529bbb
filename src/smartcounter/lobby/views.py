"""What the pages show: tickets with position, wait and prompts; the board; the tablet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from smartcounter.accounts.roles import Actor, Permission
from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.errors import TicketNotFound
from smartcounter.lobby.lookups import find_branch
from smartcounter.lobby.models import (
    AT_POINT_STATUSES,
    OPEN_STATUSES,
    Authorisation,
    AuthorisationStatus,
    Branch,
    QueueKind,
    Referral,
    ServicePoint,
    TerminalStatus,
    Ticket,
    TicketItem,
    TicketStatus,
    TriageTouch,
)
from smartcounter.lobby.prompts import CustomerFacts, Prompt, evaluate
from smartcounter.lobby.routing import alternatives_for
from smartcounter.lobby.waits import QueueLoad, estimate_wait_s, mean_or_default

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


@dataclass(frozen=True)
class AuthorisationView:
    """An authorisation with its ticket and the smart counter waiting for it."""

    authorisation: Authorisation
    ticket: Ticket | None
    point: ServicePoint | None


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


def queue_load(
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


def queue_loads(
    session: Session, ctx: LobbyContext, branch_id: str, day: date
) -> dict[QueueKind, QueueLoad]:
    busy = repo.busy_counts(session, branch_id, day)
    pending = len(repo.authorisations(session, branch_id, status=AuthorisationStatus.PENDING))
    active = repo.points(session, branch_id, active_only=True)
    return {
        kind: queue_load(
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


def queue_notices(load: QueueLoad, kind: QueueKind) -> list[str]:
    if not load.points:
        return [f"lobby.notice.{kind.value}_none"]
    if all(s is TerminalStatus.DOWN for s in load.points):
        return [f"lobby.notice.{kind.value}_down"]
    if any(s is TerminalStatus.SLOW for s in load.points):
        return [f"lobby.notice.{kind.value}_slow"]
    if kind is QueueKind.STM and load.pending_authorisations:
        return ["lobby.notice.stm_authorising"]
    return []


def customer_facts(ctx: LobbyContext, ticket: Ticket, items: Sequence[TicketItem]) -> CustomerFacts:
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


def views_of(
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
            prompts=evaluate(ctx.rules.prompts, customer_facts(ctx, ticket, mine)),
            point=points.get(ticket.point_id) if ticket.point_id else None,
            touches=touches.get(ticket.id, []),
            referrals=referrals.get(ticket.id, []),
        )
        if ticket.status is TicketStatus.WAITING:
            loads = (
                loads
                if loads is not None
                else queue_loads(session, ctx, ticket.branch_id, ticket.day)
            )
            load = loads[ticket.queue]
            view.position = repo.position(session, ticket)
            view.wait_s = estimate_wait_s(
                view.position - 1, load, slow_factor=ctx.settings.slow_factor
            )
            view.notices = queue_notices(load, ticket.queue)
        if ticket.status in AT_POINT_STATUSES:
            view.authorisations = list(
                repo.authorisations(session, ticket.branch_id, ticket_id=ticket.id)
            )
        views.append(view)
    return views


def ticket_view(*, session: Session, ctx: LobbyContext, ticket: Ticket) -> TicketView:
    """The ticket with its position, wait estimate, prompts and notices."""
    return views_of(session, ctx, [ticket])[0]


def get_ticket(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, ticket_id: int
) -> TicketView:
    """One ticket of a branch."""
    find_branch(session, actor, branch_id, Permission.VIEW)
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
    find_branch(session, actor, branch_id, Permission.VIEW)
    when = day or ctx.today()
    tickets = repo.tickets_of_day(
        session, branch_id, when, statuses=statuses, queue=queue, limit=limit
    )
    return views_of(session, ctx, tickets, queue_loads(session, ctx, branch_id, when))


def board(*, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str) -> BoardView:
    """The public board: numbers called to points, queue lengths, waits, terminal notices."""
    branch = find_branch(session, actor, branch_id, Permission.BOARD)
    day = ctx.today()
    loads = queue_loads(session, ctx, branch_id, day)
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
                notices=queue_notices(load, queue.kind),
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
    find_branch(session, actor, branch_id, Permission.VIEW)
    day = ctx.today()
    board_view = board(session=session, ctx=ctx, actor=actor, branch_id=branch_id)
    loads = queue_loads(session, ctx, branch_id, day)
    open_tickets = repo.tickets_of_day(session, branch_id, day, statuses=OPEN_STATUSES)
    views = views_of(session, ctx, open_tickets, loads)
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
    find_branch(session, actor, branch_id, Permission.VIEW)
    return repo.authorisations(session, branch_id, status=status)


def authorisation_views(
    *, session: Session, branch_id: str, rows: Sequence[Authorisation]
) -> list[AuthorisationView]:
    """``rows`` with their tickets and points, for the authorisation queue and its answers."""
    tickets: dict[int, Ticket] = {}
    for ticket_id in {a.ticket_id for a in rows}:
        found = repo.get_ticket(session, branch_id, ticket_id)
        if found is not None:
            tickets[found.id] = found
    points = repo.points_by_id(session, [a.point_id for a in rows if a.point_id is not None])
    return [
        AuthorisationView(
            authorisation=a,
            ticket=tickets.get(a.ticket_id),
            point=points.get(a.point_id) if a.point_id is not None else None,
        )
        for a in rows
    ]
