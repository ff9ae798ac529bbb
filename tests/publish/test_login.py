"""SMTP login with the password from the environment or a file, never from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from smartcounter.database import create_db_engine
from tests.conftest import RunCli
from tests.publish.conftest import REVIEWERS, WEEK, Inbox, MailServer, Network, free_port
from tests.publish.test_email import publish

USER, PASSWORD = "smartcounter", "s3cret-不在命令行"


def _check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good)


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A server that takes mail only after a login (plain text: the test has no TLS)."""
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_check,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield MailServer(inbox, controller.port)
    finally:
        controller.stop()


@pytest.fixture
def with_user(configure: Any, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(database_url)
    monkeypatch.setenv("SMARTCOUNTER_PUBLISH__SMTP_USER", USER)


# aiosmtpd warns that a login without TLS is unsafe: the test has no certificate.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
class TestLogin:
    def test_password_from_the_environment(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        with_user: None,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("SMARTCOUNTER_SMTP_PASSWORD", PASSWORD)
        result = publish(run_cli, network, bulletin_folder, "--draft")
        assert result.exit_code == 0, result.stderr
        assert mail_server.inbox.recipients() == sorted(REVIEWERS)

    def test_password_from_a_file(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        with_user: None,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        secret = tmp_path / "smtp-password"
        secret.write_text(PASSWORD + "\n", "utf-8")
        monkeypatch.setenv("SMARTCOUNTER_PUBLISH__SMTP_PASSWORD_FILE", str(secret))
        result = publish(run_cli, network, bulletin_folder, "--draft")
        assert result.exit_code == 0, result.stderr
        assert mail_server.inbox.recipients() == sorted(REVIEWERS)

    def test_no_password_is_a_setting_named_and_nothing_is_sent(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        with_user: None,
    ) -> None:
        result = publish(run_cli, network, bulletin_folder, "--draft")
        assert result.exit_code == 2 and "SMARTCOUNTER_SMTP_PASSWORD" in result.stderr
        assert mail_server.inbox.messages == []

    def test_a_refused_login_sends_nothing_and_says_which_server(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        with_user: None,
        monkeypatch: pytest.MonkeyPatch,
        database_url: str,
    ) -> None:
        monkeypatch.setenv("SMARTCOUNTER_SMTP_PASSWORD", "wrong")
        # aiosmtpd leaves a refused login unanswered: the client's timeout ends the wait.
        monkeypatch.setenv("SMARTCOUNTER_PUBLISH__TIMEOUT_SECONDS", "2")
        result = publish(run_cli, network, bulletin_folder, "--draft")
        assert result.exit_code == 2 and f"127.0.0.1:{mail_server.port}" in result.stderr
        assert mail_server.inbox.messages == []
        engine = create_db_engine(database_url)
        with engine.connect() as connection:
            outcomes = connection.execute(
                sa.text("SELECT DISTINCT outcome FROM publish_deliveries WHERE week = :w"),
                {"w": WEEK},
            ).all()
        engine.dispose()
        assert outcomes == [("failed",)]
