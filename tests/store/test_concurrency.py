"""Two imports into one store at once: one waits (or, asked not to, refuses clearly), and
the store ends up right."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest

from tests.store.conftest import Launch, write_export

pytestmark = pytest.mark.slow


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 300
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"the import ended early: {process.communicate()[1][-2000:]}")
        assert time.monotonic() < deadline
        time.sleep(0.02)


def _stored_ids(root: Path) -> list[str]:
    files = sorted((root / "tables" / "transactions").rglob("*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files]).get_column("txn_id").sort().to_list()


class TestTwoImportsAtOnce:
    def test_one_refuses_with_a_clear_message_when_told_not_to_wait(
        self, tmp_path: Path, launch: Launch
    ) -> None:
        store = tmp_path / "store"
        first = write_export(tmp_path / "first", 5_000, seed=1)
        second = write_export(tmp_path / "second", 5_000, seed=2, first_id=5_000)
        marker, release = tmp_path / "arrived", tmp_path / "release"
        holder = launch(store, first, pause="before-journal:300", marker=marker, release=release)
        _wait_for(marker, holder)

        refused = launch(
            "--lang", "en", "--store", store, "ingest", "--wait", "0", second, cli=True
        )
        _, err = refused.communicate(timeout=300)
        assert refused.returncode == 2, err
        assert "being written by another process" in err
        assert f"pid {holder.pid}" in err

        release.touch()
        assert holder.wait(timeout=300) == 0
        assert len(_stored_ids(store)) == 5_000

    def test_the_second_waits_and_both_land(self, tmp_path: Path, launch: Launch) -> None:
        store = tmp_path / "store"
        first = write_export(tmp_path / "first", 5_000, seed=1)
        second = write_export(tmp_path / "second", 5_000, seed=2, first_id=5_000)
        marker, release = tmp_path / "arrived", tmp_path / "release"
        holder = launch(store, first, pause="before-journal:300", marker=marker, release=release)
        _wait_for(marker, holder)

        waiter = launch("--lang", "en", "--store", store, "ingest", second, cli=True)
        # It cannot get past the lock while the first holds it: it says so, and waits.
        assert waiter.stderr is not None
        first_words = waiter.stderr.readline()
        assert "waiting" in first_words
        assert f"pid {holder.pid}" in first_words
        assert waiter.poll() is None
        release.touch()
        assert holder.wait(timeout=300) == 0
        _, err = waiter.communicate(timeout=300)
        assert waiter.returncode == 0, err
        assert _stored_ids(store) == sorted(f"T{i:09d}" for i in range(10_000))

    def test_the_same_export_twice_at_once_lands_once(self, tmp_path: Path, launch: Launch) -> None:
        store = tmp_path / "store"
        export = write_export(tmp_path / "export", 50_000, seed=5)
        # The store does not exist yet: both try to create it, too.
        runs = [launch(store, export), launch(store, export)]
        reports = []
        for run in runs:
            out, err = run.communicate(timeout=300)
            assert run.returncode == 0, err
            reports.append(json.loads(out))
        transactions = sorted(
            (r["files"][1]["imported"], r["files"][1]["skipped"]) for r in reports
        )
        assert transactions == [(0, 50_000), (50_000, 0)]
        assert _stored_ids(store) == sorted(f"T{i:09d}" for i in range(50_000))
