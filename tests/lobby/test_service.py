"""The lobby's use cases on SQLite and PostgreSQL: routing, triage, prompts, serving."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from testkit import SYSTEM, make_context, point_id, staff_actor

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Role
from smartcounter.lobby import repository as repo
from smartcounter.lobby import service
from smartcounter.lobby.context import LobbyContext, ManualClock, TimedCache
from smartcounter.lobby.customers import customer_hash
from smartcounter.lobby.errors import (
    AuthorisationPending,
    Forbidden,
    NothingToTriage,
    PointBusy,
    ReasonRequired,
    StageNotAllowed,
    TerminalDown,
    TicketAlreadyServed,
    UnknownBusiness,
)
from smartcounter.lobby.models import (
    ItemStatus,
    LobbyEvent,
    LobbyTransaction,
    QueueKind,
    TerminalStatus,
    TicketCounter,
    TicketStatus,
    TriageOutcome,
)
from smartcounter.lobby.schemas import (
    ReferralCreate,
    TicketComplete,
    TicketCreate,
    TicketTransfer,
    TriageAtIssue,
    TriageCreate,
)
from smartcounter.lobby.service import TicketView

GREETER = staff_actor(Role.GREETER)
SPECIALIST = staff_actor(Role.STM_SPECIALIST)
TELLER = staff_actor(Role.TELLER)


def issue(session: Session, ctx: LobbyContext, *codes: str, **fields: object) -> TicketView:
    ticket_in = TicketCreate(business=list(codes), **fields)  # type: ignore[arg-type]
    return service.issue_ticket(
        session=session, ctx=ctx, actor=GREETER, branch_id="B1", ticket_in=ticket_in
    )


def call(session: Session, ctx: LobbyContext, kind: QueueKind, n: int = 0) -> TicketView | None:
    actor = TELLER if kind is QueueKind.TELLER else SPECIALIST
    return service.call_next(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id="B1",
        point_id=point_id(session, "B1", kind, n),
    )


def complete(
    session: Session, ctx: LobbyContext, ticket_id: int, reason: str | None = None, actor=TELLER
) -> TicketView:  # type: ignore[no-untyped-def]
    return service.complete(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id="B1",
        ticket_id=ticket_id,
        complete_in=TicketComplete(reason=reason),
    )


def triage(
    session: Session,
    ctx: LobbyContext,
    ticket_id: int,
    stage: int,
    outcome: str,
    reason: str | None = None,
    actor=SPECIALIST,
) -> TicketView:  # type: ignore[no-untyped-def]
    return service.record_triage(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id="B1",
        ticket_id=ticket_id,
        triage_in=TriageCreate(stage=stage, outcome=TriageOutcome(outcome), reason=reason),  # type: ignore[arg-type]
    )


def serve_at_stm(session: Session, ctx: LobbyContext, clock: ManualClock) -> TicketView:
    called = call(session, ctx, QueueKind.STM)
    assert called is not None
    ticket_id = called.ticket.id
    service.start_service(
        session=session, ctx=ctx, actor=SPECIALIST, branch_id="B1", ticket_id=ticket_id
    )
    for a in repo.authorisations(session, "B1", ticket_id=ticket_id):
        service.decide_authorisation(
            session=session,
            ctx=ctx,
            actor=SPECIALIST,
            branch_id="B1",
            authorisation_id=a.id,
            approve=True,
        )
    clock.advance(200)
    return complete(session, ctx, ticket_id, actor=SPECIALIST)


def transactions(session: Session) -> list[LobbyTransaction]:
    return list(session.query(LobbyTransaction).order_by(LobbyTransaction.id))


class TestRouting:
    def test_migratable_goes_to_the_smart_counter(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "card_open")
        assert view.ticket.queue is QueueKind.STM
        assert view.ticket.ticket_no == "B001"
        assert [i.route for i in view.items] == [QueueKind.STM]

    def test_cash_goes_to_a_teller(self, session: Session, ctx: LobbyContext, branch: str) -> None:
        view = issue(session, ctx, "cash_deposit")
        assert view.ticket.queue is QueueKind.TELLER
        assert view.ticket.ticket_no == "A001"

    def test_cash_and_non_cash_split_teller_first_then_smart_counter(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        view = issue(session, ctx, "transfer", "cash_deposit")
        assert view.ticket.queue is QueueKind.TELLER
        assert {i.business_code: i.route for i in view.items} == {
            "cash_deposit": QueueKind.TELLER,
            "transfer": QueueKind.STM,
        }
        called = call(session, ctx, QueueKind.TELLER)
        assert called is not None and called.ticket.id == view.ticket.id
        clock.advance(120)
        after_cash = complete(session, ctx, view.ticket.id)
        # The cash leg is done; the same ticket now waits for the smart counter.
        assert after_cash.ticket.status is TicketStatus.WAITING
        assert after_cash.ticket.queue is QueueKind.STM
        assert after_cash.position == 1
        done = serve_at_stm(session, ctx, clock)
        assert done.ticket.status is TicketStatus.DONE
        channels = {x.business_code: x.channel for x in transactions(session)}
        assert channels == {"cash_deposit": "teller", "transfer": "stm"}

    def test_non_migratable_with_an_alternative_prompts_a_product(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "passbook")
        assert view.ticket.queue is QueueKind.TELLER
        prompt = next(p for p in view.prompts if p.rule_id == "digital_alternative")
        assert prompt.products == ("debit_card", "mobile_banking")

    def test_smart_counters_down_send_migratable_business_to_a_teller(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        stm = point_id(session, "B1", QueueKind.STM)
        service.set_terminal_status(
            session=session,
            ctx=ctx,
            actor=SPECIALIST,
            branch_id="B1",
            point_id=stm,
            status=TerminalStatus.DOWN,
        )
        view = issue(session, ctx, "password_reset")
        assert view.ticket.queue is QueueKind.TELLER
        assert view.items[0].reason == "device_fault"

    def test_unknown_business_is_refused(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        with pytest.raises(UnknownBusiness):
            issue(session, ctx, "no_such_business")


class TestTicketNumbers:
    def test_numbers_count_up_per_queue_and_restart_each_day(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        numbers = [issue(session, ctx, "card_open").ticket.ticket_no for _ in range(3)]
        numbers.append(issue(session, ctx, "cash_withdrawal").ticket.ticket_no)
        assert numbers == ["B001", "B002", "B003", "A001"]
        clock.advance(24 * 3600)
        assert issue(session, ctx, "card_open").ticket.ticket_no == "B001"

    def test_prefix_is_configurable(self, session: Session, ctx: LobbyContext, branch: str) -> None:
        from smartcounter.lobby.schemas import QueuePrefixUpdate
        from smartcounter.lobby.setup import set_prefix

        set_prefix(
            session=session,
            ctx=ctx,
            actor=SYSTEM,
            branch_id="B1",
            queue=QueueKind.STM,
            prefix_in=QueuePrefixUpdate(prefix="C"),
        )
        assert issue(session, ctx, "card_open").ticket.ticket_no == "C001"

    def test_each_branch_has_its_own_numbers(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        first = issue(session, ctx, "card_open")
        other = service.issue_ticket(
            session=session,
            ctx=ctx,
            actor=staff_actor(Role.GREETER, "B2"),
            branch_id="B2",
            ticket_in=TicketCreate(business=["card_open"]),
        )
        assert first.ticket.ticket_no == other.ticket.ticket_no == "B001"
        assert first.ticket.visit_id != other.ticket.visit_id


class TestIssuingWrites:
    def test_the_ticket_its_items_event_and_audit_entry_are_stored_together(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "transfer", "cash_deposit", customer_tier="affluent")
        stored = repo.get_ticket(session, "B1", view.ticket.id)
        assert stored is not None
        assert (stored.ticket_no, stored.visit_id, stored.queue) == (
            view.ticket.ticket_no,
            view.ticket.visit_id,
            QueueKind.TELLER,
        )
        assert (stored.status, stored.follow_up, stored.recalls) == (TicketStatus.WAITING, False, 0)
        assert stored.customer_tier == "affluent" and stored.issued_by == GREETER.staff_id
        items = repo.items_of(session, [stored.id])[stored.id]
        assert [(i.seq, i.business_code, i.route, i.status) for i in items] == [
            (0, "transfer", QueueKind.STM, ItemStatus.PENDING),
            (1, "cash_deposit", QueueKind.TELLER, ItemStatus.PENDING),
        ]
        assert {i.ticket_id for i in view.items} == {stored.id}
        events = session.scalars(
            sa.select(LobbyEvent).where(LobbyEvent.ticket_no == stored.ticket_no)
        ).all()
        assert [(e.branch_id, e.kind) for e in events] == [("B1", "ticket")]
        (entry,) = [e for e in audit.entries(session, branch_id="B1") if e.action == "ticket.issue"]
        assert entry.target == stored.ticket_no and entry.actor == GREETER.label
        assert entry.detail is not None and "cash_deposit" in entry.detail

    def test_numbers_past_the_padding_are_written_in_full(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        first = issue(session, ctx, "card_open").ticket
        session.execute(
            sa.update(TicketCounter)
            .where(TicketCounter.queue_id == first.queue_id)
            .values(last_no=998)
        )
        numbered = [issue(session, ctx, "card_open").ticket for _ in range(2)]
        assert [t.ticket_no for t in numbered] == ["B999", "B1000"]
        assert [t.visit_id[-5:] for t in numbered] == ["-0999", "-1000"]
        for ticket in numbered:
            stored = repo.get_ticket(session, "B1", ticket.id)
            assert stored is not None
            assert (stored.number, stored.ticket_no, stored.visit_id) == (
                ticket.number,
                ticket.ticket_no,
                ticket.visit_id,
            )

    def test_the_position_counts_who_still_waits_ahead(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        assert [issue(session, ctx, "card_open").position for _ in range(3)] == [1, 2, 3]
        call(session, ctx, QueueKind.STM)
        clock.advance(1)
        assert issue(session, ctx, "card_open").position == 3
        assert issue(session, ctx, "cash_deposit").position == 1

    def test_with_the_queue_read_a_moment_ago_new_tickets_still_count_up(
        self, session: Session, clock: ManualClock, branch: str
    ) -> None:
        # A server keeps the queue's length a second or two: the tickets numbered since
        # are counted from the numbers.
        kept = dataclasses.replace(make_context(clock), loads=TimedCache(60))
        assert [issue(session, kept, "card_open").position for _ in range(3)] == [1, 2, 3]
        assert issue(session, kept, "cash_deposit").position == 1

    def test_a_declined_triage_at_issue_is_stored_with_the_ticket(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(
            session,
            ctx,
            "card_open",
            customer_id="C-1",
            triage=TriageAtIssue(outcome=TriageOutcome.DECLINED, reason="with_cash"),
        )
        (touch,) = repo.touches_of(session, [view.ticket.id])[view.ticket.id]
        assert (touch.stage, touch.outcome) == (1, TriageOutcome.DECLINED)
        flag = repo.customer_flag(session, customer_hash(ctx.settings.customer_key, "C-1"))
        assert flag is not None and flag.follow_up


class TestBranchSetUpKeptPerWorker:
    def test_a_change_made_here_is_seen_by_the_next_ticket(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        from smartcounter.lobby.schemas import QueuePrefixUpdate
        from smartcounter.lobby.setup import set_prefix

        assert issue(session, ctx, "password_reset").ticket.queue is QueueKind.STM
        set_prefix(
            session=session,
            ctx=ctx,
            actor=SYSTEM,
            branch_id="B1",
            queue=QueueKind.STM,
            prefix_in=QueuePrefixUpdate(prefix="C"),
        )
        assert issue(session, ctx, "card_open").ticket.ticket_no == "C002"
        service.set_terminal_status(
            session=session,
            ctx=ctx,
            actor=SPECIALIST,
            branch_id="B1",
            point_id=point_id(session, "B1", QueueKind.STM),
            status=TerminalStatus.DOWN,
        )
        assert issue(session, ctx, "password_reset").ticket.queue is QueueKind.TELLER

    def test_another_workers_change_is_seen_once_the_copy_runs_out(
        self, session: Session, clock: ManualClock, branch: str
    ) -> None:
        ticks = [0.0]
        here = dataclasses.replace(make_context(clock), setups=TimedCache(2.0, lambda: ticks[0]))
        there = make_context(clock)
        assert issue(session, here, "password_reset").ticket.queue is QueueKind.STM
        service.set_terminal_status(
            session=session,
            ctx=there,
            actor=SPECIALIST,
            branch_id="B1",
            point_id=point_id(session, "B1", QueueKind.STM),
            status=TerminalStatus.DOWN,
        )
        assert issue(session, here, "password_reset").ticket.queue is QueueKind.STM
        ticks[0] += 2.5
        assert issue(session, here, "password_reset").ticket.queue is QueueKind.TELLER


class TestTriage:
    def test_stage_one_decline_at_issue_routes_to_teller_with_the_reason(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(
            session,
            ctx,
            "card_open",
            customer_id="C1",
            triage=TriageAtIssue(outcome=TriageOutcome.DECLINED, reason="elderly_unable"),
        )
        assert view.ticket.queue is QueueKind.TELLER
        assert view.items[0].reason == "elderly_unable"
        assert [(t.stage, t.outcome, t.reason, t.staff_id) for t in view.touches] == [
            (1, TriageOutcome.DECLINED, "elderly_unable", GREETER.staff_id)
        ]

    def test_stage_two_accept_moves_a_teller_ticket_to_the_smart_counter(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(
            session,
            ctx,
            "card_open",
            triage=TriageAtIssue(outcome=TriageOutcome.DECLINED, reason="customer_declined"),
        )
        moved = triage(session, ctx, view.ticket.id, 2, "accepted")
        assert moved.ticket.queue is QueueKind.STM
        assert moved.items[0].route is QueueKind.STM and moved.items[0].reason is None

    def test_stage_two_decline_moves_to_teller_and_completing_uses_the_reason(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        view = issue(session, ctx, "statement_print")
        moved = triage(session, ctx, view.ticket.id, 2, "declined", "customer_declined")
        assert moved.ticket.queue is QueueKind.TELLER
        call(session, ctx, QueueKind.TELLER)
        clock.advance(300)
        done = complete(session, ctx, view.ticket.id)
        assert done.ticket.status is TicketStatus.DONE
        (txn,) = transactions(session)
        assert (txn.channel, txn.reason, txn.staff_id) == (
            "teller",
            "customer_declined",
            TELLER.staff_id,
        )
        assert txn.duration_s == pytest.approx(300.0)

    def test_stage_three_accept_sends_the_customer_on_to_the_smart_counter(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(
            session,
            ctx,
            "cash_deposit",
            "sms_alert_signup",
            triage=TriageAtIssue(outcome=TriageOutcome.DECLINED, reason="with_cash"),
        )
        call(session, ctx, QueueKind.TELLER)
        after = triage(session, ctx, view.ticket.id, 3, "accepted", actor=TELLER)
        # The cash is still to be done here; the sign-up waits for the smart counter after.
        assert after.ticket.status is TicketStatus.CALLED
        routes = {i.business_code: i.route for i in after.items}
        assert routes == {"cash_deposit": QueueKind.TELLER, "sms_alert_signup": QueueKind.STM}
        done_here = complete(session, ctx, view.ticket.id)
        assert (
            done_here.ticket.queue is QueueKind.STM
            and done_here.ticket.status is TicketStatus.WAITING
        )

    def test_stage_three_accept_with_nothing_left_releases_the_window(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(
            session,
            ctx,
            "mobile_banking_signup",
            triage=TriageAtIssue(outcome=TriageOutcome.DECLINED, reason="customer_declined"),
        )
        call(session, ctx, QueueKind.TELLER)
        after = triage(session, ctx, view.ticket.id, 3, "accepted", actor=TELLER)
        assert after.ticket.status is TicketStatus.WAITING and after.ticket.queue is QueueKind.STM
        assert repo.ticket_at_point(session, point_id(session, "B1", QueueKind.TELLER)) is None

    def test_stage_three_only_at_a_window(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "card_open")
        with pytest.raises(StageNotAllowed):
            triage(session, ctx, view.ticket.id, 3, "accepted", actor=TELLER)

    def test_a_greeter_may_not_do_stage_two(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "card_open")
        with pytest.raises(Forbidden):
            triage(session, ctx, view.ticket.id, 2, "declined", actor=GREETER)

    def test_nothing_to_triage_without_migratable_business(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "cash_deposit")
        with pytest.raises(NothingToTriage):
            triage(session, ctx, view.ticket.id, 2, "accepted")

    def test_a_declined_customer_is_guided_again_next_visit(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        view = issue(session, ctx, "card_open", customer_id="C42")
        triage(session, ctx, view.ticket.id, 2, "declined", "customer_declined")
        clock.advance(7 * 24 * 3600)
        again = issue(session, ctx, "card_replace", customer_id="C42")
        assert again.ticket.follow_up is True
        assert "follow_up" in [p.rule_id for p in again.prompts]
        # Migrating this time clears the flag.
        serve_at_stm(session, ctx, clock)
        clock.advance(24 * 3600)
        third = issue(session, ctx, "password_reset", customer_id="C42")
        assert third.ticket.follow_up is False


class TestPrompts:
    def test_premium_customers_are_referred_and_the_referral_recorded(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "transfer", customer_tier="private")
        assert [p.action for p in view.prompts if p.rule_id == "wealth_referral"] == [
            "refer_wealth"
        ]
        after = service.refer(
            session=session,
            ctx=ctx,
            actor=GREETER,
            branch_id="B1",
            ticket_id=view.ticket.id,
            referral_in=ReferralCreate(),
        )
        assert len(after.referrals) == 1 and after.referrals[0].staff_id == GREETER.staff_id

    def test_no_mobile_banking_and_elderly_prompts(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(
            session,
            ctx,
            "card_open",
            age_band="60+",
            has_mobile_banking=False,
            customer_tier="mass",
        )
        assert {p.rule_id for p in view.prompts} == {
            "accompany_elderly",
            "recommend_mobile_banking",
        }
        unknown = issue(session, ctx, "card_open")
        assert unknown.prompts == []

    def test_a_banks_rules_file_replaces_the_prompts(
        self, session: Session, clock: ManualClock, tmp_path: Path, branch: str
    ) -> None:
        rules = tmp_path / "rules.toml"
        rules.write_text(
            '[[prompts]]\nid = "young"\nage_band = ["<30"]\nmessage_zh = "推荐信用卡"\nmessage_en = "Offer a credit card"\n',
            "utf-8",
        )
        ctx = make_context(clock, rules)
        view = issue(session, ctx, "card_open", age_band="<30", customer_tier="private")
        assert [p.rule_id for p in view.prompts] == ["young"]
        from smartcounter.i18n import Translator

        assert view.prompts[0].text(Translator("en")) == "Offer a credit card"


class TestServing:
    def test_call_next_takes_the_oldest_and_a_busy_point_must_finish_first(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        first = issue(session, ctx, "cash_deposit")
        clock.advance(5)
        second = issue(session, ctx, "cash_withdrawal")
        called = call(session, ctx, QueueKind.TELLER)
        assert called is not None and called.ticket.id == first.ticket.id
        with pytest.raises(PointBusy):
            call(session, ctx, QueueKind.TELLER)
        other_window = call(session, ctx, QueueKind.TELLER, 1)
        assert other_window is not None and other_window.ticket.id == second.ticket.id
        assert call(session, ctx, QueueKind.STM) is None

    def test_no_show_after_the_branchs_recalls(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "cash_deposit")
        call(session, ctx, QueueKind.TELLER)
        for _ in range(2):
            again = service.recall(
                session=session, ctx=ctx, actor=TELLER, branch_id="B1", ticket_id=view.ticket.id
            )
            assert again.ticket.status is TicketStatus.CALLED
        gone = service.recall(
            session=session, ctx=ctx, actor=TELLER, branch_id="B1", ticket_id=view.ticket.id
        )
        assert gone.ticket.status is TicketStatus.NO_SHOW
        assert all(i.status is ItemStatus.DROPPED for i in gone.items)
        with pytest.raises(TicketAlreadyServed):
            complete(session, ctx, view.ticket.id)
        # The window is free for the next customer.
        assert repo.ticket_at_point(session, point_id(session, "B1", QueueKind.TELLER)) is None

    def test_transfer_to_the_wealth_desk(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "cash_deposit")
        call(session, ctx, QueueKind.TELLER)
        moved = service.transfer(
            session=session,
            ctx=ctx,
            actor=TELLER,
            branch_id="B1",
            ticket_id=view.ticket.id,
            transfer_in=TicketTransfer(queue=QueueKind.WEALTH),
        )
        assert (
            moved.ticket.queue is QueueKind.WEALTH and moved.ticket.status is TicketStatus.WAITING
        )
        called = call(session, ctx, QueueKind.WEALTH)
        assert called is not None and called.ticket.id == view.ticket.id

    def test_migratable_business_at_a_teller_needs_a_reason(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "cash_deposit")
        call(session, ctx, QueueKind.TELLER)
        with pytest.raises(ReasonRequired):
            service.complete(
                session=session,
                ctx=ctx,
                actor=TELLER,
                branch_id="B1",
                ticket_id=view.ticket.id,
                complete_in=TicketComplete(extra_business=["personal_info_update"]),
            )

    def test_terminal_down_cannot_call(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        stm = point_id(session, "B1", QueueKind.STM)
        issue(session, ctx, "card_open")
        service.set_terminal_status(
            session=session,
            ctx=ctx,
            actor=SPECIALIST,
            branch_id="B1",
            point_id=stm,
            status=TerminalStatus.DOWN,
        )
        with pytest.raises(TerminalDown):
            call(session, ctx, QueueKind.STM)


class TestAuthorisation:
    def test_a_step_waits_for_the_specialist(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        view = issue(session, ctx, "card_open")
        call(session, ctx, QueueKind.STM)
        started = service.start_service(
            session=session, ctx=ctx, actor=SPECIALIST, branch_id="B1", ticket_id=view.ticket.id
        )
        (pending,) = started.authorisations
        board = service.lobby(session=session, ctx=ctx, actor=SPECIALIST, branch_id="B1")
        assert [a.id for a in board.authorisations] == [pending.id]
        with pytest.raises(AuthorisationPending):
            complete(session, ctx, view.ticket.id, actor=SPECIALIST)
        other = staff_actor(Role.STM_SPECIALIST, staff_id="B1-specialist-2")
        service.decide_authorisation(
            session=session,
            ctx=ctx,
            actor=other,
            branch_id="B1",
            authorisation_id=pending.id,
            approve=True,
        )
        clock.advance(240)
        done = complete(session, ctx, view.ticket.id, actor=SPECIALIST)
        assert done.ticket.status is TicketStatus.DONE
        (txn,) = transactions(session)
        # The transaction names the specialist who authorised it.
        assert (txn.channel, txn.staff_id, txn.reason) == ("stm", "B1-specialist-2", None)

    def test_a_rejected_step_goes_to_a_teller_for_an_id_check(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        view = issue(session, ctx, "password_reset")
        call(session, ctx, QueueKind.STM)
        started = service.start_service(
            session=session, ctx=ctx, actor=SPECIALIST, branch_id="B1", ticket_id=view.ticket.id
        )
        service.decide_authorisation(
            session=session,
            ctx=ctx,
            actor=SPECIALIST,
            branch_id="B1",
            authorisation_id=started.authorisations[0].id,
            approve=False,
        )
        after = complete(session, ctx, view.ticket.id, actor=SPECIALIST)
        assert (
            after.ticket.queue is QueueKind.TELLER and after.ticket.status is TicketStatus.WAITING
        )
        assert after.items[0].reason == "id_check"


class TestWaitEstimates:
    def test_wait_grows_with_the_queue_and_with_a_slow_terminal(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        views = [issue(session, ctx, "card_open") for _ in range(4)]
        waits = [
            service.ticket_view(session=session, ctx=ctx, ticket=v.ticket).wait_s for v in views
        ]
        assert waits == sorted(waits) and waits[0] == 0
        stm = point_id(session, "B1", QueueKind.STM)
        service.set_terminal_status(
            session=session,
            ctx=ctx,
            actor=SPECIALIST,
            branch_id="B1",
            point_id=stm,
            status=TerminalStatus.SLOW,
        )
        slow = service.ticket_view(session=session, ctx=ctx, ticket=views[-1].ticket)
        assert slow.wait_s is not None and waits[-1] is not None and slow.wait_s > waits[-1]
        assert slow.notices == ["lobby.notice.stm_slow"]

    def test_the_estimate_learns_from_todays_service_times(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        for _ in range(2):
            issue(session, ctx, "cash_deposit")
        waiting = issue(session, ctx, "cash_deposit")
        before = service.ticket_view(session=session, ctx=ctx, ticket=waiting.ticket).wait_s
        first = call(session, ctx, QueueKind.TELLER)
        assert first is not None
        clock.advance(60)
        complete(session, ctx, first.ticket.id)
        after = service.ticket_view(session=session, ctx=ctx, ticket=waiting.ticket).wait_s
        # One customer fewer ahead, and the teller turned out quicker than the default.
        assert before is not None and after is not None and after < before


def test_the_shipped_customer_key_is_warned_about_in_the_users_language(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from smartcounter.i18n import Lang
    from smartcounter.lobby.customers import warn_if_default_key
    from smartcounter.settings import LobbySettings

    with caplog.at_level("WARNING", logger="smartcounter.lobby"):
        warn_if_default_key(LobbySettings())
        warn_if_default_key(LobbySettings(), Lang.EN)
        warn_if_default_key(LobbySettings(customer_key="a-key-of-the-banks-own"))
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2
    assert said[0].startswith("lobby.customer_key 仍是软件自带的默认值")
    assert said[1].startswith("lobby.customer_key is the shipped default")
