"""``publish`` by e-mail against a real SMTP server: who gets what, in Chinese, once."""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from smartcounter.database import create_db_engine
from tests.conftest import CliResult, RunCli
from tests.publish.conftest import (
    CENTRE,
    LOBBY_MANAGER_BRANCH,
    NO_ADDRESS,
    REGIONS,
    REVIEWERS,
    WEEK,
    Inbox,
    MailServer,
    Network,
    director_address,
    free_port,
)

CHINESE = "智能柜台迁移通报"
LOBBY_MANAGER = "lobby.cz-ljl@branch.example.cn"


def publish(run_cli: RunCli, network: Network, folder: Path, *args: str) -> CliResult:
    return run_cli("--store", network.store.root, "publish", "--week", WEEK, "--out", folder, *args)


def attachments(message: EmailMessage) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for part in message.iter_attachments():
        name = part.get_filename()
        payload = part.get_content()
        assert name is not None and isinstance(payload, bytes)
        out[name] = payload
    return out


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    text = part.get_content()
    assert isinstance(text, str)
    return text


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "attachment.pdf"
    path.write_bytes(data)
    return "".join(page.extract_text().replace("\n", "") for page in PdfReader(path).pages)


def deliveries(database: str) -> list[dict[str, Any]]:
    engine = create_db_engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT * FROM publish_deliveries ORDER BY delivery_id")
            )
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def key_messages(folder: Path) -> list[str]:
    """The headline sentences of the bulletin the command built (its HTML's list)."""
    page = (folder / "bulletin.html").read_text("utf-8")
    start = page.index('<ul class="messages">')
    block = page[start : page.index("</ul>", start)]
    return [html.unescape(s) for s in re.findall(r"<li>(.*?)</li>", block)]


def approved_recipients(network: Network) -> list[str]:
    directors = [director_address(b) for b in network.names if b != NO_ADDRESS]
    regions = [a for addresses in REGIONS.values() for a in addresses]
    return sorted([*directors, LOBBY_MANAGER, *CENTRE, *regions])


class TestDraft:
    def test_only_the_reviewers_get_the_whole_draft_in_chinese(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url)
        result = publish(run_cli, network, bulletin_folder, "--draft")
        assert result.exit_code == 0, result.stderr
        inbox = mail_server.inbox
        assert inbox.recipients() == sorted(REVIEWERS)
        (message,) = inbox.to(REVIEWERS[0])
        assert "审阅稿" in message["Subject"] and "2018年第10周" in message["Subject"]
        text = body_of(message)
        assert "本周要点" in text and f"--week {WEEK} --approve" in text
        assert all(sentence in text for sentence in key_messages(bulletin_folder))
        files = attachments(message)
        assert set(files) == {f"{CHINESE}_{WEEK}.pdf", f"{CHINESE}_{WEEK}_网点分册.pdf"}
        assert all(data.startswith(b"%PDF") for data in files.values())
        log = deliveries(database_url)
        assert [(d["recipient"], d["edition"], d["channel"], d["outcome"]) for d in log] == [
            (r, "draft", "email", "sent") for r in REVIEWERS
        ]
        ids = {m["Message-ID"] for _, m in inbox.messages}
        assert {d["message_id"] for d in log} == ids

    def test_a_rerun_sends_nothing_twice(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url)
        assert publish(run_cli, network, bulletin_folder).exit_code == 0  # draft by default
        again = publish(run_cli, network, bulletin_folder, "--draft")
        assert again.exit_code == 0
        assert "--resend" in again.stdout
        assert len(mail_server.inbox.messages) == len(REVIEWERS)
        assert len(deliveries(database_url)) == len(REVIEWERS)

    def test_a_dry_run_lists_the_mails_and_sends_none(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url)
        result = publish(run_cli, network, bulletin_folder, "--approve", "--dry-run")
        assert result.exit_code == 0, result.stderr
        assert mail_server.inbox.messages == []
        assert deliveries(database_url) == []
        for address in approved_recipients(network):
            assert address in result.stdout
        assert "演练" in result.stdout and network.names[NO_ADDRESS] in result.stdout


