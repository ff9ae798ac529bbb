"""Close of day: the day's rows reach the store through ingest, figures agree with the metrics."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.orm import Session
from testkit import SYSTEM, point_id, staff_actor

from smartcounter.accounts.roles import Role
from smartcounter.lobby import service
from smartcounter.lobby.close_day import close_day
from smartcounter.lobby.context import LobbyContext, ManualClock
from smartcounter.lobby.customers import customer_hash
from smartcounter.lobby.errors import (
    CloseNotConfirmed,
    DayInFuture,
    DayWithoutData,
    TicketDayClosed,
)
from smartcounter.lobby.models import QueueKind, TicketStatus, TriageOutcome
from smartcounter.lobby.schemas import TicketComplete, TicketCreate, TriageAtIssue, TriageCreate
from smartcounter.metrics import Period, open_metrics
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table

DAY = date(2018, 3, 6)
GREETER = staff_actor(Role.GREETER)
SPECIALIST = staff_actor(Role.STM_SPECIALIST)
TELLER = staff_actor(Role.TELLER)


def run_a_day(session: Session, ctx: LobbyContext, clock: ManualClock) -> int:
    """Serve a small, varied day; return the id of a ticket left waiting."""

    def issue(*codes: str, **fields: object) -> int:
        clock.advance(30)
        view = service.issue_ticket(
            session=session,
            ctx=ctx,
            actor=GREETER,
            branch_id="B1",
            ticket_in=TicketCreate(business=list(codes), **fields),  # type: ignore[arg-type]
        )
        return view.ticket.id

    def serve(kind: QueueKind, reason: str | None = None) -> None:
        actor = TELLER if kind is QueueKind.TELLER else SPECIALIST
        point = point_id(session, "B1", kind)
        called = service.call_next(
            session=session, ctx=ctx, actor=actor, branch_id="B1", point_id=point
        )
        assert called is not None
        started = service.start_service(
            session=session, ctx=ctx, actor=actor, branch_id="B1", ticket_id=called.ticket.id
        )
        for a in started.authorisations:
            service.decide_authorisation(
                session=session,
                ctx=ctx,
                actor=SPECIALIST,
                branch_id="B1",
                authorisation_id=a.id,
                approve=True,
            )
        clock.advance(180)
        service.complete(
            session=session,
            ctx=ctx,
            actor=actor,
            branch_id="B1",
            ticket_id=called.ticket.id,
            complete_in=TicketComplete(reason=reason),
        )

    issue("card_open", customer_id="C1", age_band="30-44")
    issue(
        "statement_print",
        "transfer",
        customer_id="C2",
        age_band="60+",
        triage=TriageAtIssue(outcome=TriageOutcome.DECLINED, reason="elderly_unable"),
    )
    declined_later = issue("personal_info_update", customer_id="C3")
    service.record_triage(
        session=session,
        ctx=ctx,
        actor=SPECIALIST,
        branch_id="B1",
        ticket_id=declined_later,
        triage_in=TriageCreate(stage=2, outcome=TriageOutcome.DECLINED, reason="customer_declined"),
    )
    issue("cash_deposit", "sms_alert_signup", customer_id="C4")
    serve(QueueKind.STM)
    serve(QueueKind.TELLER)
    serve(QueueKind.TELLER)
    serve(QueueKind.TELLER)
    serve(QueueKind.STM)
    return issue("cash_withdrawal")


class TestCloseDay:
    def test_figures_equal_the_metrics_and_a_second_close_imports_nothing(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str, tmp_path: Path
    ) -> None:
        left_waiting = run_a_day(session, ctx, clock)
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        result = close_day(
            session=session, ctx=ctx, actor=SYSTEM, store=store, day=DAY, branch_ids=["B1"]
        )
        assert result.report.rejected == 0
        assert result.expired == 1
        assert (
            service.get_ticket(
                session=session, ctx=ctx, actor=SYSTEM, branch_id="B1", ticket_id=left_waiting
            ).ticket.status
            is TicketStatus.EXPIRED
        )
        (closure,) = result.closures
        assert (closure.visits, closure.transactions, closure.triage) == (5, 6, 2)
        assert (closure.migratable, closure.migrated) == (5, 2)
        imported = {f.table: f.imported for f in result.report.files}
        assert imported["visits"] == 5 and imported["transactions"] == 6 and imported["triage"] == 2

        settings = Settings(store=tmp_path / "store")
        with open_metrics(store, settings) as metrics:
            rates = metrics.rates(["branch"], Period.dates(DAY, DAY))
            tickets = metrics.daily_tickets(["branch"], Period.dates(DAY, DAY))
        row = rates.row(0, named=True)
        assert (row["branch_id"], row["migratable"], row["migrated"]) == (
            "B1",
            closure.migratable,
            closure.migrated,
        )
        assert row["rate"] == closure.migrated / closure.migratable
        assert tickets.row(0, named=True)["tickets"] == closure.visits

        stored = read_table(store, "transactions").sort("txn_id")
        teller_migratable = stored.filter(
            pl.col("channel") == "teller",
            pl.col("business_code").is_in(["statement_print", "transfer", "personal_info_update"]),
        )
        assert set(teller_migratable.get_column("reason").to_list()) == {
            "elderly_unable",
            "customer_declined",
        }
        visits = read_table(store, "visits")
        c2 = customer_hash(ctx.settings.customer_key, "C2")
        assert visits.filter(pl.col("customer_id") == c2).get_column("ticket_no").to_list() == [
            "A001"
        ]

        again = close_day(
            session=session, ctx=ctx, actor=SYSTEM, store=store, day=DAY, branch_ids=["B1"]
        )
        assert all(f.imported == 0 and f.rejected == 0 for f in again.report.files)
        assert (
            sum(
                f.skipped
                for f in again.report.files
                if f.table in ("visits", "transactions", "triage")
            )
            == 13
        )

    def test_a_day_without_tickets_is_refused(
        self, session: Session, ctx: LobbyContext, branch: str, tmp_path: Path
    ) -> None:
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        with pytest.raises(DayWithoutData):
            close_day(
                session=session, ctx=ctx, actor=SYSTEM, store=store, day=DAY, branch_ids=["B1"]
            )

    def test_every_branch_means_those_that_issued_tickets(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str, tmp_path: Path
    ) -> None:
        run_a_day(session, ctx, clock)  # at B1; B2 issued nothing
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        result = close_day(session=session, ctx=ctx, actor=SYSTEM, store=store, day=DAY)
        assert [c.branch_id for c in result.closures] == ["B1"]
        # B2's kiosk still issues tickets that day.
        service.issue_ticket(
            session=session,
            ctx=ctx,
            actor=staff_actor(Role.GREETER, "B2"),
            branch_id="B2",
            ticket_in=TicketCreate(business=["card_open"]),
        )

    def test_every_branch_on_a_day_without_tickets_is_refused(
        self, session: Session, ctx: LobbyContext, branch: str, tmp_path: Path
    ) -> None:
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        with pytest.raises(DayWithoutData):
            close_day(session=session, ctx=ctx, actor=SYSTEM, store=store, day=DAY)


class TestDayRules:
    def test_a_future_day_is_refused(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str, tmp_path: Path
    ) -> None:
        run_a_day(session, ctx, clock)
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        with pytest.raises(DayInFuture):
            close_day(
                session=session,
                ctx=ctx,
                actor=SYSTEM,
                store=store,
                day=DAY + timedelta(days=1),
                branch_ids=["B1"],
            )

    def test_an_unconfirmed_close_changes_nothing(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str, tmp_path: Path
    ) -> None:
        waiting = run_a_day(session, ctx, clock)
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        with pytest.raises(CloseNotConfirmed):
            close_day(
                session=session,
                ctx=ctx,
                actor=SYSTEM,
                store=store,
                day=DAY,
                branch_ids=["B1"],
                confirm=False,
            )
        view = service.get_ticket(
            session=session, ctx=ctx, actor=SYSTEM, branch_id="B1", ticket_id=waiting
        )
        assert view.ticket.status is TicketStatus.WAITING

    def test_the_customers_expired_are_listed_and_no_ticket_follows(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str, tmp_path: Path
    ) -> None:
        waiting = run_a_day(session, ctx, clock)
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        result = close_day(
            session=session, ctx=ctx, actor=SYSTEM, store=store, day=DAY, branch_ids=["B1"]
        )
        ticket_no = service.get_ticket(
            session=session, ctx=ctx, actor=SYSTEM, branch_id="B1", ticket_id=waiting
        ).ticket.ticket_no
        assert [e.ticket_no for e in result.expired_tickets] == [ticket_no]
        with pytest.raises(TicketDayClosed):
            service.issue_ticket(
                session=session,
                ctx=ctx,
                actor=GREETER,
                branch_id="B1",
                ticket_in=TicketCreate(business=["card_open"]),
            )
