"""Every query of the lobby service; services call these and never build SQL themselves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartcounter.lobby.models import (
    AT_POINT_STATUSES,
    OPEN_STATUSES,
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
    Ticket,
    TicketCounter,
    TicketItem,
    TicketStatus,
    TriageTouch,
)

# -- branch set-up -----------------------------------------------------------------------


def get_branch(session: Session, branch_id: str) -> Branch | None:
    return session.get(Branch, branch_id)


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


def get_staff(session: Session, staff_id: str) -> Staff | None:
    return session.get(Staff, staff_id)


def hours(session: Session, branch_id: str) -> Sequence[OpeningHours]:
    query = sa.select(OpeningHours).where(OpeningHours.branch_id == branch_id)
    return session.scalars(query.order_by(OpeningHours.weekday)).all()


def replace_hours(session: Session, branch_id: str, rows: Iterable[OpeningHours]) -> None:
    session.execute(sa.delete(OpeningHours).where(OpeningHours.branch_id == branch_id))
    session.add_all(list(rows))


# -- ticket numbers ----------------------------------------------------------------------


def next_number(session: Session, queue_id: int, day: date) -> int:
    """Take the next number of a queue's day in one statement.

    The upsert locks the counter row until the unit of work ends, so concurrent issuers
    queue up behind it and a rolled-back ticket gives its number back: numbers are
    unique and without gaps.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(TicketCounter)
        .values(queue_id=queue_id, day=day, last_no=1)
        .on_conflict_do_update(
            index_elements=[TicketCounter.queue_id, TicketCounter.day],
            set_={"last_no": TicketCounter.last_no + 1},
        )
        .returning(TicketCounter.last_no)
    )
    return int(session.execute(statement).scalar_one())


# -- tickets -----------------------------------------------------------------------------


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


def position(session: Session, ticket: Ticket) -> int:
    """1 for the next customer to be called in the ticket's queue."""
    ahead = session.scalar(
        sa.select(sa.func.count())
        .select_from(Ticket)
        .where(
            Ticket.branch_id == ticket.branch_id,
            Ticket.day == ticket.day,
            Ticket.queue == ticket.queue,
            Ticket.status == TicketStatus.WAITING,
            sa.or_(
                Ticket.issued_at < ticket.issued_at,
                sa.and_(Ticket.issued_at == ticket.issued_at, Ticket.id < ticket.id),
            ),
        )
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


def add_event(
    session: Session,
    *,
    branch_id: str,
    kind: str,
    at: datetime,
    ticket_no: str | None = None,
    point_code: str | None = None,
) -> None:
    session.add(
        LobbyEvent(
            branch_id=branch_id,
            kind=kind,
            ticket_no=ticket_no,
            point_code=point_code,
            created_at=at,
        )
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
