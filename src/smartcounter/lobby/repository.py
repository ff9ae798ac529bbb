"""Every query of the lobby service; services call these and never build SQL themselves.

Issuing a ticket is the hot path: its statements are built once, its writes are Core
statements rather than ORM flushes, and on PostgreSQL they are one statement, because they
run while the queue's counter row is locked (see ``next_number``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartcounter.accounts.models import AuditEntry
from smartcounter.database import table_of
from smartcounter.lobby.models import (
    AT_POINT_STATUSES,
    OPEN_STATUSES,
    TICKET_NO_DIGITS,
    VISIT_NO_DIGITS,
    Authorisation,
    AuthorisationStatus,
    Branch,
    CustomerFlag,
    DayClosure,
    LobbyEvent,
    LobbyTransaction,
    OpeningHours,
    Queue,
    QueueKind,
    Referral,
    ServicePoint,
    Staff,
    TerminalStatus,
    Ticket,
    TicketCounter,
    TicketItem,
    TicketStatus,
    TriageTouch,
    padded,
    visit_prefix,
)

# Re-exported: the lobby reads branches and staff through its repository like the rest.
from smartcounter.organisation import get_branch as get_branch
from smartcounter.organisation import get_staff as get_staff

_BRANCHES = table_of(Branch)
_QUEUES = table_of(Queue)
_POINTS = table_of(ServicePoint)
_COUNTERS = table_of(TicketCounter)
_TICKETS = table_of(Ticket)
_ITEMS = table_of(TicketItem)
_EVENTS = table_of(LobbyEvent)
_AUDIT = table_of(AuditEntry)
_INSERT_EVENT = sa.insert(_EVENTS)
_INSERT_AUDIT = sa.insert(_AUDIT)

# -- branch set-up -----------------------------------------------------------------------


def list_branches(session: Session, branch_ids: Iterable[str] | None = None) -> Sequence[Branch]:
    query = sa.select(Branch).order_by(Branch.branch_id)
    if branch_ids is not None:
        query = query.where(Branch.branch_id.in_(list(branch_ids)))
    return session.scalars(query).all()


def queues(session: Session, branch_id: str) -> Sequence[Queue]:
    query = sa.select(Queue).where(Queue.branch_id == branch_id).order_by(Queue.id)
    return session.scalars(query).all()


def queue_of(session: Session, branch_id: str, kind: QueueKind) -> Queue | None:
    query = sa.select(Queue).where(Queue.branch_id == branch_id, Queue.kind == kind)
    return session.scalars(query).first()


def points(
    session: Session, branch_id: str, *, kind: QueueKind | None = None, active_only: bool = False
) -> Sequence[ServicePoint]:
    query = sa.select(ServicePoint).where(ServicePoint.branch_id == branch_id)
    if kind is not None:
        query = query.where(ServicePoint.kind == kind)
    if active_only:
        query = query.where(ServicePoint.active.is_(True))
    return session.scalars(query.order_by(ServicePoint.kind, ServicePoint.code)).all()


def get_point(session: Session, branch_id: str, point_id: int) -> ServicePoint | None:
    point = session.get(ServicePoint, point_id)
    return point if point is not None and point.branch_id == branch_id else None


def points_by_id(session: Session, ids: Iterable[int]) -> dict[int, ServicePoint]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = session.scalars(sa.select(ServicePoint).where(ServicePoint.id.in_(wanted))).all()
    return {p.id: p for p in rows}


def staff(session: Session, branch_id: str) -> Sequence[Staff]:
    query = sa.select(Staff).where(Staff.branch_id == branch_id).order_by(Staff.staff_id)
    return session.scalars(query).all()


def hours(session: Session, branch_id: str) -> Sequence[OpeningHours]:
    query = sa.select(OpeningHours).where(OpeningHours.branch_id == branch_id)
    return session.scalars(query.order_by(OpeningHours.weekday)).all()


@dataclass(frozen=True)
class QueueRef:
    """A queue as issuing sees it: its id, kind and number prefix."""

    id: int
    kind: QueueKind
    prefix: str


@dataclass(frozen=True)
class BranchRouting:
    """What issuing a ticket reads of a branch's set-up, as plain values a worker may keep."""

    branch_id: str
    queues: Mapping[QueueKind, QueueRef]
    points: tuple[tuple[QueueKind, TerminalStatus], ...]  # the active points, by kind

    def statuses(self, kind: QueueKind) -> tuple[TerminalStatus, ...]:
        """The statuses of the active points serving ``kind``."""
        return tuple(status for k, status in self.points if k is kind)


