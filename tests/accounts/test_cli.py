"""``smartcounter users …``: passwords from standard input twice, exit codes, one transaction."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from testkit import SYSTEM

from smartcounter.accounts.models import AuditEntry, User
from smartcounter.accounts.service import authenticate
from smartcounter.lobby.context import build_context
from smartcounter.lobby.database import open_database
from smartcounter.lobby.models import Staff
from smartcounter.lobby.setup import add_branch
from smartcounter.settings import Settings

PASSWORD = "counter-2026"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store whose lobby database has branch B1 with staff S1 and S2."""
    folder = tmp_path / "store"
    settings = Settings(store=folder)
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
            session.add_all(
                [
                    Staff(staff_id="S1", branch_id="B1", role="greeter"),
                    Staff(staff_id="S2", branch_id="B1", role="teller"),
                ]
            )
    finally:
        database.dispose()
    return folder


def run(
    store: Path, *args: str, stdin: str = "", lang: str = "en"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "smartcounter"),
            "--store",
            str(store),
            "--lang",
            lang,
            *args,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def users(store: Path) -> list[dict[str, object]]:
    answer = run(store, "users", "list", "--format", "json")
    assert answer.returncode == 0, answer.stderr
    listed: list[dict[str, object]] = json.loads(answer.stdout)
    return listed


def audit(store: Path) -> list[tuple[str, str, str | None]]:
    database = open_database(Settings(store=store))
    try:
        with database.unit_of_work() as session:
            rows = session.execute(
                sa.select(AuditEntry.action, AuditEntry.actor, AuditEntry.target)
                .where(AuditEntry.action.like("user.%"))
                .order_by(AuditEntry.id)
            ).all()
            return [(a, b, c) for a, b, c in rows]
    finally:
        database.dispose()


class TestAdd:
    def test_the_password_is_read_twice_and_the_change_is_audited(self, store: Path) -> None:
        answer = run(
            store,
            "users",
            "add",
            "greeter.li",
            "--role",
            "greeter",
            "--branch",
            "B1",
            "--staff",
            "S1",
            "--password-stdin",
            stdin=f"{PASSWORD}\n{PASSWORD}\n",
        )
        assert answer.returncode == 0, answer.stderr
        assert users(store) == [
            {
                "username": "greeter.li",
                "role": "greeter",
                "branch_id": "B1",
                "staff_id": "S1",
                "display_name": None,
                "active": True,
                "last_login_at": None,
            }
        ]
        ((action, actor, target),) = audit(store)
        assert (action, target) == ("user.create", "greeter.li")
        assert actor.startswith("system:") and actor != "system:system"

    @pytest.mark.parametrize(
        ("stdin", "words"),
        [
            (f"{PASSWORD}\nsomething-else-1\n", "differ"),
            ("short1\nshort1\n", "at least 10"),
            ("onlyletters\nonlyletters\n", "letters and digits"),
            (f"{PASSWORD}\n", "two lines"),
        ],
    )
    def test_a_refused_password_exits_2_and_writes_nothing(
        self, store: Path, stdin: str, words: str
    ) -> None:
        answer = run(
            store,
            "users",
            "add",
            "teller.wu",
            "--role",
            "teller",
            "--branch",
            "B1",
            "--staff",
            "S2",
            "--password-stdin",
            stdin=stdin,
        )
        assert answer.returncode == 2
        assert words in answer.stderr
        assert users(store) == [] and audit(store) == []

    def test_the_message_is_in_chinese_by_default(self, store: Path) -> None:
        answer = run(
            store,
            "users",
            "add",
            "teller.wu",
            "--role",
            "teller",
            "--branch",
            "B1",
            "--password-stdin",
            stdin=f"{PASSWORD}\n{PASSWORD}\n",
            lang="zh",
        )
        assert answer.returncode == 2 and "员工编号" in answer.stderr

    @pytest.mark.parametrize(
        "args",
        [
            ["--role", "boss", "--branch", "B1", "--staff", "S2"],
            ["--role", "teller", "--staff", "S2"],
            ["--role", "teller", "--branch", "B1", "--staff", "NOPE"],
            ["--role", "centre_analyst", "--branch", "B1"],
        ],
    )
    def test_bad_roles_branches_and_staff_exit_2(self, store: Path, args: list[str]) -> None:
        answer = run(
            store,
            "users",
            "add",
            "x.y",
            *args,
            "--password-stdin",
            stdin=f"{PASSWORD}\n{PASSWORD}\n",
        )
        assert answer.returncode == 2, answer.stdout
        assert users(store) == []

    def test_one_staff_member_one_account(self, store: Path) -> None:
        both = ["--role", "teller", "--branch", "B1", "--staff", "S2", "--password-stdin"]
        twice = f"{PASSWORD}\n{PASSWORD}\n"
        assert run(store, "users", "add", "teller.a", *both, stdin=twice).returncode == 0
        answer = run(store, "users", "add", "teller.b", *both, stdin=twice)
        assert answer.returncode == 2 and "teller.a" in answer.stderr


