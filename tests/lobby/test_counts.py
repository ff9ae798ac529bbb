"""One customer, one count; card numbers never in clear; retried requests change nothing twice."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import httpx
import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from testkit import SYSTEM, Lobby, Server, point_id, staff_actor
from typer.testing import CliRunner

from smartcounter.accounts.roles import Role
from smartcounter.cli.app import app
from smartcounter.lobby import service
from smartcounter.lobby.close_day import close_day
from smartcounter.lobby.context import LobbyContext, ManualClock, build_context
from smartcounter.lobby.customers import customer_hash, mask
from smartcounter.lobby.database import open_database
from smartcounter.lobby.errors import StageAlreadyDone
from smartcounter.lobby.models import QueueKind, Ticket, TriageOutcome
from smartcounter.lobby.schemas import TicketComplete, TicketCreate, TriageAtIssue, TriageCreate
from smartcounter.lobby.setup import add_branch
from smartcounter.metrics import Period, open_metrics
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table

CARD = "6222000011112222"
MASKED = "6222 **** **** 2222"
TELLER = staff_actor(Role.TELLER)
SPECIALIST = staff_actor(Role.STM_SPECIALIST)
GREETER = staff_actor(Role.GREETER)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


class TestCardNumbersOverTheApi:
    def test_a_card_number_never_comes_back_in_clear(self, lobby: Lobby) -> None:
        kiosk = lobby.device("kiosk")
        manager = lobby.client("manager-b1")
        first = kiosk.post(
            "/api/branches/B1/tickets", json={"business": ["card_open"], "customer_id": CARD}
        )
        second = kiosk.post(
            "/api/branches/B1/tickets", json={"business": ["transfer"], "customer_id": CARD}
        )
        assert first.status_code == second.status_code == 201, first.text
        assert first.json()["customer_masked"] == MASKED
        answers = [first, second]
        for path in (
            f"/api/branches/B1/tickets/{first.json()['id']}",
            "/api/branches/B1/tickets",
            "/api/branches/B1/lobby",
            "/api/branches/B1/board",
            "/api/branches/B1/authorisations",
        ):
            answers.append(manager.get(path))
        for answer in answers:
            assert answer.status_code in (200, 201), answer.text
            assert CARD not in answer.text
        with lobby.database.unit_of_work(write=False) as session:
            stored = session.scalars(
                sa.select(Ticket.customer_id).where(
                    Ticket.id.in_([first.json()["id"], second.json()["id"]])
                )
            ).all()
        assert stored == [customer_hash(lobby.settings.lobby.customer_key, CARD)] * 2


class TestCardNumbersAsPrinted:
    @pytest.mark.parametrize(
        "typed", ["6222 0202 0011 3333", " 6222\u30000202\t0011  3333 ", "6222020200113333"]
    )
    def test_a_card_typed_with_spaces_is_the_same_customer(self, lobby: Lobby, typed: str) -> None:
        tablet = lobby.client("greeter-b1")
        answer = tablet.post(
            "/api/branches/B1/tickets", json={"business": ["transfer"], "customer_id": typed}
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["customer_masked"] == "6222 **** **** 3333"
        with lobby.database.unit_of_work(write=False) as session:
            stored = session.scalar(
                sa.select(Ticket.customer_id).where(Ticket.id == answer.json()["id"])
            )
        assert stored == customer_hash(lobby.settings.lobby.customer_key, "6222020200113333")

    def test_other_characters_are_still_refused(self, lobby: Lobby) -> None:
        answer = lobby.client("greeter-b1").post(
            "/api/branches/B1/tickets", json={"business": ["transfer"], "customer_id": "<6222>"}
        )
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "body.customer_id"

    def test_the_tablet_says_what_a_card_number_may_hold(self, lobby: Lobby) -> None:
        html = lobby.client("greeter-b1").get("/branches/B1/tablet").text
        found = re.search(
            r'<script type="application/json" id="messages">(.*?)</script>', html, re.S
        )
        assert found is not None
        messages = json.loads(found.group(1))
        assert "6222 0202 0011 3333" in messages["problem_format_customer_id"]
        assert "空格" in messages["problem_format_customer_id"]


class TestOneOutcomePerStage:
    def test_a_second_decline_at_one_stage_is_refused(self, lobby: Lobby) -> None:
        kiosk = lobby.device("kiosk")
        manager = lobby.client("manager-b1")
        ticket = kiosk.post("/api/branches/B1/tickets", json={"business": ["card_open"]}).json()
        decline = {"stage": 2, "outcome": "declined", "reason": "customer_declined"}
        path = f"/api/branches/B1/tickets/{ticket['id']}/triage"
        first = manager.post(path, json=decline)
        assert first.status_code == 200, first.text
        assert first.json()["triage_done"] == [2]
        again = manager.post(path, json=decline)
        assert again.status_code == 409
        assert "只记录一次" in again.json()["detail"]

    def test_a_decline_without_a_reason_is_refused_in_the_users_language(
        self, lobby: Lobby
    ) -> None:
        kiosk = lobby.device("kiosk")
        manager = lobby.client("manager-b1")
        ticket = kiosk.post("/api/branches/B1/tickets", json={"business": ["card_open"]}).json()
        path = f"/api/branches/B1/tickets/{ticket['id']}/triage"
        answer = manager.post(path, json={"stage": 2, "outcome": "declined"})
        assert answer.status_code == 422
        assert answer.json()["detail"] == "客户不愿意使用智能柜台时，请选择原因。"
        english = manager.post(path + "?lang=en", json={"stage": 2, "outcome": "declined"})
        assert english.json()["detail"].startswith("Choose why")


class TestIdempotencyKeys:
    def test_a_retried_ticket_is_issued_once(self, lobby: Lobby) -> None:
        kiosk = lobby.device("kiosk")
        headers = _key()
        body = {"business": ["card_open"]}
        first = kiosk.post("/api/branches/B1/tickets", json=body, headers=headers)
        again = kiosk.post("/api/branches/B1/tickets", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        with lobby.database.unit_of_work(write=False) as session:
            count = session.scalar(
                sa.select(sa.func.count()).where(Ticket.visit_id == first.json()["visit_id"])
            )
        assert count == 1

    def test_a_key_reused_for_another_request_is_refused(self, lobby: Lobby) -> None:
        kiosk = lobby.device("kiosk")
        headers = _key()
        kiosk.post("/api/branches/B1/tickets", json={"business": ["card_open"]}, headers=headers)
        other = kiosk.post(
            "/api/branches/B1/tickets", json={"business": ["transfer"]}, headers=headers
        )
        assert other.status_code == 422


def _serve_teller(session: Session, ctx: LobbyContext, ticket_id: int) -> None:
    point = point_id(session, "B1", QueueKind.TELLER)
    called = service.call_next(
        session=session, ctx=ctx, actor=TELLER, branch_id="B1", point_id=point
    )
    assert called is not None and called.ticket.id == ticket_id
    service.complete(
        session=session,
        ctx=ctx,
        actor=TELLER,
        branch_id="B1",
        ticket_id=ticket_id,
        complete_in=TicketComplete(reason="customer_declined"),
    )


class TestCountedOnceInTheStore:
    def test_the_store_holds_hashes_and_counts_the_customer_once(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str, tmp_path: Path
    ) -> None:
        declined = TriageAtIssue(outcome=TriageOutcome.DECLINED, reason="customer_declined")
        ids = []
        for code in ("card_open", "transfer"):
            clock.advance(30)
            view = service.issue_ticket(
                session=session,
                ctx=ctx,
                actor=GREETER,
                branch_id="B1",
                ticket_in=TicketCreate(business=[code], customer_id=CARD, triage=declined),
            )
            assert view.ticket.customer_mask == mask(CARD)
            ids.append(view.ticket.id)
        # A no-show recalled in time keeps their visit: one visit, one count.
        point = point_id(session, "B1", QueueKind.TELLER)
        service.call_next(session=session, ctx=ctx, actor=TELLER, branch_id="B1", point_id=point)
        service.mark_no_show(
            session=session, ctx=ctx, actor=TELLER, branch_id="B1", ticket_id=ids[0]
        )
        clock.advance(60)
        back = service.reinstate_no_show(
            session=session, ctx=ctx, actor=TELLER, branch_id="B1", ticket_id=ids[0]
        )
        assert back.ticket.status.value == "waiting"
        with pytest.raises(StageAlreadyDone):
            service.record_triage(
                session=session,
                ctx=ctx,
                actor=GREETER,
                branch_id="B1",
                ticket_id=ids[1],
                triage_in=TriageCreate(stage=1, outcome=TriageOutcome.DECLINED, reason="other"),
            )
        for ticket_id in ids:
            clock.advance(60)
            _serve_teller(session, ctx, ticket_id)
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        day = ctx.today()
        close_day(session=session, ctx=ctx, actor=SYSTEM, store=store, day=day, branch_ids=["B1"])

        hashed = customer_hash(ctx.settings.customer_key, CARD)
        visits = read_table(store, "visits")
        assert visits.height == 2
        assert visits.get_column("customer_id").to_list() == [hashed, hashed]
        for table in ("visits", "transactions", "triage"):
            frame = read_table(store, table)
            text = frame.select(pl.all().cast(pl.String)).write_csv()
            assert CARD not in text and "2222" not in text.replace(hashed, "")
        with open_metrics(store, Settings(store=tmp_path / "store")) as metrics:
            funnel = metrics.funnel(Period.dates(day, day))
        stage_one = funnel.filter(pl.col("stage") == 1).row(0, named=True)
        assert stage_one["declined"] == 2  # two tickets, one decline each


class TestCloseDayCommand:
    def _store(self, tmp_path: Path) -> tuple[Path, LobbyContext]:
        store = tmp_path / "store"
        settings = Settings(store=store)
        database = open_database(settings)
        ctx = build_context(settings)
        with database.unit_of_work() as session:
            add_branch(
                session=session,
                ctx=ctx,
                actor=SYSTEM,
                branch_id="B1",
                name="B1",
                branch_type="county",
            )
        database.dispose()
        return store, ctx

    @pytest.mark.parametrize("day", ["2099-01-01", "1900-01-01"])
    def test_a_future_day_or_one_without_data_exits_2(self, tmp_path: Path, day: str) -> None:
        store, _ctx = self._store(tmp_path)
        env = {"SMARTCOUNTER_STORE": "", "SMARTCOUNTER_DATABASE_URL": "", "SMARTCOUNTER_LANG": "en"}
        result = CliRunner().invoke(
            app, ["--store", str(store), "close-day", "--date", day], env=env
        )
        assert result.exit_code == 2
        assert day in result.output


@pytest.mark.slow
class TestRetryAcrossAKill:
    def test_a_ticket_retried_after_kill_minus_nine_is_issued_once(self, tmp_path: Path) -> None:
        settings = Settings(store=tmp_path / "store")
        database = open_database(settings)
        ctx = build_context(settings)
        from smartcounter.accounts.roles import DeviceKind
        from smartcounter.accounts.schemas import DeviceCreate
        from smartcounter.accounts.service import create_device

        with database.unit_of_work() as session:
            add_branch(
                session=session,
                ctx=ctx,
                actor=SYSTEM,
                branch_id="B1",
                name="B1",
                branch_type="urban",
            )
            _device, token = create_device(
                session=session,
                actor=SYSTEM,
                branch_id="B1",
                device_in=DeviceCreate(kind=DeviceKind.KIOSK, name="kiosk"),
                now=ctx.now(),
            )
        database.dispose()
        env = {**os.environ, "SMARTCOUNTER_LANG": "zh"}
        env.pop("SMARTCOUNTER_STORE", None)
        env.pop("SMARTCOUNTER_DATABASE_URL", None)
        server = Server(settings.store, env)
        server.start()
        headers = {"Authorization": f"Bearer {token}", **_key()}
        body = {"business": ["card_open"], "customer_id": CARD}
        try:
            # Send, and kill the server before reading the answer.
            with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
                request = http.build_request("POST", "/api/branches/B1/tickets", json=body)
                sent = http.send(request, stream=True)
                server.kill()
                sent.close()
            server.start()
            with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
                retried = http.post("/api/branches/B1/tickets", json=body)
                again = http.post("/api/branches/B1/tickets", json=body)
        finally:
            server.stop()
        assert retried.status_code == again.status_code == 201, retried.text
        assert retried.json()["id"] == again.json()["id"]
        database = open_database(settings, migrate_now=False)
        try:
            with database.unit_of_work(write=False) as session:
                rows = session.scalar(sa.select(sa.func.count()).select_from(Ticket))
        finally:
            database.dispose()
        assert rows == 1
