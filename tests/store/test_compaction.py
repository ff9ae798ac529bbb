"""Compaction: a partition's many small files become one, the answers stay the same, and a
kill -9 at any step leaves a store that answers exactly as before.

The kills are real (SIGKILL to ``smartcounter store compact`` in another process, held at
one step of its commit by the journal's pause hook).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.canonical.tables import TRANSACTIONS
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.store.compaction import compact_store, partition_folders
from smartcounter.store.journal import JOURNAL_DIR, pending_journals
from smartcounter.store.layout import Store
from smartcounter.store.writing import write_parquet
from tests.ingest.ingest_kit import RunCli
from tests.store.conftest import Launch, write_export

PIECES = 3


def _ingest(root: Path, folder: Path) -> None:
    ingest_paths(
        root,
        [folder],
        timezone="Asia/Shanghai",
        catalogue=load_catalogue(),
        options=IngestOptions(),
    )


def _scatter(root: Path) -> None:
    """Split every partition file into PIECES files, as a store written before compaction
    existed (one file per partition per import) looks after a few imports."""
    store = Store.open(root)
    for rel in partition_folders(store):
        table = TRANSACTIONS if rel.split("/")[1] == "transactions" else None
        if table is None:
            continue
        for path in sorted((root / rel).glob("*.parquet")):
            frame = pl.read_parquet(path, hive_partitioning=False)
            step = -(-frame.height // PIECES)
            for i in range(PIECES):
                write_parquet(
                    frame.slice(i * step, step), table, path.with_name(f"part-old{i}-{path.name}")
                )
            path.unlink()


def _files(root: Path) -> int:
    return len(list((root / "tables" / "transactions").rglob("*.parquet")))


def answers(store: Store) -> dict[str, object]:
    """Row counts, distinct ids and the migration rate per week, read under the reader lock."""
    migratable = [code for code, entry in load_catalogue().items() if entry.migratable]
    with store.reading():
        files = [str(f) for f in store.files(TRANSACTIONS)]
        con = duckdb.connect()
        rows = con.execute(
            "SELECT week, count(*), count(DISTINCT txn_id), "
            "round(avg(CASE WHEN channel = 'stm' THEN 1.0 ELSE 0.0 END) "
            "FILTER (WHERE list_contains($codes, business_code)), 12) "
            "FROM read_parquet($files, hive_partitioning = true) GROUP BY week ORDER BY week",
            {"files": files, "codes": migratable},
        ).fetchall()
    return {"weeks": rows, "total": sum(r[1] for r in rows)}


@pytest.fixture(scope="module")
def scattered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 60,000 transactions over four weeks, three files per partition."""
    base = tmp_path_factory.mktemp("compaction")
    root = base / "store"
    _ingest(root, write_export(base / "export", 60_000, seed=11))
    _scatter(root)
    return root


@pytest.fixture
def store_copy(scattered: Path, tmp_path: Path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(scattered, root)
    return root


class TestCompaction:
    def test_files_drop_and_answers_stay(self, store_copy: Path) -> None:
        store = Store.open(store_copy)
        before, files_before = answers(store), _files(store_copy)
        result = compact_store(store)
        assert result.files_before == files_before
        assert result.files_after == len(partition_folders(store)) == files_before // PIECES
        assert _files(store_copy) == files_before // PIECES
        assert answers(store) == before
        assert before["total"] == 60_000

    def test_one_week_only(self, store_copy: Path) -> None:
        store = Store.open(store_copy)
        before = answers(store)
        result = compact_store(store, weeks=["2018-W11"])
        assert result.weeks == {"2018-W11"}
        week_files = list((store_copy / "tables/transactions/week=2018-W11").rglob("*.parquet"))
        assert len(week_files) == result.files_after == result.partitions
        other = list((store_copy / "tables/transactions/week=2018-W10").rglob("*.parquet"))
        assert len(other) == PIECES * len({p.parent for p in other})
        assert answers(store) == before

    def test_nothing_left_to_do_the_second_time(self, store_copy: Path) -> None:
        store = Store.open(store_copy)
        compact_store(store)
        again = compact_store(store)
        assert (again.partitions, again.files_before) == (0, 0)

    def test_an_import_compacts_the_partitions_it_touches(
        self, store_copy: Path, tmp_path: Path
    ) -> None:
        store = Store.open(store_copy)
        before = answers(store)
        # New rows for every partition: each gets a file of its own, then one file in all.
        more = write_export(tmp_path / "more", 8_000, seed=12, first_id=5_000_000)
        _ingest(store_copy, more)
        after = answers(store)
        assert after["total"] == before["total"] + 8_000
        assert _files(store_copy) == len(partition_folders(store))


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 300
    while not path.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"compaction ended before the kill point: {err[-2000:]}")
        assert time.monotonic() < deadline, "compaction never reached the kill point"
        time.sleep(0.02)


class TestKilledWhileCompacting:
    @pytest.mark.slow
    @pytest.mark.parametrize(
        ("step", "committed"),
        [("before-journal", False), ("after-journal", True), ("mid-apply", True)],
    )
    def test_the_store_answers_as_before(
        self, store_copy: Path, launch: Launch, tmp_path: Path, step: str, committed: bool
    ) -> None:
        opened_before = Store.open(store_copy)
        before, files_before = answers(opened_before), _files(store_copy)
        marker = tmp_path / "arrived"
        process = launch(
            "--store", store_copy, "store", "compact",
            cli=True, pause=f"{step}:300", marker=marker,
        )  # fmt: skip
        _wait_for(marker, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert process.returncode == -signal.SIGKILL
        if committed:
            assert pending_journals(store_copy)

        # A reader that opened the store before the kill finishes the journal before it
        # reads: it never sees the partitions half compacted.
        assert answers(opened_before) == before
        assert not any((store_copy / JOURNAL_DIR).iterdir())
        assert answers(Store.open(store_copy)) == before
        expected = files_before // PIECES if committed else files_before
        assert _files(store_copy) == expected


class TestCommand:
    def test_compact_prints_what_it_did(self, store_copy: Path, run_cli: RunCli) -> None:
        files_before = _files(store_copy)
        result = run_cli("--store", store_copy, "--lang", "en", "store", "compact")
        assert result.exit_code == 0, result.stderr
        assert f"{files_before} files became {files_before // PIECES}" in result.stdout
        again = run_cli("--store", store_copy, "store", "compact", "--format", "json")
        assert again.exit_code == 0
        assert json.loads(again.stdout)["partitions"] == 0

    def test_a_week_and_json(self, store_copy: Path, run_cli: RunCli) -> None:
        result = run_cli(
            "--store", store_copy, "store", "compact", "--week", "2018-W12", "--format", "json"
        )
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["weeks"] == ["2018-W12"]

    def test_a_bad_week_is_a_usage_error(self, store_copy: Path, run_cli: RunCli) -> None:
        result = run_cli("--store", store_copy, "store", "compact", "--week", "2018-10")
        assert result.exit_code == 2
        assert result.stderr

    def test_no_store(self, tmp_path: Path, run_cli: RunCli) -> None:
        result = run_cli("--store", tmp_path / "none", "store", "compact")
        assert result.exit_code == 2
