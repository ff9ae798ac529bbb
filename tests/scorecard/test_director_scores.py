"""The director's quarterly scores in the service's database: imports, replacing, the audit."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from smartcounter.accounts.models import AuditEntry
from smartcounter.cli.app import app
from smartcounter.lobby.database import Database
from smartcounter.scorecard.director_scores import (
    DirectorScore,
    import_scores,
    load_scores,
    save_scores,
)
from smartcounter.store.layout import Store
from tests.programme.network import Network
from tests.store_database_kit import NOW, TESTER, backend, open_database_of

__all__ = ["backend"]  # the fixture, used by name

Q1 = "2018-Q1"


class FailureAfterSaveError(Exception):
    """Raised by a test once the scores are in the session, before the commit."""


@pytest.fixture
def store(build, backend: str) -> Store:
    n = Network().branch("B", "county", "连云港", 4)
    for staff_id, role in (("G", "greeter"), ("T1", "teller"), ("D", "director")):
        n.person(staff_id, "B", role)
    n.many("B", "2018-W10", 2, [("card_open", "stm", "G", None)])
    return build(n)


@pytest.fixture
def database(store: Store) -> Iterator[Database]:
    opened = open_database_of(store)
    yield opened
    opened.dispose()


def scores_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def import_file(database: Database, store: Store, path: Path, quarter: str | None = None):
    with database.unit_of_work() as session:
        return import_scores(
            session=session, store=store, path=path, quarter=quarter, actor=TESTER, now=NOW
        )


def audit_details(database: Database) -> list[tuple[str, str | None, str | None, dict]]:
    with database.unit_of_work(write=False) as session:
        rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(e.action, e.target, e.branch_id, json.loads(e.detail or "{}")) for e in rows]


class TestImport:
    def test_a_reimport_replaces_the_quarters_score_and_remembers_the_old_one(
        self, database: Database, store: Store, tmp_path: Path
    ) -> None:
        first = scores_file(
            tmp_path, "q1.csv", "staff_id,quarter,score,note\nG,2018-Q1,80,好\nT1,2018-Q1,70,\n"
        )
        result = import_file(database, store, first)
        assert (result.read, result.imported, result.updated, result.rejected) == (2, 2, 0, ())
        again = scores_file(tmp_path, "again.csv", "staff_id,score\nG,85\n")
        result = import_file(database, store, again, quarter=Q1)
        assert (result.imported, result.updated) == (0, 1)
        saved = load_scores(store)
        assert saved == {
            ("G", Q1): DirectorScore("G", Q1, 85.0, None, "2018-04-02T02:00:00+00:00"),
            ("T1", Q1): DirectorScore("T1", Q1, 70.0, None, "2018-04-02T02:00:00+00:00"),
        }
        entries = audit_details(database)
        assert [(a, t, b) for a, t, b, _d in entries] == [
            ("scorecard.director_score", "G", "B"),
            ("scorecard.director_score", "T1", "B"),
            ("scorecard.director_score", "G", "B"),
        ]
        assert entries[0][3] == {
            "quarter": Q1,
            "score": 80.0,
            "previous": None,
            "note": "好",
            "file": "q1.csv",
        }
        assert entries[2][3]["previous"] == 80.0 and entries[2][3]["score"] == 85.0

    def test_another_quarter_is_a_score_of_its_own(
        self, database: Database, store: Store, tmp_path: Path
    ) -> None:
        import_file(database, store, scores_file(tmp_path, "a.csv", "staff_id,score\nG,80\n"), Q1)
        result = import_file(
            database, store, scores_file(tmp_path, "b.csv", "staff_id,score\nG,60\n"), "2018-Q2"
        )
        assert (result.imported, result.updated) == (1, 0)
        assert {k: s.score for k, s in load_scores(store).items()} == {
            ("G", Q1): 80.0,
            ("G", "2018-Q2"): 60.0,
        }

    def test_rejected_rows_are_neither_saved_nor_audited(
        self, database: Database, store: Store, tmp_path: Path
    ) -> None:
        path = scores_file(tmp_path, "bad.csv", "staff_id,score\nX9,80\nG,120\nT1,abc\n")
        result = import_file(database, store, path, Q1)
        assert [(r.line, r.reason) for r in result.rejected] == [
            (2, "unknown_staff"),
            (3, "range"),
            (4, "number"),
        ]
        assert load_scores(store) == {}
        assert audit_details(database) == []

    def test_a_failure_after_the_save_leaves_neither_scores_nor_entries(
        self, database: Database, store: Store, tmp_path: Path
    ) -> None:
        path = scores_file(tmp_path, "q1.csv", "staff_id,score\nG,80\n")
        with pytest.raises(FailureAfterSaveError), database.unit_of_work() as session:
            import_scores(
                session=session, store=store, path=path, quarter=Q1, actor=TESTER, now=NOW
            )
            assert load_scores(session)[("G", Q1)].score == 80.0
            raise FailureAfterSaveError()
        assert load_scores(store) == {}
        assert audit_details(database) == []


class TestSave:
    def test_counts_new_and_replaced(self, database: Database, store: Store) -> None:
        at = "2018-04-02T02:00:00+00:00"
        with database.unit_of_work() as session:
            assert save_scores(
                session=session, store=store, scores=[DirectorScore("G", Q1, 50.0, None, at)]
            ) == (1, 0)
            assert save_scores(
                session=session,
                store=store,
                scores=[
                    DirectorScore("G", Q1, 55.0, "复评", at),
                    DirectorScore("T1", Q1, 40.0, None, at),
                ],
            ) == (1, 1)
        assert load_scores(store)[("G", Q1)] == DirectorScore("G", Q1, 55.0, "复评", at)


class TestCommand:
    def test_import_scores_commits_with_the_os_user_in_the_audit_log(
        self, database: Database, store: Store, tmp_path: Path
    ) -> None:
        path = scores_file(
            tmp_path, "q1.csv", "staff_id,quarter,score\nG,2018-Q1,80\nT1,2018-Q1,101\n"
        )
        result = CliRunner().invoke(
            app,
            [
                "--store",
                str(store.root),
                "scorecard",
                "import-scores",
                str(path),
                "--format",
                "json",
            ],
        )
        assert result.exit_code == 3, result.output  # one row rejected
        body = json.loads(result.stdout)
        assert (body["read"], body["imported"], body["updated"], body["rejected"]) == (2, 1, 0, 1)
        assert {k: s.score for k, s in load_scores(store).items()} == {("G", Q1): 80.0}
        with database.unit_of_work(write=False) as session:
            actors = session.scalars(sa.select(AuditEntry.actor)).all()
        assert actors == [f"system:{getpass.getuser()}"]
