"""Fixtures of the store tests: a large canonical export, imports run in other processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.store.journal import PAUSE_ENV

BRANCHES = 200


def write_export(folder: Path, rows: int, *, seed: int, first_id: int = 0) -> Path:
    """A canonical export of ``rows`` transactions over 200 branches and four weeks."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ids = np.arange(first_id, first_id + rows)
    pl.DataFrame(
        {
            "branch_id": [f"B{i:03d}" for i in range(BRANCHES)],
            "name": [f"支行{i}" for i in range(BRANCHES)],
            "branch_type": "urban",
        }
    ).write_csv(folder / "branches.csv")
    codes = list(load_catalogue())
    start = np.datetime64("2018-03-05T08:00:00")
    seconds = rng.integers(0, 27 * 86400, rows)  # Monday 08:00 to the fourth Sunday
    pl.DataFrame(
        {
            "txn_id": [f"T{i:09d}" for i in ids],
            "branch_id": [f"B{b:03d}" for b in rng.integers(0, BRANCHES, rows)],
            "ts": (start + seconds.astype("timedelta64[s]")).astype(str),
            "business_code": [codes[c] for c in rng.integers(0, len(codes), rows)],
            "channel": np.where(rng.random(rows) < 0.6, "stm", "teller"),
            "duration_s": rng.gamma(2.0, 60.0, rows).round(1),
        }
    ).write_csv(folder / "transactions.csv")
    return folder


@pytest.fixture(scope="session")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export large enough that importing it takes a while (about 600,000 rows)."""
    return write_export(tmp_path_factory.mktemp("big") / "export", 600_000, seed=7)


Launch = Callable[..., subprocess.Popen[str]]

# The command line as banks run it, and the import service alone (it starts faster: the
# command line loads every command's modules).
_CLI = """
import sys
from smartcounter.cli.app import main
sys.argv = ["smartcounter", *sys.argv[1:]]
main()
"""
_SERVICE = """
import json, sys
from pathlib import Path
from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.ingest.service import IngestOptions, ingest_paths
store, *paths = sys.argv[1:]
report = ingest_paths(Path(store), [Path(p) for p in paths], timezone="Asia/Shanghai",
                      catalogue=load_catalogue(), options=IngestOptions())
print(json.dumps(report.as_json()))
"""


@pytest.fixture
def launch() -> Iterator[Launch]:
    """Start an import in another process; every one is ended after the test.

    ``cli=True``: ``smartcounter ARGS...``; else ARGS are the store and the paths.
    """
    started: list[subprocess.Popen[str]] = []

    def start(
        *args: str | Path,
        cli: bool = False,
        pause: str | None = None,
        marker: Path | None = None,
        release: Path | None = None,
    ) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
        if pause is not None:
            env[PAUSE_ENV] = pause
        if marker is not None:
            env[PAUSE_ENV + "_MARKER"] = str(marker)
        if release is not None:
            env[PAUSE_ENV + "_RELEASE"] = str(release)
        process = subprocess.Popen(
            [sys.executable, "-c", _CLI if cli else _SERVICE, *[str(a) for a in args]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)
