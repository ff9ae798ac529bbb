"""Fixtures and helpers shared by the lobby, accounts and web tests.

Each of their conftest files loads this module by path and re-exports its fixtures. The
database fixture runs every test twice: on SQLite and on the machine's PostgreSQL (a fresh
schema per test session, dropped at the end); each test runs in a transaction that is
rolled back, on a schema migrated by Alembic.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from smartcounter.accounts.roles import Actor, DeviceKind, Role, system_actor, user_actor
from smartcounter.accounts.schemas import DeviceCreate, UserCreate
from smartcounter.accounts.service import create_device, create_user
from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.i18n import Lang
from smartcounter.lobby.context import LobbyContext, ManualClock, TimedCache, build_context
from smartcounter.lobby.database import Database, create_db_engine, migrate
from smartcounter.lobby.models import QueueKind, Staff
from smartcounter.lobby.prompts import load_rules
from smartcounter.lobby.setup import add_branch
from smartcounter.settings import LobbySettings, Settings
from smartcounter.web.app import create_app

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

# 10:00 in Shanghai on Tuesday 2018-03-06 (ISO week 2018-W10, the source's week).
START = datetime(2018, 3, 6, 2, 0, 0)
PG_USERS = ("postgres", "root")


def postgres_url() -> str | None:
    """A URL of the test database that answers, or None."""
    explicit = os.environ.get("SMARTCOUNTER_TEST_POSTGRES")
    candidates = (
        [explicit]
        if explicit
        else [f"postgresql+psycopg://{u}@127.0.0.1:5432/test" for u in PG_USERS]
    )
    for url in candidates:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("select 1")
            return url
        except sa.exc.OperationalError:
            continue
        finally:
            engine.dispose()
    return None


class PostgresSchema:
    """A fresh schema in the test database, dropped on ``drop``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"sc_test_{uuid.uuid4().hex[:12]}"
        self.admin = sa.create_engine(url)
        with self.admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{self.name}"')

    def engine(self, pool_size: int = 10) -> Engine:
        return create_db_engine(self.url, schema=self.name, pool_size=pool_size)

    def drop(self) -> None:
        with self.admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        self.admin.dispose()


