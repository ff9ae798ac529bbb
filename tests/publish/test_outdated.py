"""A week's data changed after its bulletin was built: publish never mails the old figures.

A draft the reviewers read goes to them again, built anew; an approval of data changed
since the reviewers' draft is refused; a build nobody read (a dry run's) is built again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.store.layout import Store
from tests.conftest import CliResult, RunCli
from tests.ingest.ingest_kit import txn, txns
from tests.publish.conftest import LOBBY_MANAGER_BRANCH, REVIEWERS, WEEK, MailServer, Network
from tests.publish.test_email import deliveries


@pytest.fixture
def own(network: Network, tmp_path: Path) -> Network:
    """A copy of the session's store, for a test that changes its data."""
    root = tmp_path / "store"
    shutil.copytree(network.store.root, root)
    return Network(Store.open(root), network.names, network.regions)


def publish(run_cli: RunCli, network: Network, folder: Path, *args: str) -> CliResult:
    return run_cli("--store", network.store.root, "publish", "--week", WEEK, "--out", folder, *args)


def late_business(network: Network, tmp_path: Path, n: int = 40) -> None:
    """``n`` transactions of the week arrive late at one branch, all at a smart counter."""
    folder = tmp_path / "late"
    folder.mkdir()
    rows = [
        txn(
            txn_id=f"LATE{i}",
            branch_id=LOBBY_MANAGER_BRANCH,
            ts="2018-03-07 10:00:00",
            staff_id="",
            customer_id=f"LC{i}",
        )
        for i in range(n)
    ]
    (folder / "transactions.csv").write_text(txns(*rows), "utf-8")
    report = ingest_paths(
        network.store.root,
        [folder],
        timezone="Asia/Shanghai",
        catalogue=load_catalogue(),
        options=IngestOptions(),
    )
    assert report.rejected == 0 and sum(f.imported for f in report.files) == n


def migratable(folder: Path) -> int:
    return int(json.loads((folder / "bulletin.json").read_text("utf-8"))["headline"]["migratable"])


def test_a_reviewed_draft_of_changed_data_is_sent_again_and_approval_waits(
    run_cli: RunCli,
    own: Network,
    tmp_path: Path,
    mail_server: MailServer,
    configure: Any,
    database_url: str,
) -> None:
    configure(database_url)
    folder = tmp_path / "bulletin"
    assert publish(run_cli, own, folder, "--draft").exit_code == 0
    before = migratable(folder)
    late_business(own, tmp_path)
    # A dry run keeps the files the reviewers read, and says they are out of date.
    dry = publish(run_cli, own, folder, "--approve", "--dry-run")
    assert dry.exit_code == 0 and "数据更新之前" in dry.stdout
    assert migratable(folder) == before
    # The approval would send what nobody reviewed: refused, nothing sent.
    refused = publish(run_cli, own, folder, "--approve")
    assert refused.exit_code == 2 and "审阅稿已过期" in refused.stderr
    assert len(mail_server.inbox.messages) == len(REVIEWERS)
    # The draft again (no --resend needed): built from the data as it is, to every reviewer.
    again = publish(run_cli, own, folder, "--draft")
    assert again.exit_code == 0, again.stderr
    assert migratable(folder) == before + 40
    assert len(mail_server.inbox.messages) == 2 * len(REVIEWERS)
    approved = publish(run_cli, own, folder, "--approve")
    assert approved.exit_code == 0, approved.stderr
    assert {d["edition"] for d in deliveries(database_url)} == {"draft", "approved"}


def test_a_build_nobody_read_is_built_again(
    run_cli: RunCli,
    own: Network,
    tmp_path: Path,
    mail_server: MailServer,
    configure: Any,
    database_url: str,
) -> None:
    configure(database_url)
    folder = tmp_path / "bulletin"
    assert publish(run_cli, own, folder, "--approve", "--dry-run").exit_code == 0
    before = migratable(folder)
    late_business(own, tmp_path)
    approved = publish(run_cli, own, folder, "--approve")
    assert approved.exit_code == 0, approved.stderr
    assert migratable(folder) == before + 40  # the figures mailed are today's
