"""Against a real ``smartcounter serve``: an account made with ``users add`` logs in; ten wrong
passwords lock it; the answers are not cacheable; the SQLite file is the owner's only."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from testkit import SYSTEM, PostgresSchema, Server, need_postgres

from smartcounter.lobby.context import build_context
from smartcounter.lobby.database import open_database
from smartcounter.lobby.models import Staff
from smartcounter.lobby.setup import add_branch
from smartcounter.settings import Settings

PASSWORD = "counter-2026"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
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


def environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    env["SMARTCOUNTER_LANG"] = "en"
    if settings.database_url:
        env["SMARTCOUNTER_DATABASE_URL"] = settings.database_url
    return env


def seed(settings: Settings) -> None:
    database = open_database(settings)
    try:
        with database.unit_of_work() as session:
            add_branch(
                session=session,
                ctx=build_context(settings),
                actor=SYSTEM,
                branch_id="B1",
                name="B1",
                branch_type="urban",
            )
            session.add(Staff(staff_id="S1", branch_id="B1", role="teller"))
    finally:
        database.dispose()


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    seed(settings)
    env = environment(settings)
    added = subprocess.run(
        [
            str(Path(sys.executable).parent / "smartcounter"),
            "--store",
            str(settings.store),
            "users",
            "add",
            "teller.wu",
            "--role",
            "teller",
            "--branch",
            "B1",
            "--staff",
            "S1",
            "--password-stdin",
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    running = Server(settings.store, env)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def login(server: Server, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/auth/login",
        json={"username": "teller.wu", "password": password},
        timeout=10,
    )


@pytest.mark.slow
def test_an_added_account_logs_in_and_ten_failures_lock_it(
    server: Server, settings: Settings
) -> None:
    first = login(server, PASSWORD)
    assert first.status_code == 200, first.text
    assert first.json()["user"]["staff_id"] == "S1"
    assert first.headers["cache-control"] == "no-store"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" not in cookie  # not configured for HTTPS
    assert "strict-transport-security" not in first.headers
    me = httpx.get(f"{server.url}/api/auth/me", cookies=first.cookies, timeout=10)
    assert me.status_code == 200 and me.headers["cache-control"] == "no-store"
    for _ in range(10):
        assert login(server, "wrong-password-1").status_code in (401, 429)
    locked = login(server, PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["detail"].startswith("Too many failed logins")
    assert "Try again after" in locked.json()["detail"]
    if not settings.database_url:
        assert (settings.store / "lobby.sqlite3").stat().st_mode & 0o777 == 0o600