class TestApproved:
    def test_each_branch_gets_its_own_page_the_centre_and_regions_the_whole(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
        tmp_path: Path,
    ) -> None:
        configure(database_url)
        result = publish(run_cli, network, bulletin_folder, "--approve")
        assert result.exit_code == 0, result.stderr
        inbox = mail_server.inbox
        assert inbox.recipients() == approved_recipients(network)
        headline = key_messages(bulletin_folder)
        pages = {b: director_address(b) for b in network.names if b != NO_ADDRESS}
        pages[LOBBY_MANAGER_BRANCH + "/lobby"] = LOBBY_MANAGER
        for key, address in pages.items():
            branch = key.split("/")[0]
            name = network.names[branch]
            (message,) = inbox.to(address)
            assert name in message["Subject"] and "2018年第10周" in message["Subject"]
            assert all(sentence in body_of(message) for sentence in headline)
            ((filename, data),) = attachments(message).items()
            assert filename == f"{CHINESE}_{WEEK}_{branch}_{name}.pdf"
            # The bulletin's own page of that branch (a partner's name may be in it too).
            assert data == (bulletin_folder / "branches" / f"{branch}.pdf").read_bytes()
            assert name in pdf_text(data, tmp_path)
        for address in [*CENTRE, *(a for v in REGIONS.values() for a in v)]:
            (message,) = inbox.to(address)
            assert set(attachments(message)) == {
                f"{CHINESE}_{WEEK}.pdf",
                f"{CHINESE}_{WEEK}_明细.xlsx",
            }
            assert "重点帮扶网点" in body_of(message)
        assert network.names[NO_ADDRESS] in result.stdout  # named: no director's address

    def test_a_refused_address_fails_alone_and_is_retried_next_run(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        any_database_url: str,
    ) -> None:
        configure(any_database_url)
        refused = director_address("CZ-XB")
        mail_server.inbox.refuse.add(refused)
        first = publish(run_cli, network, bulletin_folder, "--approve")
        assert first.exit_code == 3
        assert refused in first.stderr and "550" in first.stdout
        everyone = approved_recipients(network)
        assert mail_server.inbox.recipients() == sorted(set(everyone) - {refused})
        mail_server.inbox.refuse.clear()
        mail_server.inbox.messages.clear()
        second = publish(run_cli, network, bulletin_folder, "--approve")
        assert second.exit_code == 0, second.stderr
        assert mail_server.inbox.recipients() == [refused]
        log = deliveries(any_database_url)
        mine = [(d["outcome"], d["error"] or "") for d in log if d["recipient"] == refused]
        assert [o for o, _ in mine] == ["failed", "sent"] and "550" in mine[0][1]
        assert all(d["branch_id"] == "CZ-XB" for d in log if d["recipient"] == refused)
        assert len(log) == len(everyone) + 1
        assert {d["week"] for d in log} == {WEEK} and {d["edition"] for d in log} == {"approved"}

    def test_resend_sends_again_to_everyone(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url)
        assert publish(run_cli, network, bulletin_folder, "--approve").exit_code == 0
        assert publish(run_cli, network, bulletin_folder, "--approve", "--resend").exit_code == 0
        everyone = approved_recipients(network)
        assert mail_server.inbox.recipients() == sorted(everyone + everyone)


