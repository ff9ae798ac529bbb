"""The parts of publishing a test can hold in its hand: English mails, the log's schema, approvals."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from smartcounter.database import alembic_config, create_db_engine, migrate
from smartcounter.i18n import Lang
from smartcounter.kit.lock import exclusive
from smartcounter.publish.errors import NoCompleteWeek
from smartcounter.publish.messages import EditionFiles, letter
from smartcounter.publish.models import Edition
from smartcounter.publish.notice import Lagging, Notice
from smartcounter.publish.recipients import BranchEntry, Recipient
from smartcounter.publish.service import LOCK_FILE, PUBLISH_FOLDER, last_complete_week
from tests.conftest import RunCli
from tests.lobby.testkit import PostgresSchema, need_postgres
from tests.publish.conftest import BACKENDS, WEEK, MailServer, Network
from tests.publish.test_email import publish

NOTICE = Notice(
    week=WEEK,
    lang=Lang.EN,
    week_label="week 10 of 2018",
    period="5–11 March 2018",
    issue_line="",
    headline=("The network's rate was 88.1%.",),
    lagging=(Lagging("CZ-XB", "Changzhou Xinbei", "61.0%"),),
    branches=(BranchEntry("CZ-XB", "Changzhou Xinbei", "Changzhou"),),
)


class TestEnglish:
    def test_a_branch_letter_in_english_names_the_branch(self, tmp_path: Path) -> None:
        page = tmp_path / "CZ-XB.pdf"
        files = EditionFiles(tmp_path / "bulletin.pdf", None, None, {"CZ-XB": page})
        director = Recipient("d@branch.example.cn", "director", "Wang Fang", "CZ-XB")
        mail = letter(recipient=director, edition=Edition.APPROVED, notice=NOTICE, files=files)
        assert (
            mail.subject == "Smart-counter migration bulletin, week 10 of 2018 · Changzhou Xinbei"
        )
        assert mail.body.startswith("Dear Wang Fang,")
        assert "The network's rate was 88.1%." in mail.body
        ((attachment),) = mail.attachments
        assert attachment.path == page
        assert attachment.filename == f"smart-counter-bulletin_{WEEK}_CZ-XB_Changzhou Xinbei.pdf"

    def test_the_draft_in_english_lists_the_lagging(self, tmp_path: Path) -> None:
        files = EditionFiles(tmp_path / "bulletin.pdf", None, tmp_path / "branches.pdf", {})
        mail = letter(
            recipient=Recipient("r@centre.example.cn", "reviewer"),
            edition=Edition.DRAFT,
            notice=NOTICE,
            files=files,
        )
        assert mail.subject.startswith("[Draft for review]")
        assert "Changzhou Xinbei (migration rate 61.0%)" in mail.body
        assert f"smartcounter publish --week {WEEK} --approve" in mail.body
        assert [a.path.name for a in mail.attachments] == ["bulletin.pdf", "branches.pdf"]


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = PostgresSchema(need_postgres())
    engine = schema.engine()
    try:
        yield engine
    finally:
        engine.dispose()
        schema.drop()


class TestMigration:
    def test_0005_adds_the_delivery_log_and_takes_it_away(self, empty_engine: Engine) -> None:
        migrate(empty_engine, "0004")
        assert "publish_deliveries" not in sa.inspect(empty_engine).get_table_names()
        migrate(empty_engine)
        assert "publish_deliveries" in sa.inspect(empty_engine).get_table_names()
        config = alembic_config()
        with empty_engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        assert "publish_deliveries" not in sa.inspect(empty_engine).get_table_names()


class TestApproval:
    def test_the_approval_is_in_the_audit_log_a_dry_run_is_not(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url)
        assert publish(run_cli, network, bulletin_folder, "--approve", "--dry-run").exit_code == 0
        assert publish(run_cli, network, bulletin_folder, "--approve").exit_code == 0
        engine = create_db_engine(database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT actor, target FROM audit_log WHERE action = 'publish.approve'")
            ).all()
        engine.dispose()
        assert rows == [("system:publish", WEEK)]


class TestOneRunAtATime:
    def test_a_second_run_waits_for_the_first_then_gives_up_naming_it(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        configure(database_url)
        monkeypatch.setenv("SMARTCOUNTER_IMPORT_WAIT_SECONDS", "0")
        lock = network.store.root / PUBLISH_FOLDER / LOCK_FILE
        with exclusive(lock, what="publish 2018-W10 (the timer)", wait_seconds=0):
            result = publish(run_cli, network, bulletin_folder, "--approve")
        assert result.exit_code == 2 and "the timer" in result.stderr
        assert mail_server.inbox.messages == []


class TestLastWeek:
    def test_a_week_counts_once_it_has_ended(self, network: Network) -> None:
        assert last_complete_week(network.store, date(2018, 3, 12)) == WEEK  # Monday after
        assert last_complete_week(network.store, date(2018, 3, 11)) == "2018-W09"  # its Sunday

    def test_a_store_without_an_ended_week(self, network: Network) -> None:
        with pytest.raises(NoCompleteWeek):
            last_complete_week(network.store, date(2018, 1, 1))
