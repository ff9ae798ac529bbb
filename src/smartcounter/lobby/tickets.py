"""Issuing tickets (取号): routing by the catalogue, numbering, first triage at the door."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Actor, Permission
from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.customers import customer_hash, mask
from smartcounter.lobby.day import ensure_day_open
from smartcounter.lobby.errors import BranchNotFound, Invalid, NothingToTriage
from smartcounter.lobby.lookups import check_codes, check_reason
from smartcounter.lobby.models import (
    ItemStatus,
    QueueKind,
    Ticket,
    TicketItem,
    TicketStatus,
)
from smartcounter.lobby.prompts import evaluate
from smartcounter.lobby.routing import PlannedItem, plan_items
from smartcounter.lobby.schemas import TicketCreate
from smartcounter.lobby.triage import decline_reason, touch
from smartcounter.lobby.views import TicketView, customer_facts, queue_load, queue_notices
from smartcounter.lobby.waits import QueueLoad, estimate_wait_s


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


def routing_of(session: Session, ctx: LobbyContext, branch_id: str) -> repo.BranchRouting:
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


def _seen(
    session: Session,
    ctx: LobbyContext,
    routing: repo.BranchRouting,
    queue: repo.QueueRef,
    day: date,
    now: datetime,
) -> _QueueSeen:
    """The queue's load, length and last number, from this worker's copy if still fresh."""
    branch_id = routing.branch_id
    key = (branch_id, day, queue.kind)
    seen = ctx.loads.get(key)
    if isinstance(seen, _QueueSeen):
        return seen
    waiting, last_no = repo.queue_now(
        session, branch_id=branch_id, day=day, queue=queue.kind, queue_id=queue.id, at=now
    )
    load = queue_load(session, ctx, branch_id, day, queue.kind, routing.statuses(queue.kind))
    seen = _QueueSeen(load=load, waiting=waiting, last_no=last_no)
    ctx.loads.put(key, seen)
    return seen


def _items(declared_codes: Sequence[str], planned: Sequence[PlannedItem]) -> list[TicketItem]:
    """The ticket's items, each keeping the place it was declared in (``seq``)."""
    declared = list(enumerate(declared_codes))
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
    return items


def _declined_reason(ctx: LobbyContext, ticket_in: TicketCreate) -> str | None:
    """Why the customer declined at the door, or None without a decline there."""
    triage = ticket_in.triage
    if triage is None:
        return None
    migratable = [c for c in ticket_in.business if ctx.catalogue[c].migratable]
    if not migratable:
        raise NothingToTriage()
    return decline_reason(triage.outcome, triage.reason)


def _new_ticket(
    ctx: LobbyContext,
    ticket_in: TicketCreate,
    actor: Actor,
    branch_id: str,
    queue: repo.QueueRef,
    now: datetime,
) -> Ticket:
    number = ticket_in.customer_id
    return Ticket(
        branch_id=branch_id,
        day=ctx.local_day(now),
        queue_id=queue.id,
        queue=queue.kind,
        status=TicketStatus.WAITING,
        point_id=None,
        # The card number itself goes no further than this: hashed to link, masked to show.
        customer_id=customer_hash(ctx.settings.customer_key, number) if number else None,
        customer_mask=mask(number) if number else None,
        age_band=ticket_in.age_band,
        customer_tier=ticket_in.customer_tier,
        has_mobile_banking=ticket_in.has_mobile_banking,
        follow_up=False,
        issued_at=now,
        issued_by=actor.staff_id,
        called_at=None,
        last_called_at=None,
        served_from=None,
        finished_at=None,
        recalls=0,
    )


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
    routing = routing_of(session, ctx, branch_id)
    triage = ticket_in.triage
    if triage is not None:
        actor.require(Permission.TRIAGE_1, branch_id)
        check_reason(triage.reason)
    check_codes(ctx, ticket_in.business)
    declined_reason = _declined_reason(ctx, ticket_in)
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
    ensure_day_open(session, branch_id, day)
    ticket = _new_ticket(ctx, ticket_in, actor, branch_id, queue, now)
    if ticket.customer_id:
        flag = repo.customer_flag(session, ticket.customer_id)
        ticket.follow_up = bool(flag and flag.follow_up)
    # Everything that only reads comes before the number: its counter row stays locked
    # until commit, so the less work after it, the more tickets per second a queue issues.
    seen = _seen(session, ctx, routing, queue, day, now)
    items = _items(ticket_in.business, planned)
    prompts = evaluate(ctx.rules.prompts, customer_facts(ctx, ticket, items))
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
        touches.append(touch(session, ctx, actor, ticket, 1, triage.outcome, declined_reason))
        session.flush()
    return TicketView(
        ticket=ticket,
        items=items,
        position=position,
        wait_s=estimate_wait_s(position - 1, seen.load, slow_factor=ctx.settings.slow_factor),
        prompts=prompts,
        touches=touches,
        notices=queue_notices(seen.load, first),
    )
