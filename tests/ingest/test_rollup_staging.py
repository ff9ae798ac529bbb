"""The rollups an import stages in the background, while it imports the next tables."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from smartcounter.canonical.tables import (
    BRANCHES,
    BUSINESS_TYPES,
    STAFF,
    TRANSACTIONS,
    TRIAGE,
    VISITS,
    Table,
)
from smartcounter.ingest import service
from smartcounter.metrics.rollups import TRANSACTIONS_ROLLUP, TRIAGE_ROLLUP, ready_rollups
from tests.ingest.ingest_kit import (
    BRANCHES as BRANCHES_CSV,
)
from tests.ingest.ingest_kit import (
    STAFF as STAFF_CSV,
)
from tests.ingest.ingest_kit import (
    Ingest,
    Snapshot,
    WriteFolder,
    triage,
    txn,
    txns,
)

EXPORT = {
    "branches.csv": BRANCHES_CSV,
    "staff.csv": STAFF_CSV,
    "transactions.csv": txns(txn(), txn(txn_id="T2", ts="2018-03-13 10:00:00")),
    "triage.csv": triage("V1,1,S01,2018-03-05 09:00:00,accepted,"),
}


def test_each_rollup_is_ready_once_the_tables_it_reads_are_imported() -> None:
    references = [BUSINESS_TYPES, BRANCHES, STAFF]
    assert ready_rollups([*references, VISITS]) == []
    assert ready_rollups([*references, VISITS, TRANSACTIONS]) == [TRANSACTIONS_ROLLUP]
    every = [*references, VISITS, TRANSACTIONS, TRIAGE]
    assert ready_rollups(every) == [TRANSACTIONS_ROLLUP, TRIAGE_ROLLUP]


def test_a_failure_after_a_rollup_started_changes_nothing_and_leaves_no_thread(
    ingest: Ingest,
    write_folder: WriteFolder,
    store: Path,
    store_snapshot: Snapshot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The transactions' rollup is being staged when the triage's import fails: the store
    stays as it was, and the import returns only once the rollup's threads are done."""
    ingest(write_folder({"branches.csv": BRANCHES_CSV, "staff.csv": STAFF_CSV}))
    before = store_snapshot(store)
    imported: list[str] = []
    original = service._ImportRun.import_events

    def failing(run: service._ImportRun, table: Table, srcs: list[int]) -> None:
        if table.name == TRIAGE.name:
            raise RuntimeError("the disk is gone")
        original(run, table, srcs)
        imported.append(table.name)

    monkeypatch.setattr(service._ImportRun, "import_events", failing)
    with pytest.raises(RuntimeError, match="the disk is gone"):
        ingest(write_folder(EXPORT))
    assert imported == [TRANSACTIONS.name]
    assert store_snapshot(store) == before
    assert not [t for t in threading.enumerate() if t.name.startswith("smartcounter-rollup")]


def test_a_failing_background_count_changes_nothing_and_leaves_no_thread(
    ingest: Ingest,
    write_folder: WriteFolder,
    store: Path,
    store_snapshot: Snapshot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unresolved references are counted in the background while the next table is
    read: when that count fails, the import fails with its error, the store stays as it
    was, and no counting or rollup thread is left behind."""
    ingest(write_folder({"branches.csv": BRANCHES_CSV, "staff.csv": STAFF_CSV}))
    before = store_snapshot(store)
    original = service._Reconcile.count_unresolved

    def failing(reconcile: service._Reconcile, kept: object) -> None:
        if reconcile.table.name == TRANSACTIONS.name:
            raise RuntimeError("the count broke")
        original(reconcile, kept)  # type: ignore[arg-type]

    monkeypatch.setattr(service._Reconcile, "count_unresolved", failing)
    with pytest.raises(RuntimeError, match="the count broke"):
        ingest(write_folder(EXPORT))
    assert store_snapshot(store) == before
    left = [t.name for t in threading.enumerate()]
    assert not [n for n in left if n.startswith(("smartcounter-unresolved", "smartcounter-rollup"))]


def test_the_import_rolls_up_every_week_it_brings(
    ingest: Ingest, write_folder: WriteFolder, store: Path
) -> None:
    from smartcounter.store.layout import Store

    ingest(write_folder(EXPORT))
    opened = Store.open(store)
    assert opened.weeks(TRANSACTIONS_ROLLUP.table) == ["2018-W10", "2018-W11"]
    assert opened.weeks(TRIAGE_ROLLUP.table) == ["2018-W10"]
