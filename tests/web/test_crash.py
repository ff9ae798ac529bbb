"""A server killed with ``kill -9`` mid-day loses no ticket it answered (a real uvicorn)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from testkit import SYSTEM, PostgresSchema, Server, need_postgres

from smartcounter.accounts.roles import DeviceKind
from smartcounter.accounts.schemas import DeviceCreate
from smartcounter.accounts.service import create_device
from smartcounter.lobby.context import build_context
from smartcounter.lobby.database import open_database
from smartcounter.lobby.setup import add_branch
from smartcounter.settings import Settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    store = tmp_path / "store"
    if request.param == "sqlite":
        yield Settings(store=store)
        return
    schema = PostgresSchema(need_postgres())
    url = schema.url.replace("postgresql+psycopg://", "postgresql://")
    try:
        yield Settings(
            store=store, database_url=f"{url}?options={quote('-csearch_path=' + schema.name)}"
        )
    finally:
        schema.drop()


def seed(settings: Settings) -> str:
    database = open_database(settings)
    ctx = build_context(settings)
    try:
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
    finally:
        database.dispose()
    return token


@pytest.mark.slow
def test_kill_minus_nine_loses_no_answered_ticket(server_settings: Settings) -> None:
    token = seed(server_settings)
    env = {**os.environ, "SMARTCOUNTER_LANG": "zh"}
    env.pop("SMARTCOUNTER_STORE", None)
    if server_settings.database_url:
        env["SMARTCOUNTER_DATABASE_URL"] = server_settings.database_url
    else:
        env.pop("SMARTCOUNTER_DATABASE_URL", None)
    server = Server(server_settings.store, env)
    server.start()
    answered: list[dict[str, object]] = []
    lock = threading.Lock()
    stop = threading.Event()
    headers = {"Authorization": f"Bearer {token}"}

    def client() -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=5) as http:
            while not stop.is_set():
                try:
                    answer = http.post("/api/branches/B1/tickets", json={"business": ["card_open"]})
                except httpx.HTTPError:
                    return  # the server is gone
                if answer.status_code == 201:
                    with lock:
                        answered.append(answer.json())

    threads = [threading.Thread(target=client) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        while len(answered) < 60:
            time.sleep(0.01)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        server.start()
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
            after = http.post("/api/branches/B1/tickets", json={"business": ["card_open"]}).json()
    finally:
        stop.set()
        server.stop()
    database = open_database(server_settings, migrate_now=False)
    try:
        from smartcounter.lobby import service

        ctx = build_context(server_settings)
        with database.unit_of_work(write=False) as session:
            stored = {
                v.ticket.ticket_no: v.ticket.visit_id
                for v in service.list_tickets(
                    session=session, ctx=ctx, actor=SYSTEM, branch_id="B1", limit=2000
                )
            }
    finally:
        database.dispose()
    for ticket in answered:
        assert stored.get(str(ticket["ticket_no"])) == ticket["visit_id"]
    numbers = sorted(int(no[1:]) for no in stored)
    # Unique and without gaps: a request cut off by the kill left no number behind.
    assert numbers == list(range(1, len(numbers) + 1))
    assert int(str(after["ticket_no"])[1:]) == len(numbers)
    assert len(answered) >= 60
