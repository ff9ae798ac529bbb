"""The store's database on first open: the JSON files of earlier versions are imported once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from smartcounter.accounts.roles import system_actor
from smartcounter.programme.repository import (
    PAIRS_PATH,
    PairCreate,
    ProgrammeError,
    SavedPair,
    add_pairs,
    load_pairs,
)
from smartcounter.scorecard.director_scores import SCORES_PATH, DirectorScore, load_scores
from smartcounter.settings import load_settings
from smartcounter.store.layout import Store
from smartcounter.store_database import open_store_database
from tests.store_database_kit import backend, open_database_of

__all__ = ["backend"]  # the fixture, used by name

NOW = datetime(2018, 4, 2, 2, 0, 0)

# As the earlier versions wrote them (json.dumps(..., ensure_ascii=False, indent=2)).
OLD_PAIRS: dict[str, Any] = {
    "format": "smartcounter-pairs",
    "version": 1,
    "pairs": [
        {
            "pair_id": 3,
            "branch_id": "L1",
            "partner_branch_id": "A2",
            "start_week": "2018-W10",
            "end_week": "2018-W12",
            "similarity": 0.8123,
            "baseline_rate": 0.6,
            "baseline_partner_rate": 0.95,
            "why": [{"code": "same_peer_group", "params": {"group": "county"}}],
            "created_at": "2018-03-12T08:30:05+00:00",
            "note": "已赶上",
        },
        {
            "pair_id": 7,
            "branch_id": "L2",
            "partner_branch_id": "A1",
            "start_week": "2018-W11",
            "end_week": None,
            "similarity": 0.7,
            "baseline_rate": None,
            "baseline_partner_rate": None,
            "why": [],
            "created_at": "2018-03-19T01:00:00+00:00",
            "note": None,
        },
    ],
}
OLD_SCORES: dict[str, Any] = {
    "format": "smartcounter-director-scores",
    "version": 1,
    "scores": [
        {
            "staff_id": "G",
            "quarter": "2018-Q1",
            "score": 80.0,
            "note": "好",
            "entered_at": "2018-03-30T07:00:00+00:00",
        },
        {
            "staff_id": "T1",
            "quarter": "2018-Q1",
            "score": 70.0,
            "note": None,
            "entered_at": "2018-03-30T07:00:00+00:00",
        },
    ],
}


def write_old(store: Store, relpath: str, body: dict[str, Any]) -> Path:
    path = store.root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"))
    return path


def migrated(path: Path) -> Path:
    return path.with_name(path.name + ".migrated")


@pytest.fixture
def store(tmp_path: Path, backend: str) -> Iterator[Store]:
    yield Store.create(tmp_path / "store", timezone="Asia/Shanghai")


class TestFirstOpen:
    def test_old_files_come_in_with_their_ids_and_fields_and_are_renamed(
        self, store: Store
    ) -> None:
        pairs = write_old(store, PAIRS_PATH, OLD_PAIRS)
        scores = write_old(store, SCORES_PATH, OLD_SCORES)
        database = open_database_of(store)
        try:
            with database.unit_of_work(write=False) as session:
                assert load_pairs(session) == [SavedPair.from_json(p) for p in OLD_PAIRS["pairs"]]
                assert load_scores(session) == {
                    (s["staff_id"], s["quarter"]): DirectorScore.from_json(s)
                    for s in OLD_SCORES["scores"]
                }
            assert not pairs.exists() and not scores.exists()
            assert json.loads(migrated(pairs).read_text("utf-8")) == OLD_PAIRS
            assert json.loads(migrated(scores).read_text("utf-8")) == OLD_SCORES
            # Ids carry on from the file's highest.
            with database.unit_of_work() as session:
                (new,) = add_pairs(
                    session=session,
                    store=store,
                    pairs_in=[PairCreate("L3", "A3", "2018-W13", 0.5, None, None, ())],
                    actor=system_actor("tester"),
                    now=NOW,
                )
            assert new.pair_id == 8
        finally:
            database.dispose()

    def test_a_file_is_never_imported_twice(self, store: Store) -> None:
        pairs = write_old(store, PAIRS_PATH, OLD_PAIRS)
        open_database_of(store).dispose()
        # The file back under its old name (restored from a backup) with one pair fewer:
        # the table has pairs already, so it is left alone.
        shorter = {**OLD_PAIRS, "pairs": OLD_PAIRS["pairs"][:1]}
        write_old(store, PAIRS_PATH, shorter)
        database = open_database_of(store)
        try:
            with database.unit_of_work(write=False) as session:
                assert [p.pair_id for p in load_pairs(session)] == [3, 7]
            assert pairs.exists()
        finally:
            database.dispose()

    def test_a_reader_with_only_the_store_imports_them_too(self, store: Store) -> None:
        pairs = write_old(store, PAIRS_PATH, OLD_PAIRS)
        assert [p.pair_id for p in load_pairs(store)] == [3, 7]
        assert not pairs.exists() and migrated(pairs).exists()

    def test_a_file_that_fails_imports_nothing_and_stays(self, store: Store) -> None:
        scores = write_old(store, SCORES_PATH, OLD_SCORES)
        pairs = write_old(store, PAIRS_PATH, {"format": "something-else", "pairs": []})
        with pytest.raises(ProgrammeError, match="not a pairs file"):
            open_database_of(store)
        # One transaction for both files: the good one is not half in either.
        assert pairs.exists() and scores.exists()
        settings = load_settings(store=store.root)
        pairs.unlink()
        database = open_store_database(settings, store)
        try:
            with database.unit_of_work(write=False) as session:
                assert len(load_scores(session)) == 2
        finally:
            database.dispose()

    def test_a_change_rolled_back_keeps_the_file_for_next_time(self, store: Store) -> None:
        database = open_database_of(store)  # opened before the file is there
        pairs = write_old(store, PAIRS_PATH, OLD_PAIRS)
        try:
            with pytest.raises(RuntimeError), database.unit_of_work() as session:
                add_pairs(
                    session=session,
                    store=store,
                    pairs_in=[PairCreate("L3", "A3", "2018-W13", 0.5, None, None, ())],
                    actor=system_actor("tester"),
                    now=NOW,
                )
                raise RuntimeError("after the insert")
            assert pairs.exists()
            with database.unit_of_work(write=False) as session:
                assert load_pairs(session) == []
        finally:
            database.dispose()
        assert [p.pair_id for p in load_pairs(store)] == [3, 7]
        assert not pairs.exists()