ADD_GREETER = ("users", "add", "li", "--role", "greeter", "--branch", "B1", "--password-stdin")


class TestStaffOfAnotherRole:
    @pytest.mark.parametrize(
        ("lang", "words"),
        [("zh", ["S2", "柜员", "大堂引导员", "顶岗"]), ("en", ["S2", "Teller", "Greeter"])],
    )
    def test_a_greeter_linked_to_a_teller_is_made_with_a_warning(
        self, store: Path, lang: str, words: list[str]
    ) -> None:
        answer = run(
            store, *ADD_GREETER, "--staff", "S2", stdin=f"{PASSWORD}\n{PASSWORD}\n", lang=lang
        )
        assert answer.returncode == 0, answer.stderr
        assert all(w in answer.stderr for w in words), answer.stderr
        assert users(store)[0]["staff_id"] == "S2"

    def test_no_warning_when_the_roles_agree(self, store: Path) -> None:
        answer = run(store, *ADD_GREETER, "--staff", "S1", stdin=f"{PASSWORD}\n{PASSWORD}\n")
        assert answer.returncode == 0 and "listed as" not in answer.stderr

    def test_set_role_warns_too(self, store: Path) -> None:
        assert (
            run(store, *ADD_GREETER, "--staff", "S1", stdin=f"{PASSWORD}\n{PASSWORD}\n").returncode
            == 0
        )
        answer = run(store, "users", "set-role", "li", "--role", "greeter", "--staff", "S2")
        assert answer.returncode == 0 and "S2" in answer.stderr and "Teller" in answer.stderr


class TestChanges:
    def test_disable_enable_reset_and_set_role(self, store: Path) -> None:
        twice = f"{PASSWORD}\n{PASSWORD}\n"
        add = ["users", "add", "li", "--role", "greeter", "--branch", "B1", "--staff", "S1"]
        assert run(store, *add, "--password-stdin", stdin=twice).returncode == 0
        assert run(store, "users", "disable", "li").returncode == 0
        assert users(store)[0]["active"] is False
        assert run(store, "users", "enable", "li").returncode == 0
        fresh = "fresh-start-9\nfresh-start-9\n"
        assert (
            run(store, "users", "reset-password", "li", "--password-stdin", stdin=fresh).returncode
            == 0
        )
        answer = run(store, "users", "set-role", "li", "--role", "stm_specialist")
        assert answer.returncode == 0, answer.stderr
        assert users(store)[0]["role"] == "stm_specialist"
        assert [a for a, _actor, _t in audit(store)] == [
            "user.create",
            "user.disable",
            "user.enable",
            "user.password_reset",
            "user.set_role",
        ]
        database = open_database(Settings(store=store))
        with database.unit_of_work() as session:
            assert authenticate(
                session=session, username="li", password="fresh-start-9", now=datetime(2026, 1, 1)
            )
            assert session.scalar(sa.select(User.staff_id)) == "S1"
        database.dispose()

    @pytest.mark.parametrize("verb", ["disable", "enable"])
    def test_an_unknown_user_exits_2(self, store: Path, verb: str) -> None:
        answer = run(store, "users", verb, "nobody")
        assert answer.returncode == 2 and "nobody" in answer.stderr

    def test_list_formats(self, store: Path) -> None:
        twice = f"{PASSWORD}\n{PASSWORD}\n"
        add = ["users", "add", "li", "--role", "greeter", "--branch", "B1", "--staff", "S1"]
        run(store, *add, "--password-stdin", stdin=twice)
        csv = run(store, "users", "list", "--format", "csv").stdout.splitlines()
        assert csv[0] == "username,role,branch_id,staff_id,display_name,active,last_login_at"
        assert csv[1].startswith("li,greeter,B1,S1,")
        assert "li" in run(store, "users", "list").stdout
        unknown = run(store, "users", "list", "--branch", "NOPE", lang="zh")
        assert unknown.stdout.strip() == "网点 NOPE 没有账号（请检查网点编号）。"