class TestNothingSent:
    def test_starttls_is_on_unless_the_environment_turns_it_off(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
        monkeypatch: Any,
    ) -> None:
        configure(database_url)
        monkeypatch.delenv("SMARTCOUNTER_PUBLISH__STARTTLS")  # the default: STARTTLS
        result = publish(run_cli, network, bulletin_folder, "--draft")
        assert result.exit_code == 2
        assert f"127.0.0.1:{mail_server.port}" in result.stderr
        assert mail_server.inbox.messages == []
        log = deliveries(database_url)
        assert {d["outcome"] for d in log} == {"failed"}  # tried, and retried next run

    def test_without_a_server_in_the_settings(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        configure: Any,
        database_url: str,
        monkeypatch: Any,
    ) -> None:
        configure(database_url)
        monkeypatch.delenv("SMARTCOUNTER_PUBLISH__SMTP_HOST")
        result = publish(run_cli, network, bulletin_folder, "--draft")
        assert result.exit_code == 2 and "smtp_host" in result.stderr

    def test_a_dry_run_without_a_server_plans_and_says_what_is_missing(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        configure: Any,
        database_url: str,
        monkeypatch: Any,
    ) -> None:
        configure(database_url)
        monkeypatch.delenv("SMARTCOUNTER_PUBLISH__SMTP_HOST")
        result = publish(run_cli, network, bulletin_folder, "--approve", "--dry-run")
        assert result.exit_code == 0, result.stderr
        for address in approved_recipients(network):
            assert address in result.stdout
        assert "正式发送前请补上" in result.stdout and "smtp_host" in result.stdout
        assert deliveries(database_url) == []
        # The real run is still refused, and names the same setting.
        real = publish(run_cli, network, bulletin_folder, "--approve")
        assert real.exit_code == 2 and "smtp_host" in real.stderr

    def test_a_week_without_data(
        self, run_cli: RunCli, network: Network, configure: Any, database_url: str
    ) -> None:
        configure(database_url)
        result = run_cli("--store", network.store.root, "publish", "--week", "2019-W10", "--draft")
        assert result.exit_code == 2 and "2019-W10" in result.stderr

    def test_last_is_the_latest_complete_week(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url)
        result = run_cli(
            "--store", network.store.root, "publish", "--week", "last", "--out",
            bulletin_folder, "--dry-run",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert WEEK in result.stdout and mail_server.inbox.messages == []


class TestOneBadAddress:
    def test_an_address_the_server_cannot_take_fails_alone(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        configure: Any,
        database_url: str,
        monkeypatch: Any,
    ) -> None:
        # A server without SMTPUTF8 cannot take an address written in Chinese.
        inbox = Inbox()
        controller = Controller(
            inbox, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False
        )
        controller.start()
        try:
            configure(database_url)
            monkeypatch.setenv("SMARTCOUNTER_PUBLISH__SMTP_PORT", str(controller.port))
            monkeypatch.setenv(
                "SMARTCOUNTER_PUBLISH__REVIEWERS",
                '["审阅人@银行.中国", "reviewer@centre.example.cn"]',
            )
            result = publish(run_cli, network, bulletin_folder, "--draft")
        finally:
            controller.stop()
        assert result.exit_code == 3 and "审阅人@银行.中国" in result.stderr
        assert inbox.recipients() == ["reviewer@centre.example.cn"]


class SessionLimit(Inbox):
    """A server that takes three mails a session, then answers 421 (as many do)."""

    closed = 0  # sessions it ended

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        count = getattr(session, "mails", 0)
        if count >= 3:
            self.closed += 1
            return "421 4.7.0 Too many messages in this session, closing"
        session.mails = count + 1
        envelope.mail_from = address
        return "250 OK"


class TestSessionLimit:
    def test_a_server_ending_sessions_gets_every_mail_over_several(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        configure: Any,
        database_url: str,
        monkeypatch: Any,
    ) -> None:
        inbox = SessionLimit()
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        try:
            configure(database_url)
            monkeypatch.setenv("SMARTCOUNTER_PUBLISH__SMTP_PORT", str(controller.port))
            result = publish(run_cli, network, bulletin_folder, "--approve")
        finally:
            controller.stop()
        assert result.exit_code == 0, result.stdout + result.stderr
        assert inbox.recipients() == approved_recipients(network)
        assert inbox.closed == (len(approved_recipients(network)) - 1) // 3  # nine: three
        assert {d["outcome"] for d in deliveries(database_url)} == {"sent"}