def need_postgres() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL on 127.0.0.1:5432 (database test) is not reachable")
    return url


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def lobby_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated lobby database on each backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("lobbydb") / "lobby.sqlite3"
        engine = create_db_engine(f"sqlite:///{path}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    schema = PostgresSchema(need_postgres())
    engine = schema.engine()
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        schema.drop()


@pytest.fixture
def session(lobby_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = lobby_engine.connect()
    outer = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield db_session
    finally:
        db_session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def make_context(
    clock: ManualClock, rules_path: Path | None = None, **settings: object
) -> LobbyContext:
    """A lobby context on the default catalogue and rules, in Shanghai time.

    It keeps branch set-ups as a server does (so that tests see changes forget them), but
    not queue loads: wait estimates are checked right after each change.
    """
    lobby = LobbySettings(**settings)  # type: ignore[arg-type]
    return LobbyContext(
        catalogue=load_catalogue(),
        rules=load_rules(rules_path),
        settings=lobby,
        timezone=ZoneInfo("Asia/Shanghai"),
        clock=clock,
        lang=Lang.ZH,
        setups=TimedCache(lobby.setup_cache_seconds),
    )


@pytest.fixture
def ctx(clock: ManualClock) -> LobbyContext:
    return make_context(clock)


SYSTEM = system_actor("test")


def staff_actor(
    role: Role, branch_id: str = "B1", staff_id: str | None = None, user_id: int = 1
) -> Actor:
    """An actor of ``role`` in ``branch_id`` acting as staff member ``staff_id``."""
    return user_actor(
        user_id=user_id,
        username=f"{role.value}-{branch_id}",
        role=role,
        branch_id=branch_id,
        staff_id=staff_id or f"{branch_id}-{role.value}",
    )


@pytest.fixture
def branch(session: Session, ctx: LobbyContext) -> str:
    """Branch B1 with two teller windows, one smart counter and a wealth desk."""
    add_branch(
        session=session,
        ctx=ctx,
        actor=SYSTEM,
        branch_id="B1",
        name="丹阳新市口支行",
        branch_type="urban",
    )
    add_branch(
        session=session,
        ctx=ctx,
        actor=SYSTEM,
        branch_id="B2",
        name="龙锦路支行",
        branch_type="micro",
    )
    return "B1"


def point_id(session: Session, branch_id: str, kind: QueueKind, n: int = 0) -> int:
    """The id of the ``n``-th point of ``kind`` in the branch."""
    from smartcounter.lobby import repository as repo

    return repo.points(session, branch_id, kind=kind)[n].id


# -- the web app ---------------------------------------------------------------------------


PASSWORD = "correct-horse-1"
USERS = {
    "analyst": (Role.CENTRE_ANALYST, None),
    "director-b1": (Role.DIRECTOR, "B1"),
    "director-b2": (Role.DIRECTOR, "B2"),
    "manager-b1": (Role.LOBBY_MANAGER, "B1"),
    "greeter-b1": (Role.GREETER, "B1"),
    "specialist-b1": (Role.STM_SPECIALIST, "B1"),
    "teller-b1": (Role.TELLER, "B1"),
}


@dataclass
class Lobby:
    """A running web app over a seeded database: branches B1 and B2, a user per role, devices."""

    app: FastAPI
    settings: Settings
    database: Database
    devices: dict[str, str] = field(default_factory=dict)

    def client(self, username: str | None = None) -> TestClient:
        """A client, logged in as ``username`` (with its CSRF header) when given."""
        client = TestClient(self.app, raise_server_exceptions=False)
        if username is not None:
            answer = client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client

    def device(self, kind: str) -> TestClient:
        """A client holding a kiosk or display token."""
        client = TestClient(self.app, raise_server_exceptions=False)
        client.headers["Authorization"] = f"Bearer {self.devices[kind]}"
        return client


def build_lobby(store: Path, engine_url: str | None = None, schema: str | None = None) -> Lobby:
    """Seed a lobby database and build the app over it."""
    settings = Settings(store=store, secret_key="test-secret-not-default")
    engine = create_db_engine(engine_url or f"sqlite:///{store / 'lobby.sqlite3'}", schema=schema)
    migrate(engine)
    database = Database(engine)
    ctx = build_context(settings)
    lobby = Lobby(
        app=create_app(settings, database=database, migrate_now=False),
        settings=settings,
        database=database,
    )
    with database.unit_of_work() as session:
        for branch_id, name in (("B1", "丹阳新市口支行"), ("B2", "龙锦路支行")):
            add_branch(
                session=session,
                ctx=ctx,
                actor=SYSTEM,
                branch_id=branch_id,
                name=name,
                branch_type="urban",
            )
        for username, (role, branch_id) in USERS.items():
            staff_id = None
            if branch_id is not None:
                staff_id = f"{branch_id}-{role.value}"
                session.add(
                    Staff(
                        staff_id=staff_id,
                        branch_id=branch_id,
                        name=username,
                        role=role.value,
                        on_duty=True,
                    )
                )
                session.flush()
            create_user(
                session=session,
                actor=SYSTEM,
                branch_id=branch_id,
                user_in=UserCreate(
                    username=username, password=PASSWORD, role=role, staff_id=staff_id
                ),
                now=ctx.now(),
            )
        for kind in (DeviceKind.KIOSK, DeviceKind.DISPLAY):
            _device, token = create_device(
                session=session,
                actor=SYSTEM,
                branch_id="B1",
                device_in=DeviceCreate(kind=kind, name=kind.value),
                now=ctx.now(),
            )
            lobby.devices[kind.value] = token
    return lobby


@pytest.fixture(scope="module", params=BACKENDS)
def lobby(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lobby]:
    """The seeded web app, once on SQLite and once on PostgreSQL."""
    store = tmp_path_factory.mktemp("store")
    if request.param == "sqlite":
        built = build_lobby(store)
        yield built
        built.database.dispose()
        return
    pg = PostgresSchema(need_postgres())
    try:
        built = build_lobby(store, pg.url, pg.name)
        yield built
        built.database.dispose()
    finally:
        pg.drop()


# -- a real server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``smartcounter serve`` in a subprocess of its own session."""

    def __init__(self, store: Path, env: dict[str, str]) -> None:
        self.store = store
        self.env = env
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "smartcounter"),
                "--store",
                str(self.store),
                "serve",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/login", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