def branch_routing(session: Session, branch_id: str) -> BranchRouting | None:
    """The branch's queues and active points; None when there is no such branch."""
    rows = session.execute(
        sa.select(_BRANCHES.c.branch_id, _QUEUES.c.id, _QUEUES.c.kind, _QUEUES.c.prefix)
        .select_from(_BRANCHES.outerjoin(_QUEUES, _QUEUES.c.branch_id == _BRANCHES.c.branch_id))
        .where(_BRANCHES.c.branch_id == branch_id)
    ).all()
    if not rows:
        return None
    queues = {
        QueueKind(kind): QueueRef(int(queue_id), QueueKind(kind), str(prefix))
        for _b, queue_id, kind, prefix in rows
        if queue_id is not None
    }
    points = session.execute(
        sa.select(_POINTS.c.kind, _POINTS.c.status)
        .where(_POINTS.c.branch_id == branch_id, _POINTS.c.active.is_(True))
        .order_by(_POINTS.c.kind, _POINTS.c.code)
    ).all()
    return BranchRouting(
        branch_id=branch_id,
        queues=queues,
        points=tuple((QueueKind(k), TerminalStatus(st)) for k, st in points),
    )


def replace_hours(session: Session, branch_id: str, rows: Iterable[OpeningHours]) -> None:
    session.execute(sa.delete(OpeningHours).where(OpeningHours.branch_id == branch_id))
    session.add_all(list(rows))


# -- ticket numbers ----------------------------------------------------------------------


def _next_number_statement(insert: Any) -> Any:
    return (
        insert(_COUNTERS)
        .values(queue_id=sa.bindparam("queue"), day=sa.bindparam("counter_day"), last_no=1)
        .on_conflict_do_update(
            index_elements=[_COUNTERS.c.queue_id, _COUNTERS.c.day],
            set_={"last_no": _COUNTERS.c.last_no + 1},
        )
        .returning(_COUNTERS.c.last_no)
    )


# The hot path's statements are built once: building one costs about as much as running it.
_NEXT_NUMBER = {
    "postgresql": _next_number_statement(postgresql.insert),
    "sqlite": _next_number_statement(sqlite.insert),
}


def next_number(session: Session, queue_id: int, day: date) -> int:
    """Take the next number of a queue's day in one statement.

    The upsert locks the counter row until the unit of work ends, so concurrent issuers
    queue up behind it and a rolled-back ticket gives its number back: numbers are
    unique and without gaps.
    """
    statement = _NEXT_NUMBER[session.get_bind().dialect.name]
    return int(session.execute(statement, {"queue": queue_id, "counter_day": day}).scalar_one())


# -- tickets -----------------------------------------------------------------------------

_QUEUE_NOW = sa.select(
    sa.select(sa.func.count())
    .select_from(_TICKETS)
    .where(
        _TICKETS.c.branch_id == sa.bindparam("branch"),
        _TICKETS.c.day == sa.bindparam("queue_day"),
        _TICKETS.c.queue == sa.bindparam("kind", type_=_TICKETS.c.queue.type),
        _TICKETS.c.status == TicketStatus.WAITING,
        _TICKETS.c.issued_at <= sa.bindparam("at"),
    )
    .scalar_subquery(),
    sa.select(_COUNTERS.c.last_no)
    .where(
        _COUNTERS.c.queue_id == sa.bindparam("queue"), _COUNTERS.c.day == sa.bindparam("queue_day")
    )
    .scalar_subquery(),
)


def queue_now(
    session: Session, *, branch_id: str, day: date, queue: QueueKind, queue_id: int, at: datetime
) -> tuple[int, int]:
    """How many wait in a queue, and the last number its counter gave (0 for none yet).

    Read before taking a number, without the counter's lock: a new ticket's position is
    those waiting then, plus the tickets numbered since (they were issued meanwhile).
    """
    waiting, last = session.execute(
        _QUEUE_NOW,
        {"branch": branch_id, "queue_day": day, "kind": queue, "at": at, "queue": queue_id},
    ).one()
    return int(waiting or 0), int(last or 0)


