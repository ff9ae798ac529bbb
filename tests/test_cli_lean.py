"""A lean command line: ``--help`` loads no data library; each command loads what it needs.

Each probe runs the real command line in a fresh interpreter and reports which of the
heavy libraries ended up in ``sys.modules``.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

HEAVY = ("polars", "duckdb", "pyarrow", "fastapi", "sqlalchemy", "scipy", "jinja2", "pyspark")
# What the figure commands need no part of: the web stack, the database, the PDF writer,
# Spark, statistics and the spreadsheet libraries.
NOT_FOR_RATES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "jinja2",
    "pyspark",
    "weasyprint",
    "scipy",
    "pandas",
    "openpyxl",
    "xlsxwriter",
    "rich",
)
DATA_LIBRARIES = ("polars", "duckdb", "pyarrow", "numpy", "pandas")


def loaded(args: list[str], watch: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run ``smartcounter ARGS`` in a new interpreter: its output, and which of ``watch`` it loaded."""
    # main() ends the process itself once atexit has run (cli/leave.py): the probe reports there.
    probe = f"""
import atexit, sys
from smartcounter.cli.app import main
sys.argv = ["smartcounter", *{args!r}]
atexit.register(lambda: print("LOADED=" + ",".join(m for m in {watch!r} if m in sys.modules)))
main()
"""
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    *body, last = out.strip().splitlines()
    assert last.startswith("LOADED=")
    return "\n".join(body), [m for m in last[len("LOADED=") :].split(",") if m]


def test_help_lists_every_command_and_loads_no_data_library() -> None:
    out, heavy = loaded(["--help"], HEAVY)
    from smartcounter.cli.app import COMMANDS

    for name in COMMANDS:
        assert f"  {name}" in out
    assert heavy == []


# Every command that reads figures, with --engine and --spark-master (cli.md).
FIGURE_COMMANDS = (
    "rates",
    "visit-rates",
    "tickets",
    "unmigrated",
    "funnel",
    "ranking",
    "wow",
    "bulletin",
    "benchmarks",
    "pairs",
    "diagnose",
    "progress",
    "scorecard",
)


@pytest.mark.parametrize("command", FIGURE_COMMANDS)
def test_a_figure_commands_help_loads_no_data_library(command: str) -> None:
    # Nor the settings: a command's --help reads no configuration.
    watch = (*DATA_LIBRARIES, *NOT_FOR_RATES, "pydantic_settings", "smartcounter.settings")
    out, heavy = loaded([command, "--help"], watch)
    assert "--engine" in out and "--spark-master" in out
    assert heavy == []


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from smartcounter.store.layout import Store
    from smartcounter.synthetic import NetworkSpec, write_network

    root = tmp_path_factory.mktemp("lean")
    store = Store.open_or_create(root / "store", timezone="Asia/Shanghai")
    spec = NetworkSpec(branches=6, weeks=2, start=date(2018, 3, 5), seed=3, source_branches=False)
    summary = write_network(root / "csv", spec, write_csv=False, store=store)
    assert summary.rejected == 0
    return root / "store"


def test_rates_loads_no_web_database_pdf_or_spark_library(small_store: Path) -> None:
    out, heavy = loaded(
        ["--store", str(small_store), "rates", "--by", "branch,week", "--format", "csv"],
        NOT_FOR_RATES,
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["week"] for r in rows} == {"2018-W10", "2018-W11"}
    assert sum(int(r["migratable"]) for r in rows) > 0
    assert heavy == []


def test_engine_options_override_the_settings_and_a_master_alone_means_spark(
    tmp_path: Path,
) -> None:
    from smartcounter.cli.context import AppState, EngineName, with_engine
    from smartcounter.i18n import Lang
    from smartcounter.settings import load_settings

    state = AppState(settings=load_settings(store=tmp_path), lang=Lang.EN)
    assert state.settings.engine == "duckdb"
    assert with_engine(state, None, None) is state
    spark = with_engine(state, None, "spark://10.0.0.5:7077").settings
    assert (spark.engine, spark.spark.master) == ("spark", "spark://10.0.0.5:7077")
    chosen = with_engine(state, EngineName.DUCKDB, "local[1]").settings
    assert (chosen.engine, chosen.spark.master) == ("duckdb", "local[1]")
    assert with_engine(state, EngineName.SPARK, None).settings.spark == state.settings.spark
    assert state.settings.engine == "duckdb"  # the original is left as it was


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_rates_for_scripts_loads_no_data_frame_library(small_store: Path, fmt: str) -> None:
    """A script's CSV or JSON comes as plain rows from DuckDB: no Polars, Arrow or NumPy."""
    args = ["--store", str(small_store), "rates", "--by", "week,branch", "--format", fmt]
    out, heavy = loaded(args, ("polars", "pyarrow", "numpy"))
    assert heavy == []
    # The same figures, in the same order, as the frame path (the table) computes them.
    from smartcounter.metrics import Period, open_metrics
    from smartcounter.settings import load_settings
    from smartcounter.store.layout import Store

    with open_metrics(Store.open(small_store), load_settings(store=small_store)) as m:
        frame = m.rates(["week", "branch"], Period())
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [(r["week"], r["branch_id"], r["rate"]) for r in rows] == [
            (w, b, "" if r is None else repr(r))
            for w, b, r in frame.select("week", "branch_id", "rate").rows()
        ]
    else:
        assert json.loads(out) == frame.to_dicts()
