"""Fixtures of the import tests: the import run the way ``smartcounter ingest`` runs it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.i18n import Lang
from smartcounter.ingest.report import ImportReport
from smartcounter.ingest.service import IngestOptions, ingest_paths
from tests.ingest.ingest_kit import BRANCHES, STAFF, Ingest, Stored


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """Where the test's store lives (not created until the first import)."""
    return tmp_path / "store"


@pytest.fixture
def ingest(store: Path) -> Ingest:
    """Import folders or files into the test's store, as ``smartcounter ingest`` does."""

    def run(*paths: Path, replace: bool = False, target: Path | None = None) -> ImportReport:
        return ingest_paths(
            target or store,
            list(paths),
            timezone="Asia/Shanghai",
            catalogue=load_catalogue(),
            options=IngestOptions(replace=replace, lang=Lang.EN),
        )

    return run


@pytest.fixture
def reference_folder(write_folder: Callable[..., Path]) -> Path:
    """An export holding the branches and the staff only."""
    return write_folder({"branches.csv": BRANCHES, "staff.csv": STAFF})


@pytest.fixture
def stored(store: Path, table_rows: Callable[[Path, str], pl.DataFrame]) -> Stored:
    """Read a table of the test's store: every row, every column, sorted."""
    return lambda table: table_rows(store, table)