def _values(entity: object, table: sa.Table, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """A new ORM object's column values (but its generated id), for a Core INSERT."""
    skipped = {"id", *leave_out}
    return {c.key: getattr(entity, c.key) for c in table.columns if c.key not in skipped}


def _bound(table: sa.Table, prefix: str, leave_out: Iterable[str]) -> list[sa.ColumnElement[Any]]:
    skipped = {"id", *leave_out}
    return [
        sa.bindparam(f"{prefix}_{c.key}", type_=c.type)
        for c in table.columns
        if c.key not in skipped
    ]


def _names(table: sa.Table, leave_out: Iterable[str]) -> list[str]:
    skipped = {"id", *leave_out}
    return [c.key for c in table.columns if c.key not in skipped]


def _padded_sql(number: sa.ColumnElement[int], digits: int) -> sa.ColumnElement[str]:
    """SQL for ``models.padded``: at least ``digits`` digits, zero-padded."""
    text = sa.cast(number, sa.String)
    return sa.case((number < 10**digits, sa.func.lpad(text, digits, "0")), else_=text)


_NUMBERED = ("number", "ticket_no", "visit_id")


def _issue_statement() -> sa.Select[int, int, str, str]:
    """PostgreSQL: number a new ticket and write it, its items, event and audit entry.

    One statement, so that the counter row it locks is held for no client round trip but
    the commit's. Returns the ticket's id, number, ticket number and visit id.
    """
    counter = (
        postgresql.insert(_COUNTERS)
        .values(queue_id=sa.bindparam("ticket_queue_id"), day=sa.bindparam("ticket_day"), last_no=1)
        .on_conflict_do_update(
            index_elements=[_COUNTERS.c.queue_id, _COUNTERS.c.day],
            set_={"last_no": _COUNTERS.c.last_no + 1},
        )
        .returning(_COUNTERS.c.last_no)
        .cte("counter")
    )
    number = counter.c.last_no
    ticket = (
        sa.insert(_TICKETS)
        .from_select(
            [*_names(_TICKETS, _NUMBERED), *_NUMBERED],
            sa.select(
                *_bound(_TICKETS, "ticket", _NUMBERED),
                number,
                sa.bindparam("prefix", type_=sa.String) + _padded_sql(number, TICKET_NO_DIGITS),
                sa.bindparam("visit", type_=sa.String) + _padded_sql(number, VISIT_NO_DIGITS),
            ).select_from(counter),
        )
        .returning(_TICKETS.c.id, _TICKETS.c.number, _TICKETS.c.ticket_no, _TICKETS.c.visit_id)
        .cte("new_ticket")
    )
    item_columns = _names(_ITEMS, ["ticket_id"])
    declared = (
        sa.func.unnest(
            *(
                sa.bindparam(f"items_{key}", type_=postgresql.ARRAY(_ITEMS.c[key].type))
                for key in item_columns
            )
        )
        .table_valued(*item_columns)
        .render_derived(name="item")
    )
    items = (
        sa.insert(_ITEMS)
        .from_select(
            ["ticket_id", *item_columns],
            # One new ticket times its declared items: a join on nothing.
            sa.select(ticket.c.id, *(declared.c[key] for key in item_columns)).select_from(
                ticket.join(declared, sa.true())
            ),
        )
        .cte("new_items")
    )
    event = (
        sa.insert(_EVENTS)
        .from_select(
            [*_names(_EVENTS, ["ticket_no"]), "ticket_no"],
            sa.select(*_bound(_EVENTS, "event", ["ticket_no"]), ticket.c.ticket_no),
        )
        .cte("new_event")
    )
    audit = (
        sa.insert(_AUDIT)
        .from_select(
            [*_names(_AUDIT, ["target"]), "target"],
            sa.select(*_bound(_AUDIT, "audit", ["target"]), ticket.c.ticket_no),
        )
        .cte("new_audit")
    )
    return sa.select(ticket.c.id, ticket.c.number, ticket.c.ticket_no, ticket.c.visit_id).add_cte(
        items, event, audit
    )


_ISSUE_POSTGRESQL = _issue_statement()
_INSERT_TICKET = sa.insert(_TICKETS).returning(_TICKETS.c.id)
_INSERT_ITEMS = sa.insert(_ITEMS)


def add_numbered_ticket(
    session: Session,
    ticket: Ticket,
    items: Sequence[TicketItem],
    *,
    prefix: str,
    event: Mapping[str, Any],
    audit_entry: Mapping[str, Any],
) -> None:
    """Take the next number of the ticket's queue and write the ticket with it.

    Writes its items, its lobby event and audit entry too (both name the ticket number),
    and sets the ticket's id, number, ticket number and visit id and the items' ticket.
    From the number on, the queue's counter row stays locked until commit (see
    ``next_number``): on PostgreSQL all this is one statement, since every round trip
    would hold it longer; SQLite has no writing CTEs, and holds its one write lock from
    the transaction's start anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        params: dict[str, Any] = {
            f"ticket_{k}": v for k, v in _values(ticket, _TICKETS, leave_out=_NUMBERED).items()
        }
        params["prefix"] = prefix
        params["visit"] = visit_prefix(ticket.branch_id, ticket.day, ticket.queue)
        rows = [_values(i, _ITEMS, leave_out=["ticket_id"]) for i in items]
        for key in _names(_ITEMS, ["ticket_id"]):
            params[f"items_{key}"] = [row[key] for row in rows]
        params.update({f"event_{k}": v for k, v in event.items() if k != "ticket_no"})
        params.update({f"audit_{k}": v for k, v in audit_entry.items() if k != "target"})
        ticket_id, number, ticket_no, visit_id = session.execute(_ISSUE_POSTGRESQL, params).one()
        ticket.id, ticket.number, ticket.ticket_no, ticket.visit_id = (
            int(ticket_id),
            int(number),
            str(ticket_no),
            str(visit_id),
        )
    else:
        number = next_number(session, ticket.queue_id, ticket.day)
        ticket.number = number
        ticket.ticket_no = prefix + padded(number, TICKET_NO_DIGITS)
        ticket.visit_id = visit_prefix(ticket.branch_id, ticket.day, ticket.queue) + padded(
            number, VISIT_NO_DIGITS
        )
        ticket.id = int(session.execute(_INSERT_TICKET, _values(ticket, _TICKETS)).scalar_one())
        session.execute(
            _INSERT_ITEMS, [{**_values(i, _ITEMS), "ticket_id": ticket.id} for i in items]
        )
        session.execute(_INSERT_EVENT, {**event, "ticket_no": ticket.ticket_no})
        session.execute(_INSERT_AUDIT, {**audit_entry, "target": ticket.ticket_no})
    for item in items:
        item.ticket_id = ticket.id


def get_ticket(
    session: Session, branch_id: str, ticket_id: int, *, for_update: bool = False
) -> Ticket | None:
    query = sa.select(Ticket).where(Ticket.id == ticket_id, Ticket.branch_id == branch_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def items_of(session: Session, ticket_ids: Iterable[int]) -> dict[int, list[TicketItem]]:
    wanted = list(set(ticket_ids))
    out: dict[int, list[TicketItem]] = defaultdict(list)
    if not wanted:
        return out
    query = sa.select(TicketItem).where(TicketItem.ticket_id.in_(wanted)).order_by(TicketItem.seq)
    for item in session.scalars(query):
        out[item.ticket_id].append(item)
    return out


def tickets_of_day(
    session: Session,
    branch_id: str,
    day: date,
    *,
    statuses: Sequence[TicketStatus] | None = None,
    queue: QueueKind | None = None,
    limit: int | None = None,
) -> Sequence[Ticket]:
    query = sa.select(Ticket).where(Ticket.branch_id == branch_id, Ticket.day == day)
    if statuses is not None:
        query = query.where(Ticket.status.in_(list(statuses)))
    if queue is not None:
        query = query.where(Ticket.queue == queue)
    query = query.order_by(Ticket.issued_at, Ticket.id)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


_AHEAD = (
    sa.select(sa.func.count())
    .select_from(_TICKETS)
    .where(
        _TICKETS.c.branch_id == sa.bindparam("branch"),
        _TICKETS.c.day == sa.bindparam("ticket_day"),
        _TICKETS.c.queue == sa.bindparam("ticket_queue", type_=_TICKETS.c.queue.type),
        _TICKETS.c.status == TicketStatus.WAITING,
        sa.or_(
            _TICKETS.c.issued_at < sa.bindparam("issued"),
            sa.and_(
                _TICKETS.c.issued_at == sa.bindparam("issued"),
                _TICKETS.c.id < sa.bindparam("ticket"),
            ),
        ),
    )
)


def position(session: Session, ticket: Ticket) -> int:
    """1 for the next customer to be called in the ticket's queue."""
    ahead = session.scalar(
        _AHEAD,
        {
            "branch": ticket.branch_id,
            "ticket_day": ticket.day,
            "ticket_queue": ticket.queue,
            "issued": ticket.issued_at,
            "ticket": ticket.id,
        },
    )
    return int(ahead or 0) + 1


def waiting_counts(session: Session, branch_id: str, day: date) -> dict[QueueKind, int]:
    query = (
        sa.select(Ticket.queue, sa.func.count())
        .where(
            Ticket.branch_id == branch_id, Ticket.day == day, Ticket.status == TicketStatus.WAITING
        )
        .group_by(Ticket.queue)
    )
    return {QueueKind(q): int(n) for q, n in session.execute(query)}


def busy_counts(session: Session, branch_id: str, day: date) -> dict[QueueKind, int]:
    query = (
        sa.select(Ticket.queue, sa.func.count())
        .where(
            Ticket.branch_id == branch_id,
            Ticket.day == day,
            Ticket.status.in_(list(AT_POINT_STATUSES)),
        )
        .group_by(Ticket.queue)
    )
    return {QueueKind(q): int(n) for q, n in session.execute(query)}


def ticket_at_point(session: Session, point_id: int) -> Ticket | None:
    query = sa.select(Ticket).where(
        Ticket.point_id == point_id, Ticket.status.in_(list(AT_POINT_STATUSES))
    )
    return session.scalars(query.order_by(Ticket.id)).first()


def tickets_at_points(session: Session, branch_id: str) -> dict[int, Ticket]:
    query = sa.select(Ticket).where(
        Ticket.branch_id == branch_id,
        Ticket.point_id.is_not(None),
        Ticket.status.in_(list(AT_POINT_STATUSES)),
    )
    return {t.point_id: t for t in session.scalars(query) if t.point_id is not None}


def next_waiting(session: Session, branch_id: str, day: date, queue: QueueKind) -> Ticket | None:
    """The first waiting ticket of a queue, locked; another window skips it rather than wait."""
    query = (
        sa.select(Ticket)
        .where(
            Ticket.branch_id == branch_id,
            Ticket.day == day,
            Ticket.queue == queue,
            Ticket.status == TicketStatus.WAITING,
        )
        .order_by(Ticket.issued_at, Ticket.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).first()


def recently_called(session: Session, branch_id: str, day: date, limit: int) -> Sequence[Ticket]:
    query = (
        sa.select(Ticket)
        .where(
            Ticket.branch_id == branch_id,
            Ticket.day == day,
            Ticket.last_called_at.is_not(None),
            Ticket.status.in_(list(AT_POINT_STATUSES)),
        )
        .order_by(Ticket.last_called_at.desc())
        .limit(limit)
    )
    return session.scalars(query).all()


def open_tickets_until(session: Session, branch_id: str, day: date) -> Sequence[Ticket]:
    query = sa.select(Ticket).where(
        Ticket.branch_id == branch_id, Ticket.day <= day, Ticket.status.in_(list(OPEN_STATUSES))
    )
    return session.scalars(query).all()


def recent_leg_seconds(
    session: Session, branch_id: str, queue: QueueKind, since: datetime, limit: int
) -> list[float]:
    """Service times of the latest legs served in ``queue`` (a leg may hold several items)."""
    query = (
        sa.select(sa.func.sum(LobbyTransaction.duration_s))
        .where(
            LobbyTransaction.branch_id == branch_id,
            LobbyTransaction.queue == queue,
            LobbyTransaction.ts >= since,
        )
        .group_by(LobbyTransaction.ticket_id, LobbyTransaction.ts)
        .order_by(LobbyTransaction.ts.desc())
        .limit(limit)
    )
    return [float(v) for v in session.scalars(query) if v is not None]


# -- triage, authorisations, referrals, flags -------------------------------------------------


def touches_of(session: Session, ticket_ids: Iterable[int]) -> dict[int, list[TriageTouch]]:
    wanted = list(set(ticket_ids))
    out: dict[int, list[TriageTouch]] = defaultdict(list)
    if not wanted:
        return out
    query = (
        sa.select(TriageTouch)
        .where(TriageTouch.ticket_id.in_(wanted))
        .order_by(TriageTouch.ts, TriageTouch.id)
    )
    for touch in session.scalars(query):
        out[touch.ticket_id].append(touch)
    return out


def authorisations(
    session: Session,
    branch_id: str,
    *,
    status: AuthorisationStatus | None = None,
    ticket_id: int | None = None,
) -> Sequence[Authorisation]:
    query = sa.select(Authorisation).where(Authorisation.branch_id == branch_id)
    if status is not None:
        query = query.where(Authorisation.status == status)
    if ticket_id is not None:
        query = query.where(Authorisation.ticket_id == ticket_id)
    return session.scalars(query.order_by(Authorisation.requested_at, Authorisation.id)).all()


def get_authorisation(
    session: Session, branch_id: str, authorisation_id: int
) -> Authorisation | None:
    found = session.get(Authorisation, authorisation_id, with_for_update=True)
    return found if found is not None and found.branch_id == branch_id else None


def referrals_of(session: Session, ticket_ids: Iterable[int]) -> dict[int, list[Referral]]:
    wanted = list(set(ticket_ids))
    out: dict[int, list[Referral]] = defaultdict(list)
    if wanted:
        for referral in session.scalars(sa.select(Referral).where(Referral.ticket_id.in_(wanted))):
            out[referral.ticket_id].append(referral)
    return out


def customer_flag(session: Session, customer_id: str) -> CustomerFlag | None:
    return session.get(CustomerFlag, customer_id)


def set_customer_flag(
    session: Session,
    *,
    customer_id: str,
    follow_up: bool,
    reason: str | None,
    branch_id: str,
    at: datetime,
) -> None:
    flag = session.get(CustomerFlag, customer_id)
    if flag is None:
        session.add(
            CustomerFlag(
                customer_id=customer_id,
                follow_up=follow_up,
                reason=reason,
                branch_id=branch_id,
                updated_at=at,
            )
        )
    else:
        flag.follow_up = follow_up
        flag.reason = reason
        flag.branch_id = branch_id
        flag.updated_at = at


# -- live updates ------------------------------------------------------------------------


def event_row(
    *,
    branch_id: str,
    kind: str,
    at: datetime,
    ticket_no: str | None = None,
    point_code: str | None = None,
) -> dict[str, Any]:
    """The row of a lobby event: something changed in a branch's lobby."""
    return {
        "branch_id": branch_id,
        "kind": kind,
        "ticket_no": ticket_no,
        "point_code": point_code,
        "created_at": at,
    }


def add_event(
    session: Session,
    *,
    branch_id: str,
    kind: str,
    at: datetime,
    ticket_no: str | None = None,
    point_code: str | None = None,
) -> None:
    """Record that a branch's lobby changed (one INSERT, at once: no flush needed)."""
    session.execute(
        _INSERT_EVENT,
        event_row(
            branch_id=branch_id, kind=kind, at=at, ticket_no=ticket_no, point_code=point_code
        ),
    )


def event_marker(session: Session, branch_id: str, since: datetime) -> tuple[int, int]:
    """(count, newest id) of a branch's events since ``since``; changes when any commits.

    The count matters: ids are taken at insert, so one committed later than a higher id
    leaves the newest id unchanged.
    """
    row = session.execute(
        sa.select(sa.func.count(), sa.func.max(LobbyEvent.id)).where(
            LobbyEvent.branch_id == branch_id, LobbyEvent.created_at >= since
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def prune_events(session: Session, branch_id: str, before: datetime) -> None:
    session.execute(
        sa.delete(LobbyEvent).where(
            LobbyEvent.branch_id == branch_id, LobbyEvent.created_at < before
        )
    )


# -- close of day ------------------------------------------------------------------------


def transactions_of_tickets(
    session: Session, ticket_ids: Iterable[int]
) -> Sequence[LobbyTransaction]:
    wanted = list(set(ticket_ids))
    if not wanted:
        return []
    query = (
        sa.select(LobbyTransaction)
        .where(LobbyTransaction.ticket_id.in_(wanted))
        .order_by(LobbyTransaction.ts, LobbyTransaction.id)
    )
    return session.scalars(query).all()


def closure(session: Session, branch_id: str, day: date) -> DayClosure | None:
    query = sa.select(DayClosure).where(DayClosure.branch_id == branch_id, DayClosure.day == day)
    return session.scalars(query).first()


def closures(session: Session, branch_id: str, limit: int = 30) -> Sequence[DayClosure]:
    query = (
        sa.select(DayClosure)
        .where(DayClosure.branch_id == branch_id)
        .order_by(DayClosure.day.desc())
        .limit(limit)
    )
    return session.scalars(query).all()
