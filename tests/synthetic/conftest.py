"""Small generated networks, written once per session: real files, the real import."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartcounter.cli.app import app
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, write_network

# Four source branches and four generic ones, 2018-W10 only: about 25,000 transactions.
W10_SPEC = NetworkSpec(branches=8, weeks=1, start=date(2018, 3, 5))


@pytest.fixture(scope="session")
def w10_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The canonical CSVs of W10_SPEC."""
    out = tmp_path_factory.mktemp("w10")
    write_network(out, W10_SPEC)
    return out


@pytest.fixture(scope="session")
def w10_import(
    w10_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Store, dict[str, object]]:
    """The W10 files imported with ``smartcounter ingest``: the store and the JSON report."""
    store_dir = tmp_path_factory.mktemp("w10-store") / "store"
    result = CliRunner().invoke(
        app, ["--lang", "en", "--store", str(store_dir), "ingest", str(w10_dir), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    return Store.open(store_dir), report
