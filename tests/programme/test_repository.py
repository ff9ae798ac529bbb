"""Saved pairs in the service's database: one active pair per branch, ends, audit entries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from smartcounter.accounts.models import AuditEntry
from smartcounter.accounts.roles import system_actor
from smartcounter.lobby.database import Database
from smartcounter.programme.pairing import Why
from smartcounter.programme.repository import (
    PairCreate,
    PairExistsError,
    PairNotFoundError,
    ProgrammeError,
    SavedPair,
    active_pairs,
    add_pairs,
    end_pair,
    load_pairs,
    pairs_stamp,
)
from smartcounter.store.layout import Store
from tests.store_database_kit import backend, open_database_of

__all__ = ["backend"]  # the fixture, used by name

NOW = datetime(2018, 3, 12, 2, 0, 0)
ACTOR = system_actor("tester")


class FailureAfterInsertError(Exception):
    """Raised by a test once the pair is in the session, before the commit."""


def pair(branch_id: str, partner: str, week: str = "2018-W10") -> PairCreate:
    return PairCreate(
        branch_id, partner, week, 0.82, 0.55, 0.95, (Why("same_peer_group", {"group": "urban"}),)
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.create(tmp_path / "store", timezone="Asia/Shanghai")


@pytest.fixture
def database(backend: str, store: Store) -> Iterator[Database]:
    opened = open_database_of(store)
    yield opened
    opened.dispose()


def save(database: Database, store: Store, *items: PairCreate) -> list[SavedPair]:
    with database.unit_of_work() as session:
        return add_pairs(session=session, store=store, pairs_in=items, actor=ACTOR, now=NOW)


def end(database: Database, store: Store, week: str, **which: str | int | None) -> SavedPair:
    with database.unit_of_work() as session:
        return end_pair(session=session, store=store, week=week, actor=ACTOR, now=NOW, **which)  # type: ignore[arg-type]


def audit_entries(database: Database) -> list[tuple[str, str | None, str | None, str]]:
    with database.unit_of_work(write=False) as session:
        rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(e.action, e.target, e.branch_id, e.actor) for e in rows]


class TestSavingPairs:
    def test_pairs_and_their_audit_entries_are_committed_together(
        self, database: Database, store: Store
    ) -> None:
        saved = save(database, store, pair("L1", "A1"), pair("L2", "A2"))
        assert [(p.pair_id, p.branch_id, p.partner_branch_id) for p in saved] == [
            (1, "L1", "A1"),
            (2, "L2", "A2"),
        ]
        assert saved[0].created_at == "2018-03-12T02:00:00+00:00"
        with database.unit_of_work(write=False) as session:
            assert load_pairs(session) == saved
        assert load_pairs(store) == saved  # a reader with only the store finds the same
        assert audit_entries(database) == [
            ("programme.pair_saved", "1", "L1", "system:tester"),
            ("programme.pair_saved", "2", "L2", "system:tester"),
        ]

    def test_a_failure_after_the_insert_leaves_neither_pair_nor_entry(
        self, database: Database, store: Store
    ) -> None:
        with pytest.raises(FailureAfterInsertError), database.unit_of_work() as session:
            add_pairs(
                session=session, store=store, pairs_in=[pair("L1", "A1")], actor=ACTOR, now=NOW
            )
            assert [p.pair_id for p in load_pairs(session)] == [1]
            raise FailureAfterInsertError()
        assert load_pairs(store) == []
        assert audit_entries(database) == []

    def test_every_field_comes_back_as_saved(self, database: Database, store: Store) -> None:
        (saved,) = save(database, store, pair("L1", "A1"))
        assert (saved.similarity, saved.baseline_rate, saved.baseline_partner_rate) == (
            0.82,
            0.55,
            0.95,
        )
        assert saved.why == (Why("same_peer_group", {"group": "urban"}),)
        assert load_pairs(store)[0].why == saved.why


class TestOneActivePairPerBranch:
    def test_a_second_pair_of_the_same_branch_is_refused(
        self, database: Database, store: Store
    ) -> None:
        save(database, store, pair("L1", "A1", "2018-W10"))
        for week in ("2018-W10", "2018-W11", "2018-W09"):  # same, later, earlier start
            with pytest.raises(PairExistsError, match="L1: pair 1 since 2018-W10"):
                save(database, store, pair("L1", "A2", week))
        assert [p.pair_id for p in load_pairs(store)] == [1]

    def test_one_refused_pair_refuses_the_whole_save(
        self, database: Database, store: Store
    ) -> None:
        with pytest.raises(PairExistsError):
            save(database, store, pair("L2", "A2"), pair("L1", "A1"), pair("L1", "A2"))
        assert load_pairs(store) == []
        assert audit_entries(database) == []

    def test_after_its_end_week_a_branch_may_be_paired_again(
        self, database: Database, store: Store
    ) -> None:
        save(database, store, pair("L1", "A1", "2018-W10"))
        end(database, store, "2018-W12", branch_id="L1")
        with pytest.raises(PairExistsError):  # W12 is still the first pair's
            save(database, store, pair("L1", "A2", "2018-W12"))
        (again,) = save(database, store, pair("L1", "A2", "2018-W13"))
        assert again.pair_id == 2
        assert [p.pair_id for p in active_pairs(store, "2018-W12")] == [1]
        assert [p.pair_id for p in active_pairs(store, "2018-W13")] == [2]


class TestEndingPairs:
    def test_ending_sets_the_end_week_and_note_and_is_audited(
        self, database: Database, store: Store
    ) -> None:
        save(database, store, pair("L1", "A1"), pair("L2", "A2"))
        with database.unit_of_work() as session:
            ended = end_pair(
                session=session,
                store=store,
                week="2018-W12",
                branch_id="L1",
                note="赶上了",
                actor=ACTOR,
                now=NOW,
            )
        assert (ended.pair_id, ended.end_week, ended.note) == (1, "2018-W12", "赶上了")
        assert load_pairs(store)[0] == ended
        assert ended.active_in("2018-W12") and not ended.active_in("2018-W13")
        assert [p.branch_id for p in active_pairs(store, "2018-W13")] == ["L2"]
        assert audit_entries(database)[-1] == ("programme.pair_ended", "1", "L1", "system:tester")

    def test_a_pair_ends_by_its_id(self, database: Database, store: Store) -> None:
        save(database, store, pair("L1", "A1"), pair("L2", "A2"))
        ended = end(database, store, "2018-W11", pair_id=2)
        assert (ended.branch_id, ended.end_week) == ("L2", "2018-W11")
        assert [p.end_week for p in load_pairs(store)] == [None, "2018-W11"]

    def test_only_an_active_pair_ends(self, database: Database, store: Store) -> None:
        save(database, store, pair("L1", "A1"))
        end(database, store, "2018-W11", branch_id="L1")
        with pytest.raises(PairNotFoundError):
            end(database, store, "2018-W12", branch_id="L1")
        with pytest.raises(PairNotFoundError):
            end(database, store, "2018-W12", pair_id=9)
        assert load_pairs(store)[0].end_week == "2018-W11"

    def test_a_pair_cannot_end_before_it_starts(self, database: Database, store: Store) -> None:
        save(database, store, pair("L1", "A1", "2018-W10"))
        with pytest.raises(ProgrammeError, match="starts in 2018-W10"):
            end(database, store, "2018-W09", branch_id="L1")
        assert load_pairs(store)[0].end_week is None


class TestReadingWithTheStore:
    def test_a_store_without_a_database_has_no_pairs_and_gets_no_database(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("SMARTCOUNTER_DATABASE_URL", raising=False)
        assert load_pairs(store) == []
        assert pairs_stamp(store) == "0"
        assert not (store.root / "lobby.sqlite3").exists()

    def test_the_stamp_changes_with_every_save_and_end(
        self, database: Database, store: Store
    ) -> None:
        stamps = [pairs_stamp(store)]
        save(database, store, pair("L1", "A1"))
        stamps.append(pairs_stamp(store))
        end(database, store, "2018-W11", branch_id="L1")
        stamps.append(pairs_stamp(store))
        save(database, store, pair("L1", "A2", "2018-W12"))
        stamps.append(pairs_stamp(store))
        assert len(set(stamps)) == 4
