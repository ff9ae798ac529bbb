"""Many clients at once: ticket numbers stay unique and without gaps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from testkit import START, SYSTEM, PostgresSchema, make_context, need_postgres, staff_actor

from smartcounter.accounts.roles import Role
from smartcounter.lobby import service
from smartcounter.lobby.context import ManualClock
from smartcounter.lobby.database import Database, create_db_engine, migrate
from smartcounter.lobby.schemas import TicketCreate
from smartcounter.lobby.setup import add_branch

CLIENTS = 50


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def committed_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database whose changes really commit (no rolled-back test transaction)."""
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'lobby.sqlite3'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    schema = PostgresSchema(need_postgres())
    engine = schema.engine(pool_size=CLIENTS)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        schema.drop()


class TestConcurrentIssuing:
    def test_fifty_clients_get_unique_gap_free_numbers(self, committed_engine: Engine) -> None:
        database = Database(committed_engine)
        ctx = make_context(ManualClock(START))
        with database.unit_of_work() as session:
            add_branch(
                session=session,
                ctx=ctx,
                actor=SYSTEM,
                branch_id="B1",
                name="B1",
                branch_type="urban",
            )
        barrier = threading.Barrier(CLIENTS)
        numbers: list[int] = []
        errors: list[BaseException] = []
        lock = threading.Lock()
        greeter = staff_actor(Role.GREETER)

        def client() -> None:
            try:
                barrier.wait(timeout=30)
                with database.unit_of_work() as session:
                    view = service.issue_ticket(
                        session=session,
                        ctx=ctx,
                        actor=greeter,
                        branch_id="B1",
                        ticket_in=TicketCreate(business=["card_open"]),
                    )
                    number = view.ticket.number
                with lock:
                    numbers.append(number)
            except BaseException as exc:  # reported below, with the others
                with lock:
                    errors.append(exc)

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert sorted(numbers) == list(range(1, CLIENTS + 1))
        with database.unit_of_work(write=False) as session:
            views = service.list_tickets(session=session, ctx=ctx, actor=SYSTEM, branch_id="B1")
        assert sorted(v.ticket.ticket_no for v in views) == [
            f"B{n:03d}" for n in range(1, CLIENTS + 1)
        ]
        positions = sorted(v.position or 0 for v in views)
        assert positions == list(range(1, CLIENTS + 1))
