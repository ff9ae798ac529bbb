"""An import killed with SIGKILL leaves the store as it was, or — past its commit point —
finished by the next open. Never anything in between.

The kills are real: an import runs in another process; a test hook holds its commit at
one step (it writes a marker file on arrival) long enough to kill it there.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.store.journal import JOURNAL_DIR, STAGING_DIR
from smartcounter.store.layout import Store
from tests.store.conftest import Launch, write_export

pytestmark = pytest.mark.slow


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in ("locks", STAGING_DIR, JOURNAL_DIR)
    }


def _rows(root: Path, table: str) -> pl.DataFrame:
    files = sorted((root / "tables" / table).rglob("*.parquet"))
    frame = pl.concat([pl.read_parquet(f, hive_partitioning=False) for f in files])
    return frame.sort(frame.columns)


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    """Wait until ``path`` exists (the import reached a step), failing if it ended first."""
    deadline = time.monotonic() + 300
    while not path.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the import ended before the kill point: {err[-2000:]}")
        assert time.monotonic() < deadline, "the import never reached the kill point"
        time.sleep(0.02)


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


@pytest.fixture
def seeded_store(tmp_path: Path) -> Path:
    """A store holding an earlier import (so that 'as it was' is not simply 'empty')."""
    root = tmp_path / "store"
    earlier = write_export(tmp_path / "earlier", 20_000, seed=3, first_id=10_000_000)
    ingest_paths(
        root,
        [earlier],
        timezone="Asia/Shanghai",
        catalogue=load_catalogue(),
        options=IngestOptions(),
    )
    return root


class TestKilledBeforeTheCommitPoint:
    def test_while_reading(self, seeded_store: Path, big_export: Path, launch: Launch) -> None:
        before = _snapshot(seeded_store)
        process = launch(seeded_store, big_export)
        # The import has begun once its staging folder has its scratch space.
        deadline = time.monotonic() + 300
        while not list((seeded_store / STAGING_DIR).glob("*/_scratch")):
            assert process.poll() is None, process.communicate()[1][-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.3)  # somewhere in the reading; where exactly does not matter
        _kill(process)
        Store.open(seeded_store)
        assert _snapshot(seeded_store) == before
        assert not any((seeded_store / STAGING_DIR).iterdir())

    def test_with_every_file_staged(
        self, seeded_store: Path, big_export: Path, launch: Launch, tmp_path: Path
    ) -> None:
        before = _snapshot(seeded_store)
        marker = tmp_path / "arrived"
        process = launch(seeded_store, big_export, pause="before-journal:300", marker=marker)
        _wait_for(marker, process)
        assert any((seeded_store / STAGING_DIR).rglob("*.parquet"))
        _kill(process)
        Store.open(seeded_store)
        assert _snapshot(seeded_store) == before
        assert not any((seeded_store / STAGING_DIR).iterdir())


class TestKilledPastTheCommitPoint:
    @pytest.mark.parametrize("step", ["after-journal", "mid-apply"])
    def test_the_next_open_finishes_the_import(
        self,
        seeded_store: Path,
        big_export: Path,
        launch: Launch,
        tmp_path: Path,
        step: str,
    ) -> None:
        marker = tmp_path / "arrived"
        process = launch(seeded_store, big_export, pause=f"{step}:300", marker=marker)
        _wait_for(marker, process)
        assert any((seeded_store / JOURNAL_DIR).glob("*.json"))
        _kill(process)

        Store.open(seeded_store)
        assert not any((seeded_store / JOURNAL_DIR).iterdir())
        assert not any((seeded_store / STAGING_DIR).iterdir())
        # Exactly what an import that was never killed leaves.
        reference = tmp_path / "reference"
        earlier = write_export(tmp_path / "earlier-again", 20_000, seed=3, first_id=10_000_000)
        for folder in (earlier, big_export):
            ingest_paths(
                reference,
                [folder],
                timezone="Asia/Shanghai",
                catalogue=load_catalogue(),
                options=IngestOptions(),
            )
        for table in ("branches", "business_types", "transactions"):
            assert _rows(seeded_store, table).equals(_rows(reference, table)), table
        logs = sorted((seeded_store / "imports").glob("*.json"))
        assert len(logs) == 2
        assert json.loads(logs[-1].read_text())["files"][1]["imported"] == 600_000

        # And the store takes the next import as usual: everything is there already.
        again = ingest_paths(
            seeded_store,
            [big_export],
            timezone="Asia/Shanghai",
            catalogue=load_catalogue(),
            options=IngestOptions(),
        )
        assert [f.skipped for f in again.files] == [f.read for f in again.files]
