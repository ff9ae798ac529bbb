"""All-or-nothing changes: staged files, the journal as commit point, recovery on open."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartcounter.store.journal import (
    JOURNAL_DIR,
    STAGING_DIR,
    Transaction,
    new_txid,
    recover,
)
from smartcounter.store.layout import Store, StoreError, StoreNotFoundError
from smartcounter.store.schema import SCHEMA_VERSION


def _store(tmp_path: Path) -> Store:
    return Store.create(tmp_path / "store", timezone="Asia/Shanghai")


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / "tables").rglob("*"))
        if p.is_file()
    }


class TestTransaction:
    def test_nothing_is_visible_before_commit(self, tmp_path: Path) -> None:
        store = _store(tmp_path)
        tx = Transaction(store.root)
        tx.stage("tables/a/part-1.parquet").write_bytes(b"one")
        assert _files(store.root) == {}
        tx.commit()
        assert _files(store.root) == {"tables/a/part-1.parquet": b"one"}
        assert not any((store.root / JOURNAL_DIR).iterdir())
        assert not (store.root / STAGING_DIR / tx.txid).exists()

    def test_adds_and_removes_happen_together(self, tmp_path: Path) -> None:
        store = _store(tmp_path)
        first = Transaction(store.root)
        first.stage("tables/a/week=2018-W10/part-1.parquet").write_bytes(b"old")
        first.commit()
        second = Transaction(store.root)
        second.stage("tables/a/week=2018-W11/part-2.parquet").write_bytes(b"new")
        second.remove("tables/a/week=2018-W10/part-1.parquet")
        second.commit()
        assert _files(store.root) == {"tables/a/week=2018-W11/part-2.parquet": b"new"}
        # The emptied partition folder goes too.
        assert not (store.root / "tables/a/week=2018-W10").exists()

    def test_discard_leaves_no_trace(self, tmp_path: Path) -> None:
        store = _store(tmp_path)
        tx = Transaction(store.root)
        tx.stage("tables/a/part-1.parquet").write_bytes(b"x")
        tx.discard()
        assert not tx.staging.exists()
        assert _files(store.root) == {}

    def test_unstage_takes_a_file_back(self, tmp_path: Path) -> None:
        store = _store(tmp_path)
        tx = Transaction(store.root)
        tx.stage("tables/a/part-1.parquet").write_bytes(b"x")
        tx.stage("tables/a/part-2.parquet").write_bytes(b"y")
        tx.unstage("tables/a/part-1.parquet")
        tx.commit()
        assert _files(store.root) == {"tables/a/part-2.parquet": b"y"}

    def test_a_failing_change_is_discarded(self, tmp_path: Path) -> None:
        store = _store(tmp_path)
        with pytest.raises(RuntimeError), store.writing("test") as tx:
            tx.stage("tables/a/part-1.parquet").write_bytes(b"x")
            raise RuntimeError("halfway")
        assert _files(store.root) == {}
        assert not any((store.root / STAGING_DIR).iterdir())


class TestRecovery:
    def _crash_after_commit_point(self, store: Store) -> Transaction:
        """Stage two files and write the journal, as a process killed right after does."""
        tx = Transaction(store.root)
        tx.stage("tables/a/part-1.parquet").write_bytes(b"one")
        tx.stage("tables/b/part-1.parquet").write_bytes(b"two")
        adds = [[tx._adds[f], f] for f in tx.staged]
        plan = {"txid": tx.txid, "add": adds, "remove": []}
        (store.root / JOURNAL_DIR).mkdir(exist_ok=True)
        (store.root / JOURNAL_DIR / f"{tx.txid}.json").write_text(json.dumps(plan))
        return tx

    def test_a_committed_journal_is_finished_on_open(self, tmp_path: Path) -> None:
        store = _store(tmp_path)
        self._crash_after_commit_point(store)
        assert _files(store.root) == {}
        Store.open(store.root)
        assert _files(store.root) == {
            "tables/a/part-1.parquet": b"one",
            "tables/b/part-1.parquet": b"two",
        }
        assert not any((store.root / JOURNAL_DIR).iterdir())

    def test_finishing_twice_is_harmless(self, tmp_path: Path) -> None:
        store = _store(tmp_path)
        tx = self._crash_after_commit_point(store)
        # Killed halfway through applying: one file moved already.
        staged = store.root / tx._adds["tables/a/part-1.parquet"]
        (store.root / "tables/a").mkdir(parents=True)
        staged.replace(store.root / "tables/a/part-1.parquet")
        assert recover(store.root) == 1
        assert recover(store.root) == 0
        assert set(_files(store.root)) == {"tables/a/part-1.parquet", "tables/b/part-1.parquet"}

    def test_staging_without_journal_is_thrown_away(self, tmp_path: Path) -> None:
        store = _store(tmp_path)
        tx = Transaction(store.root)
        tx.stage("tables/a/part-1.parquet").write_bytes(b"x")
        (store.root / JOURNAL_DIR).mkdir(exist_ok=True)
        (store.root / JOURNAL_DIR / f".{tx.txid}.json.tmp-123").write_text("{")
        Store.open(store.root)
        assert _files(store.root) == {}
        assert not any((store.root / STAGING_DIR).iterdir())
        assert not any((store.root / JOURNAL_DIR).iterdir())


class TestOpening:
    def test_no_store(self, tmp_path: Path) -> None:
        with pytest.raises(StoreNotFoundError):
            Store.open(tmp_path / "nothing")

    def test_another_schema_version_is_refused(self, tmp_path: Path) -> None:
        store = _store(tmp_path)
        meta = store.root / "smartcounter-store.json"
        body = json.loads(meta.read_text())
        body["schema_version"] = SCHEMA_VERSION + 1
        meta.write_text(json.dumps(body))
        with pytest.raises(StoreError, match="schema version"):
            Store.open(store.root)

    def test_a_folder_that_is_no_store(self, tmp_path: Path) -> None:
        root = tmp_path / "other"
        root.mkdir()
        (root / "smartcounter-store.json").write_text('{"format": "something else"}')
        with pytest.raises(StoreError):
            Store.open(root)


def test_transaction_ids_sort_in_the_order_they_were_made() -> None:
    # Import logs and journals are listed by name: ids made within one second must still
    # sort by time, not by their random suffix.
    ids = [new_txid() for _ in range(2_000)]
    assert sorted(ids) == ids
    assert len(set(ids)) == len(ids)
