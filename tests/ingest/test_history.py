"""Ids are unique across all weeks, yet an import reads only the weeks that may hold its ids.

A new row is compared with the stored rows of its own week, and with those of any other
week whose id index lists its id's hash (``store/known_ids.py``); a week written without
an index is always read. These tests check the answers stay those of a full comparison.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from smartcounter.canonical.tables import TRANSACTIONS, TRIAGE
from smartcounter.store import known_ids
from smartcounter.store.compaction import compact_store
from smartcounter.store.layout import Store
from tests.ingest.ingest_kit import (
    BRANCHES,
    Ingest,
    ReadRejects,
    Stored,
    WriteFolder,
    file_report,
    txn,
    txns,
)

# One transaction in each of three weeks.
HISTORY = txns(
    txn(txn_id="T1", ts="2018-03-05 09:00:00"),
    txn(txn_id="T2", ts="2018-03-12 09:00:00"),
    txn(txn_id="T3", ts="2018-03-19 09:00:00"),
)


def _hashes(*ids: str) -> pl.Series:
    frame = pl.DataFrame({"txn_id": list(ids)})
    return frame.select(known_ids.id_hash(TRANSACTIONS)).to_series()


class TestAnIdStoredInAnotherWeek:
    def test_other_content_in_another_week_is_a_conflict(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored, read_rejects: ReadRejects
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": HISTORY}))
        before = stored("transactions")
        # T1 again, two months on: the id is taken, whatever the week.
        later = txns(txn(txn_id="T1", ts="2018-05-07 09:00:00"), txn(txn_id="T9"))
        report = ingest(write_folder({"transactions.csv": later}))
        counts = file_report(report, "transactions")
        assert (counts.read, counts.imported, counts.rejected) == (2, 1, 1)
        assert report.rejects_path is not None
        (row,) = read_rejects(report.rejects_path)
        assert (row["line"], row["column"], row["value"]) == ("2", "txn_id", "T1")
        assert stored("transactions").height == before.height + 1

    def test_replace_moves_it_out_of_its_old_week(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": HISTORY}))
        moved = txns(txn(txn_id="T2", ts="2018-05-07 09:00:00"))
        report = ingest(write_folder({"transactions.csv": moved}), replace=True)
        assert file_report(report, "transactions").updated == 1
        rows = stored("transactions")
        assert rows.get_column("txn_id").to_list() == ["T1", "T2", "T3"]
        assert rows.filter(pl.col("txn_id") == "T2").get_column("ts").dt.month().item() == 5


class TestWhatIsRead:
    def test_new_ids_read_only_their_own_weeks(
        self, ingest: Ingest, write_folder: WriteFolder, store: Path
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": HISTORY}))
        opened = Store.open(store)
        fresh = known_ids.weeks_to_read(opened, TRANSACTIONS, _hashes("T7", "T8"), ["2018-W11"])
        assert fresh == ["2018-W11"]
        repeated = known_ids.weeks_to_read(opened, TRANSACTIONS, _hashes("T3"), ["2018-W20"])
        assert repeated == ["2018-W12"]

    def test_an_id_holding_its_time_reads_its_week_only(
        self, ingest: Ingest, write_folder: WriteFolder, store: Path
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": HISTORY}))
        opened = Store.open(store)
        # Triage rows are named by visit, stage and time: one id, one week.
        assert not known_ids.needs_index(TRIAGE)
        assert known_ids.weeks_to_read(opened, TRIAGE, _hashes("x"), ["2018-W10"]) == []


class TestAStoreWithoutAnIndex:
    def test_its_weeks_are_read_and_compaction_indexes_them(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        store: Path,
        stored: Stored,
    ) -> None:
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": HISTORY}))
        # As a store written before the index existed (or by another Polars) looks.
        shutil.rmtree(store / known_ids.INDEX_DIR)
        opened = Store.open(store)
        unlisted = known_ids.weeks_to_read(opened, TRANSACTIONS, _hashes("T7"), ["2018-W20"])
        assert unlisted == ["2018-W10", "2018-W11", "2018-W12"]
        later = txns(txn(txn_id="T1", ts="2018-05-07 09:00:00"))
        report = ingest(write_folder({"transactions.csv": later}))
        assert file_report(report, "transactions").rejected == 1

        result = compact_store(opened)
        assert result.indexed_weeks == 3
        assert known_ids.weeks_to_read(opened, TRANSACTIONS, _hashes("T7"), ["2018-W20"]) == []
        report = ingest(write_folder({"transactions.csv": later}))
        assert file_report(report, "transactions").rejected == 1
        assert stored("transactions").height == 3
