"""The mails as their recipients read them: a director's own figures, polite greetings,
the lagging list by peer group, messages that name settings rather than codes."""

from __future__ import annotations

import email
import email.policy
import json
import re
from dataclasses import replace
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import polars as pl

from smartcounter.i18n import Lang, translate
from smartcounter.publish.messages import Attachment, EditionFiles, Letter, letter
from smartcounter.publish.models import Edition
from smartcounter.publish.notice import load_notice
from smartcounter.publish.recipients import Recipient
from smartcounter.publish.smtp import compose
from smartcounter.publish.webhook import MAX_MARKDOWN_BYTES, markdown_text
from smartcounter.store.reading import read_table
from tests.conftest import RunCli
from tests.publish.conftest import (
    CENTRE,
    NO_ADDRESS,
    MailServer,
    Network,
    director_address,
)
from tests.publish.test_email import LOBBY_MANAGER, body_of, publish

STATUS_CODES = (
    "benchmark",
    "advanced",
    "at_target",
    "uncertain",
    "below_target",
    "needs_help",
    "too_few",
    "no_data",
)


def bulletin_rows(folder: Path) -> dict[str, dict[str, Any]]:
    """The bulletin's own figures of each branch (``bulletin.json``), by branch id."""
    data = json.loads((folder / "bulletin.json").read_text("utf-8"))
    return {b["branch_id"]: b for b in data["branches"]}


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


