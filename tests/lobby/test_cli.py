"""``smartcounter close-day``: the command line closes a day like the director's button."""

from __future__ import annotations

import json
from pathlib import Path

from testkit import SYSTEM, point_id, staff_actor
from typer.testing import CliRunner

from smartcounter.accounts.roles import Role
from smartcounter.cli.app import app
from smartcounter.lobby import service
from smartcounter.lobby.context import build_context
from smartcounter.lobby.database import open_database
from smartcounter.lobby.models import QueueKind
from smartcounter.lobby.schemas import TicketComplete, TicketCreate
from smartcounter.lobby.setup import add_branch
from smartcounter.settings import Settings


def test_close_day_twice_imports_once(tmp_path: Path) -> None:
    store = tmp_path / "store"
    settings = Settings(store=store)
    database = open_database(settings)
    ctx = build_context(settings)
    teller = staff_actor(Role.TELLER)
    with database.unit_of_work() as session:
        add_branch(
            session=session, ctx=ctx, actor=SYSTEM, branch_id="B1", name="B1", branch_type="county"
        )
        view = service.issue_ticket(
            session=session,
            ctx=ctx,
            actor=SYSTEM,
            branch_id="B1",
            ticket_in=TicketCreate(business=["cash_deposit"]),
        )
        service.call_next(
            session=session,
            ctx=ctx,
            actor=teller,
            branch_id="B1",
            point_id=point_id(session, "B1", QueueKind.TELLER),
        )
        service.complete(
            session=session,
            ctx=ctx,
            actor=teller,
            branch_id="B1",
            ticket_id=view.ticket.id,
            complete_in=TicketComplete(),
        )
    database.dispose()
    day = ctx.today().isoformat()
    runner = CliRunner()
    env = {"SMARTCOUNTER_STORE": "", "SMARTCOUNTER_DATABASE_URL": ""}
    first = runner.invoke(
        app, ["--store", str(store), "close-day", "--date", day, "--format", "json"], env=env
    )
    assert first.exit_code == 0, first.output
    body = json.loads(first.stdout)
    assert body["branches"] == [
        {
            "branch_id": "B1",
            "visits": 1,
            "transactions": 1,
            "triage": 0,
            "migratable": 0,
            "migrated": 0,
        }
    ]
    assert {f["table"]: f["imported"] for f in body["files"]}["transactions"] == 1
    second = runner.invoke(
        app, ["--store", str(store), "close-day", "--date", day, "--format", "json"], env=env
    )
    assert second.exit_code == 0
    assert all(f["imported"] == 0 for f in json.loads(second.stdout)["files"])
    bad = runner.invoke(app, ["--store", str(store), "close-day", "--date", "not-a-date"], env=env)
    assert bad.exit_code == 2


def test_close_day_where_there_is_no_lobby_creates_nothing(tmp_path: Path) -> None:
    store = tmp_path / "nothing-here"
    result = CliRunner().invoke(app, ["--lang", "en", "--store", str(store), "close-day"])
    assert result.exit_code == 2
    assert "no branches" in result.output
    assert not store.exists()