class TestDatabaseFile:
    def test_the_sqlite_file_is_owner_only(self, store: Path) -> None:
        assert (store / "lobby.sqlite3").stat().st_mode & 0o777 == 0o600


class TestNoDatabaseYet:
    """A store folder without a lobby database: only ``users add`` makes one."""

    def test_list_says_there_are_none_and_creates_nothing(self, tmp_path: Path) -> None:
        folder = tmp_path / "not-yet"
        table = run(folder, "users", "list", lang="zh")
        assert (table.returncode, table.stdout.strip()) == (0, "还没有账号。")
        listed = run(folder, "users", "list", "--format", "json")
        assert (listed.returncode, json.loads(listed.stdout)) == (0, [])
        assert not folder.exists()

    def test_a_change_names_the_missing_database_and_creates_nothing(self, tmp_path: Path) -> None:
        folder = tmp_path / "not-yet"
        answer = run(folder, "users", "disable", "bob")
        assert answer.returncode == 2
        assert "no account database yet" in answer.stderr
        assert str(folder / "lobby.sqlite3") in answer.stderr
        assert "users add" in answer.stderr
        assert not folder.exists()

    def test_add_makes_the_database(self, tmp_path: Path) -> None:
        folder = tmp_path / "not-yet"
        added = run(
            folder,
            "users",
            "add",
            "analyst.wu",
            "--role",
            "centre_analyst",
            "--password-stdin",
            stdin=f"{PASSWORD}\n{PASSWORD}\n",
        )
        assert added.returncode == 0, added.stderr
        assert [u["username"] for u in users(folder)] == ["analyst.wu"]


def test_an_account_of_a_branch_just_imported_needs_no_serve_first(tmp_path: Path) -> None:
    """The branch and its staff come from the data store when the lobby lacks them."""
    export = tmp_path / "export"
    export.mkdir()
    (export / "branches.csv").write_text(
        "branch_id,name,region,branch_type\nB7,七号支行,镇江,urban\n", "utf-8"
    )
    (export / "staff.csv").write_text(
        "staff_id,branch_id,name,role\nS71,B7,王主任,director\nS72,B7,李柜员,teller\n", "utf-8"
    )
    (export / "transactions.csv").write_text(
        "txn_id,branch_id,ts,business_code,channel\nT1,B7,2018-03-05 09:00:00,card_open,stm\n",
        "utf-8",
    )
    folder = tmp_path / "store"
    assert run(folder, "ingest", str(export)).returncode == 0
    added = run(
        folder,
        *("users", "add", "wang.b7", "--role", "director", "--branch", "B7", "--staff", "S71"),
        "--password-stdin",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert added.returncode == 0, added.stderr
    listed = users(folder)
    assert [(u["username"], u["branch_id"], u["staff_id"]) for u in listed] == [
        ("wang.b7", "B7", "S71")
    ]
    unknown = run(
        folder,
        *("users", "add", "nobody", "--role", "teller", "--branch", "B9", "--staff", "S72"),
        "--password-stdin",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert unknown.returncode == 2 and "B9" in unknown.stderr