class TestDirectorsMail:
    def test_a_director_is_greeted_by_title_and_reads_the_branchs_own_week(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url)
        result = publish(run_cli, network, bulletin_folder, "--approve")
        assert result.exit_code == 0, result.stderr
        rows = bulletin_rows(bulletin_folder)
        staff = read_table(network.store, "staff").filter(pl.col("role") == "director")
        names = dict(zip(staff["branch_id"], staff["name"], strict=True))
        for branch in (b for b in network.names if b != NO_ADDRESS):
            (message,) = mail_server.inbox.to(director_address(branch))
            body, row = body_of(message), rows[branch]
            assert body.startswith(f"{names[branch]}主任：\n\n您好！"), body[:40]
            own = body[: body.index("全辖本周要点")]
            assert f"本网点本周的判断：{row['status_label']}" in own
            assert f"迁移率为{pct(row['rate'])}" in own
            assert f"{row['migratable']:,}笔可迁业务中有{row['migrated']:,}笔" in own
            interval = f"{row['ci_low'] * 100:.1f}–{row['ci_high'] * 100:.1f}%"
            assert interval in own
            assert f"排第{row['peer_rank']}名" in own and f"排第{row['network_rank']}名" in own
            assert not any(code in body for code in STATUS_CODES)
            assert "全行" not in body and "负责人" not in body
        # A lobby manager (lobby_managers = true) is greeted as 经理.
        everyone = read_table(network.store, "staff")
        manager = everyone.filter(pl.col("email") == LOBBY_MANAGER)["name"].item()
        (message,) = mail_server.inbox.to(LOBBY_MANAGER)
        assert body_of(message).startswith(f"{manager}经理：\n\n您好！")
        # How many branches went without a page, then which.
        assert "以下 1 家网点在 staff.csv 中没有填写网点主任的邮箱" in result.stdout
        assert network.names[NO_ADDRESS] in result.stdout

    def test_the_lagging_list_names_each_branchs_peer_group(
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
        (message,) = mail_server.inbox.to(CENTRE[0])
        body = body_of(message)
        lagging = [
            r for r in bulletin_rows(bulletin_folder).values() if r["status"] == "needs_help"
        ]
        assert lagging, "the test network has branches needing help"
        for row in lagging:
            group = translate(f"bulletin.group.{row['branch_type']}", Lang.ZH)
            assert f"· {row['name']}（{group}，迁移率 {pct(row['rate'])}）" in body


class TestSettingsMessages:
    def test_no_reviewers_names_the_setting_not_a_code(
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
        monkeypatch.setenv("SMARTCOUNTER_PUBLISH__REVIEWERS", "[]")
        result = publish(run_cli, network, bulletin_folder, "--draft")
        assert result.exit_code == 2
        assert result.stderr.startswith("审阅稿没有收件人")
        assert "SMARTCOUNTER_PUBLISH__REVIEWERS" in result.stderr
        assert not re.search(r"\bdraft\b", result.stderr)
        assert mail_server.inbox.messages == []


class TestKeptNotice:
    def test_a_notice_kept_by_an_earlier_version_still_makes_a_directors_mail(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        configure: Any,
        database_url: str,
        tmp_path: Path,
    ) -> None:
        configure(database_url)  # a dry run builds the week's notice if no test has yet
        assert publish(run_cli, network, bulletin_folder, "--dry-run").exit_code == 0
        # notice.json as the first version wrote it: no status, summary or peer group.
        data = json.loads((bulletin_folder / "notice.json").read_text("utf-8"))
        for branch in data["branches"]:
            del branch["status"], branch["summary"]
        for lagging in data["lagging"]:
            del lagging["group"]
        (tmp_path / "notice.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        notice = load_notice(tmp_path)
        assert notice is not None
        branch = notice.branches[0]
        page = tmp_path / "page.pdf"
        files = EditionFiles(tmp_path / "bulletin.pdf", None, None, {branch.branch_id: page})
        director = Recipient("d@branch.example.cn", "director", "林娟", branch.branch_id)
        mail = letter(recipient=director, edition=Edition.APPROVED, notice=notice, files=files)
        assert mail.body.startswith("林娟主任：\n\n您好！")
        assert "本网点本周的判断" not in mail.body and "全辖本周要点" in mail.body
        centre = Recipient("c@centre.example.cn", "centre")
        whole = letter(recipient=centre, edition=Edition.APPROVED, notice=notice, files=files)
        assert all(f"· {x.name}（迁移率 {x.rate}）" in whole.body for x in notice.lagging)


class TestGroupChatNotice:
    def test_a_long_lagging_list_keeps_within_the_robots_limit_and_says_how_many_more(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url)
        assert publish(run_cli, network, bulletin_folder, "--dry-run").exit_code == 0
        notice = load_notice(bulletin_folder)
        assert notice is not None and notice.lagging
        # A network of many lagging branches: the week's list, forty times over.
        many = replace(notice, lagging=notice.lagging * 40)
        _, text = markdown_text(many)
        assert len(text.encode("utf-8")) <= MAX_MARKDOWN_BYTES
        shown = text.count("- " + notice.lagging[0].name + "（")
        listed = sum(text.count(f"- {x.name}（") for x in notice.lagging)
        assert 0 < shown < 40 and f"……另有 {len(many.lagging) - listed} 家，见通报全文" in text
        assert f"重点帮扶网点（{len(many.lagging)} 家）" in text
        _, whole = markdown_text(notice)  # the week's own list fits: all of it, no "more"
        assert all(f"- {x.name}（" in whole for x in notice.lagging) and "见通报全文" not in whole

    def test_the_robot_is_named_for_people_not_by_its_code(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url, 'webhook_url = "http://127.0.0.1:9/robot"')
        result = publish(run_cli, network, bulletin_folder, "--approve", "--dry-run")
        assert result.exit_code == 0, result.stderr
        assert "企业微信群机器人" in result.stdout and "wecom" not in result.stdout


class TestAttachmentNames:
    def test_a_chinese_file_name_is_also_in_content_type_for_outlook_and_notes(
        self, tmp_path: Path
    ) -> None:
        page = tmp_path / "page.pdf"
        page.write_bytes(b"%PDF-1.7\n")
        name = "智能柜台迁移通报_2018-W10_CZ-LJL_常州龙锦路支行.pdf"
        director = Recipient("d@branch.example.cn", "director", "林娟", "CZ-LJL")
        mail = Letter(director, "主题", "正文", (Attachment(page, name),))
        raw = compose(mail, "smartcounter@centre.example.cn").as_bytes()
        assert all(len(line.rstrip(b"\r")) <= 78 for line in raw.split(b"\n"))
        # What a reader of RFC 2047 words only sees (Outlook over IMAP, Lotus Notes).
        legacy = email.message_from_bytes(raw, policy=email.policy.compat32)
        (part,) = [p for p in legacy.walk() if p.get_content_type() == "application/pdf"]
        words = part.get_param("name")
        assert isinstance(words, str) and words.startswith("=?utf-8?b?")
        assert str(make_header(decode_header(words))) == name
        # And a reader of RFC 2231 (Thunderbird, Python) reads the same name.
        modern = email.message_from_bytes(raw, policy=email.policy.default)
        (attached,) = modern.iter_attachments()
        assert attached.get_filename() == name and attached.get_content_type() == "application/pdf"
        assert attached.get_content() == b"%PDF-1.7\n"


class TestDryRunKeepsTheDraft:
    def test_a_dry_run_of_a_resent_draft_leaves_the_reviewed_files_alone(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
    ) -> None:
        configure(database_url)
        assert publish(run_cli, network, bulletin_folder, "--draft").exit_code == 0
        kept = {p.name: p.stat().st_mtime_ns for p in bulletin_folder.glob("*.*")}
        result = publish(run_cli, network, bulletin_folder, "--draft", "--resend", "--dry-run")
        assert result.exit_code == 0, result.stderr
        assert {p.name: p.stat().st_mtime_ns for p in bulletin_folder.glob("*.*")} == kept
        assert len(mail_server.inbox.messages) == 2  # the draft's, none from the dry run
