"""Fixtures any test may use: canonical CSV folders on disk, the real command line, the store.

Kept small on purpose; each capability's own conftest holds what only it needs.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

WriteFolder = Callable[..., Path]


@pytest.fixture
def write_folder(tmp_path: Path) -> WriteFolder:
    """Write canonical files (name → text, or raw bytes) into a new folder; return it.

    ``encoding`` applies to text; ``bom`` puts a UTF-8 byte order mark first.
    """
    count = 0

    def write(files: dict[str, str | bytes], *, encoding: str = "utf-8", bom: bool = False) -> Path:
        nonlocal count
        count += 1
        folder = tmp_path / f"export{count}"
        folder.mkdir()
        for name, body in files.items():
            data = body if isinstance(body, bytes) else body.encode(encoding)
            if bom:
                data = b"\xef\xbb\xbf" + data
            (folder / name).write_bytes(data)
        return folder

    return write


@dataclass
class CliResult:
    """What one run of the command line did."""

    exit_code: int
    stdout: str
    stderr: str


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli() -> RunCli:
    """Run ``smartcounter ARGS...`` in this process (the real command, its real parsing)."""
    # Imported here, not above: every command's module loads with the app, and a test
    # that does not run the command line should not depend on all of them.
    from smartcounter.cli.app import app

    runner = CliRunner()

    def run(*args: str | Path) -> CliResult:
        result = runner.invoke(app, [str(a) for a in args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


def _store_snapshot(root: Path) -> dict[str, str]:
    """Every file of a store (but its lock files) with a digest of its bytes."""
    if not root.exists():
        return {}
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith("locks/"):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _table_rows(root: Path, table: str) -> pl.DataFrame:
    """All stored rows of ``table``, every column, in a stable order (empty if none)."""
    folder = root / "tables" / table
    files = sorted(folder.rglob("*.parquet")) if folder.exists() else []
    if not files:
        return pl.DataFrame()
    frame = pl.concat(
        [pl.read_parquet(f, hive_partitioning=False) for f in files], how="vertical_relaxed"
    )
    return frame.sort(frame.columns)


def _read_rejects(path: str | Path) -> list[dict[str, str]]:
    """The rows of a rejects CSV as dictionaries."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def store_snapshot() -> Callable[[Path], dict[str, str]]:
    """Digest every file of a store (but its locks): equal snapshots, unchanged store."""
    return _store_snapshot


@pytest.fixture
def table_rows() -> Callable[[Path, str], pl.DataFrame]:
    """Read every stored row of a table, sorted."""
    return _table_rows


@pytest.fixture
def read_rejects() -> Callable[[str | Path], list[dict[str, str]]]:
    """Read a rejects CSV into dictionaries."""
    return _read_rejects


@pytest.fixture
def no_smartcounter_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ``SMARTCOUNTER_*`` of the machine, and a default store with no config file."""
    for name in list(os.environ):
        if name.upper().startswith("SMARTCOUNTER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
