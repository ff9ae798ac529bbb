"""Close of day: the day's visits, transactions and triage into the analytics store.

The rows go through ``ingest_sources``, the import path of bank exports, so they are
checked alike. Their ids come from the lobby's own (visit ``<branch>-<date>-<queue>-<n>``,
transaction ``<visit>-<item>``, triage ``(visit, stage, second)``), so closing a day twice
imports nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl
from sqlalchemy.orm import Session

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Actor, Permission
from smartcounter.canonical.tables import BRANCHES, STAFF, TRANSACTIONS, TRIAGE, VISITS, Table
from smartcounter.ingest.report import ImportReport
from smartcounter.ingest.service import IngestOptions, Source, frame_source, ingest_sources
from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.day import ExpiredTicket, ensure_closable, expire_open_tickets
from smartcounter.lobby.errors import BranchNotFound, CloseNotConfirmed
from smartcounter.lobby.models import (
    OPEN_STATUSES,
    DayClosure,
    LobbyTransaction,
    QueueKind,
    Ticket,
    TicketItem,
    TriageTouch,
)
from smartcounter.metrics.api import Metrics
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.metrics.period import Period
from smartcounter.store.layout import Store

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass
class CloseDayResult:
    """What closing the day did: per-branch figures, the import report, tickets expired."""

    day: date
    closures: list[DayClosure]
    report: ImportReport
    expired_tickets: list[ExpiredTicket]

    @property
    def expired(self) -> int:
        """How many customers the close turned away."""
        return len(self.expired_tickets)


def _stamp(ctx: LobbyContext, moment: datetime | None) -> str | None:
    return ctx.local(moment).strftime(TIMESTAMP_FORMAT) if moment is not None else None


def _frame(table: Table, rows: Sequence[Mapping[str, object]]) -> pl.DataFrame:
    schema = dict.fromkeys(table.column_names, pl.String)
    text = [{k: (None if v is None else str(v)) for k, v in row.items()} for row in rows]
    return pl.DataFrame(text, schema=schema)


def _branches_to_close(
    session: Session, actor: Actor, branch_ids: Sequence[str] | None
) -> list[str]:
    if branch_ids is None:
        branch_ids = [
            b.branch_id
            for b in repo.list_branches(session)
            if actor.can(Permission.CLOSE_DAY, b.branch_id)
        ]
    for branch_id in branch_ids:
        actor.require(Permission.CLOSE_DAY, branch_id)
        if repo.get_branch(session, branch_id) is None:
            raise BranchNotFound(branch_id=branch_id)
    return list(branch_ids)


@dataclass
class _DayRows:
    """The day's lobby rows, as the store's tables want them."""

    tickets: list[Ticket]
    transactions: Sequence[LobbyTransaction]
    touches: Mapping[int, Sequence[TriageTouch]]
    sources: list[Source]


def _visit_rows(
    ctx: LobbyContext, tickets: Sequence[Ticket], items: Mapping[int, Sequence[TicketItem]]
) -> list[dict[str, object]]:
    return [
        {
            "visit_id": t.visit_id,
            "branch_id": t.branch_id,
            "issued_at": _stamp(ctx, t.issued_at),
            "ticket_no": t.ticket_no,
            "intent": items[t.id][0].business_code if items.get(t.id) else None,
            # The keyed hash: repeat visits link, the card number is not in the store.
            "customer_id": t.customer_id,
            "age_band": t.age_band,
            "customer_tier": t.customer_tier,
            "called_at": _stamp(ctx, t.called_at),
            "finished_at": _stamp(ctx, t.finished_at),
        }
        for t in tickets
    ]


def _transaction_rows(
    ctx: LobbyContext, transactions: Sequence[LobbyTransaction], visit_of: Mapping[int, str]
) -> list[dict[str, object]]:
    return [
        {
            "txn_id": x.txn_id,
            "branch_id": x.branch_id,
            "ts": _stamp(ctx, x.ts),
            "business_code": x.business_code,
            "channel": x.channel,
            "staff_id": x.staff_id,
            "visit_id": visit_of[x.ticket_id],
            "customer_id": x.customer_id,
            "reason": x.reason,
            "duration_s": x.duration_s,
        }
        for x in transactions
    ]


def _setup_rows(
    session: Session, branch_ids: Sequence[str]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    branch_rows: list[dict[str, object]] = []
    staff_rows: list[dict[str, object]] = []
    for branch_id in branch_ids:
        branch = repo.get_branch(session, branch_id)
        assert branch is not None
        active = repo.points(session, branch_id, active_only=True)
        branch_rows.append(
            {
                "branch_id": branch.branch_id,
                "name": branch.name,
                "region": branch.region,
                "branch_type": branch.branch_type,
                "staff_count": branch.staff_count,
                "smart_counters": sum(p.kind is QueueKind.STM for p in active),
                "teller_windows": sum(p.kind is QueueKind.TELLER for p in active),
            }
        )
        staff_rows.extend(
            {"staff_id": s.staff_id, "branch_id": s.branch_id, "name": s.name, "role": s.role}
            for s in repo.staff(session, branch_id)
        )
    return branch_rows, staff_rows


def _day_rows(
    session: Session, ctx: LobbyContext, branch_ids: Sequence[str], day: date
) -> _DayRows:
    tickets = [t for b in branch_ids for t in repo.tickets_of_day(session, b, day)]
    assert all(t.status not in OPEN_STATUSES for t in tickets)
    items = repo.items_of(session, [t.id for t in tickets])
    visit_of = {t.id: t.visit_id for t in tickets}
    transactions = repo.transactions_of_tickets(session, visit_of)
    touches = repo.touches_of(session, visit_of)
    triage_rows = [
        {
            "visit_id": visit_of[ticket_id],
            "stage": touch.stage,
            "staff_id": touch.staff_id,
            "ts": _stamp(ctx, touch.ts),
            "outcome": touch.outcome.value,
            "reason": touch.reason,
        }
        for ticket_id, mine in touches.items()
        for touch in mine
    ]
    branch_rows, staff_rows = _setup_rows(session, branch_ids)
    label = f"lobby:{day.isoformat()}"
    visits = _visit_rows(ctx, tickets, items)
    txns = _transaction_rows(ctx, transactions, visit_of)
    sources: list[Source] = [
        frame_source(f"{label}:branches", BRANCHES, _frame(BRANCHES, branch_rows)),
        frame_source(f"{label}:visits", VISITS, _frame(VISITS, visits)),
        frame_source(f"{label}:transactions", TRANSACTIONS, _frame(TRANSACTIONS, txns)),
        frame_source(f"{label}:triage", TRIAGE, _frame(TRIAGE, triage_rows)),
    ]
    if staff_rows:
        sources.insert(1, frame_source(f"{label}:staff", STAFF, _frame(STAFF, staff_rows)))
    return _DayRows(tickets=tickets, transactions=transactions, touches=touches, sources=sources)


def _store_counts(store: Store, day: date) -> dict[str, tuple[int, int]]:
    """Migratable and migrated per branch for ``day``, by the metrics definitions."""
    period = Period.dates(day, day)
    with Metrics(DuckDBEngine(store)) as metrics:
        frame = metrics.rates(["branch"], period)
    return {
        str(row["branch_id"]): (int(row["migratable"] or 0), int(row["migrated"] or 0))
        for row in frame.iter_rows(named=True)
    }


def close_day(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    store: Store,
    day: date,
    branch_ids: Sequence[str] | None = None,
    options: IngestOptions | None = None,
    confirm: bool = True,
) -> CloseDayResult:
    """Expire the day's unserved tickets and import the day into the store (日终).

    Only today or a past day with tickets; ``confirm`` must be given (the pages ask).
    The migratable and migrated counts are read back from the store by the metrics
    definitions, so that the close reports what the dashboards will show.
    """
    branches = _branches_to_close(session, actor, branch_ids)
    if branch_ids is None:
        # Every branch: those that issued tickets that day. Closing one that issued none
        # would stop its kiosk for the rest of the day and record a day of zeros.
        branches = [b for b in branches if repo.tickets_of_day(session, b, day, limit=1)]
    if not confirm:
        raise CloseNotConfirmed(day=day.isoformat())
    ensure_closable(session, ctx, branches, day)
    expired = expire_open_tickets(session, branches, day)
    rows = _day_rows(session, ctx, branches, day)
    report = ingest_sources(
        store,
        rows.sources,
        catalogue=ctx.catalogue,
        options=options or IngestOptions(lang=ctx.lang),
    )
    counts = _store_counts(store, day)
    closures = []
    now = ctx.now()
    for branch_id in branches:
        mine = [t for t in rows.tickets if t.branch_id == branch_id]
        closure = repo.closure(session, branch_id, day)
        if closure is None:
            closure = DayClosure(branch_id=branch_id, day=day)
            session.add(closure)
        closure.closed_at = now
        closure.closed_by = actor.label
        closure.visits = len(mine)
        closure.transactions = sum(x.branch_id == branch_id for x in rows.transactions)
        closure.triage = sum(len(rows.touches.get(t.id, [])) for t in mine)
        closure.migratable, closure.migrated = counts.get(branch_id, (0, 0))
        closures.append(closure)
        audit.record(
            session,
            actor=actor,
            action="day.close",
            at=now,
            branch_id=branch_id,
            target=day.isoformat(),
            detail={
                "visits": closure.visits,
                "transactions": closure.transactions,
                "expired": sum(e.branch_id == branch_id for e in expired),
            },
        )
        repo.prune_events(session, branch_id, ctx.day_start_utc(day))
    session.flush()
    return CloseDayResult(day=day, closures=closures, report=report, expired_tickets=expired)
