"""Fixtures of the publishing tests: a small network in a real store, a real SMTP server.

The store and its bulletin are built once per session (rendering every branch's PDF takes
seconds): every publish of a test writes into the same bulletin folder, which the service
reuses. Each test has a delivery log of its own (a new database) and a fresh mail server.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from aiosmtpd.controller import Controller

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.store.layout import Store
from tests.bulletin.network import BRANCHES, monday_weeks_before, write_network
from tests.lobby.testkit import PostgresSchema, need_postgres

WEEK = "2018-W10"
GENERATED = datetime(2018, 3, 12, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
# Six branches of the bulletin tests' network: the four of the source and two that lag.
NETWORK = tuple(b for b in BRANCHES if b.branch_id in {
    "DY-XSK", "NT-KFQ", "CZ-LJL", "LYG-DHCZ", "CZ-XB", "LYG-HZ",
})  # fmt: skip
NO_ADDRESS = "LYG-HZ"  # its director has no e-mail address in staff.csv
LOBBY_MANAGER_BRANCH = "CZ-LJL"  # its lobby manager has one
REVIEWERS = ["reviewer1@centre.example.cn", "reviewer2@centre.example.cn"]
CENTRE = ["head@centre.example.cn"]
REGIONS = {"常州": ["changzhou@region.example.cn"], "南通": ["nantong@region.example.cn"]}
SENDER = "smartcounter@centre.example.cn"


def director_address(branch_id: str) -> str:
    return f"director.{branch_id.lower()}@branch.example.cn"


@dataclass(frozen=True)
class Network:
    """The session's store and where its branches' directors are written."""

    store: Store
    names: dict[str, str]  # branch id → name
    regions: dict[str, str]  # branch id → region


@pytest.fixture(scope="session")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """Six branches, nine weeks up to 2018-W10; directors (but one) with an address."""
    base = tmp_path_factory.mktemp("publish-network")
    src = base / "csv"
    write_network(
        src,
        first_monday=monday_weeks_before(date(2018, 3, 5), 9),
        weeks=9,
        seed=11,
        scale=0.4,
        branches=NETWORK,
    )
    staff = pl.read_csv(src / "staff.csv")
    lobby_manager_id = (
        staff.filter(pl.col("branch_id") == LOBBY_MANAGER_BRANCH, pl.col("role") != "director")
        .get_column("staff_id")
        .first()
    )
    email_of = pl.when((pl.col("role") == "director") & (pl.col("branch_id") != NO_ADDRESS)).then(
        pl.lit("director.") + pl.col("branch_id").str.to_lowercase() + "@branch.example.cn"
    )
    staff = staff.with_columns(
        pl.when(pl.col("staff_id") == lobby_manager_id)
        .then(pl.lit("lobby_manager"))
        .otherwise(pl.col("role"))
        .alias("role"),
        pl.when(pl.col("staff_id") == lobby_manager_id)
        .then(pl.lit("lobby.cz-ljl@branch.example.cn"))
        .otherwise(email_of)
        .alias("email"),
    )
    staff.write_csv(src / "staff.csv")
    root = base / "store"
    report = ingest_paths(
        root, [src], timezone="Asia/Shanghai", catalogue=load_catalogue(), options=IngestOptions()
    )
    assert report.rejected == 0, report
    return Network(
        Store.open(root),
        names={b.branch_id: b.name for b in NETWORK},
        regions={b.branch_id: b.region for b in NETWORK},
    )


@pytest.fixture(scope="session")
def bulletin_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where every test's publish writes (and finds) the week's bulletin."""
    return tmp_path_factory.mktemp("publish-bulletin")


# -- a real mail server -------------------------------------------------------------------


@dataclass
class Inbox:
    """What the SMTP server received; addresses in ``refuse`` are answered 550."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages delivered to ``address``."""
        return [m for rcpts, m in self.messages if address in rcpts]

    def recipients(self) -> list[str]:
        return sorted(a for rcpts, _ in self.messages for a in rcpts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class MailServer:
    inbox: Inbox
    port: int


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """An SMTP server on 127.0.0.1 (no STARTTLS) recording what it receives."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield MailServer(inbox, controller.port)
    finally:
        controller.stop()


# -- settings and the delivery log ---------------------------------------------------------


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A new, empty delivery log (SQLite in the test's folder)."""
    return f"sqlite:///{tmp_path / 'service.sqlite3'}"


@pytest.fixture(params=BACKENDS)
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty delivery log on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.sqlite3'}"
        return
    schema = PostgresSchema(need_postgres())
    try:
        yield f"{schema.url}?options=-csearch_path%3D{schema.name}"
    finally:
        schema.drop()


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mail_server: MailServer) -> Any:
    """Point the settings at the test's mail server and delivery log; extra TOML lines go in.

    The SMTP host, port and STARTTLS come as environment variables (the README's
    contract); the lists as the ``[publish]`` table of a config file.
    """

    def make(database: str, *extra: str) -> Path:
        config = tmp_path / "smartcounter.toml"
        regions = "\n".join(f'"{k}" = {toml_list(v)}' for k, v in REGIONS.items())
        config.write_text(
            "[publish]\n"
            f"reviewers = {toml_list(REVIEWERS)}\n"
            f"centre = {toml_list(CENTRE)}\n"
            "lobby_managers = true\n"
            + "".join(f"{line}\n" for line in extra)
            + f"[publish.regions]\n{regions}\n",
            "utf-8",
        )
        monkeypatch.setenv("SMARTCOUNTER_CONFIG", str(config))
        monkeypatch.setenv("SMARTCOUNTER_DATABASE_URL", database)
        monkeypatch.setenv("SMARTCOUNTER_PUBLISH__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMARTCOUNTER_PUBLISH__SMTP_PORT", str(mail_server.port))
        monkeypatch.setenv("SMARTCOUNTER_PUBLISH__STARTTLS", "false")
        monkeypatch.setenv("SMARTCOUNTER_PUBLISH__SENDER", SENDER)
        monkeypatch.delenv("SMARTCOUNTER_SMTP_PASSWORD", raising=False)
        monkeypatch.delenv("SMARTCOUNTER_LANG", raising=False)
        return config

    return make
