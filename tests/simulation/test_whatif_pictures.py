"""The what-if by hour: rows of ``simulate --format json``, and the ``--out`` page's charts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from smartcounter.metrics import Metrics
from smartcounter.simulation import BranchModel, Scenario, what_if
from smartcounter.simulation.hourly import store_rates_by_hour
from tests.conftest import RunCli
from tests.simulation.conftest import WEEKS


@pytest.fixture(autouse=True)
def quick_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer calibration rounds: these tests are about the pictures, not the fit."""
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_ROUNDS", "2")
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_VISITS", "500")


def test_by_hour_figures_weigh_back_to_the_week(source_models: dict[str, BranchModel]) -> None:
    """The rate by hour, weighed by the hour's migratable business, is the week's rate as the
    metrics' SQL computes it; the waits by hour weigh back to the week's mean wait."""
    model = source_models["CZ-LJL"]
    run = what_if(model, Scenario(cash_split=True), 4, np.random.default_rng(3))
    result = run.baseline
    opening = model.arrivals.opening_hour
    hours = result.by_hour(opening)
    hour = ((pl.col("arrival_s") // 3600).cast(pl.Int64) + opening).cast(pl.String).str.zfill(2)
    visits = result.visits.with_columns(hour.alias("group"))
    weights = visits.group_by("replication", "group").agg(pl.col("m").sum().alias("w"))
    rates = hours.filter(pl.col("metric") == "migration_rate_by_hour").join(
        weights, on=["replication", "group"]
    )
    weighed = rates.group_by("replication").agg(
        ((pl.col("value") * pl.col("w")).sum() / pl.col("w").sum()).alias("weighed")
    )
    week = result.per_replication().filter(pl.col("metric") == "migration_rate")
    both = week.join(weighed, on="replication").sort("replication")
    assert both.height == 4
    assert np.allclose(both["value"].to_numpy(), both["weighed"].to_numpy())
    assert rates["group"].n_unique() == model.arrivals.hours

    waits = (
        result.visit_waits()
        .join(
            visits.select("replication", "day", "customer", "group"),
            on=["replication", "day", "customer"],
        )
        .group_by("replication", "queue", "group")
        .agg(pl.len().alias("n"))
        .with_columns(pl.format("{} {}", "queue", "group").alias("group"))
    )
    by_hour = hours.filter(pl.col("metric") == "wait_mean_by_hour").join(
        waits, on=["replication", "group"]
    )
    weighed_waits = by_hour.group_by("replication", "queue").agg(
        ((pl.col("value") * pl.col("n")).sum() / pl.col("n").sum()).alias("weighed")
    )
    week_waits = (
        result.per_replication().filter(pl.col("metric") == "wait_mean").rename({"group": "queue"})
    )
    both = week_waits.join(weighed_waits, on=["replication", "queue"])
    assert set(both["queue"]) == {"stm", "teller"}
    assert np.allclose(both["value"].to_numpy(), both["weighed"].to_numpy())


def test_the_store_rate_by_hour_is_the_metrics_api(network_metrics: Metrics) -> None:
    rates = store_rates_by_hour(network_metrics, "CZ-LJL", list(WEEKS))
    assert rates and all(re.fullmatch(r"\d\d", h) for h in rates)
    assert all(0 <= r <= 1 for r in rates.values())


def test_json_has_by_hour_rows_and_out_writes_the_charts(
    run_cli: RunCli, store_path: Path, tmp_path: Path
) -> None:
    page = tmp_path / "report" / "whatif.html"
    result = run_cli(
        "--store", store_path, "simulate", "--branch", "CZ-LJL", "--weeks", "4",
        "--week", "2018-W10", "--cash-split", "--replications", "4", "--seed", "1",
        "--format", "json", "--out", page,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    keys = set(rows[0])
    assert all(set(r) == keys for r in rows)  # the one row shape, by-hour rows included
    by_hour = [r for r in rows if r["metric"] == "migration_rate_by_hour"]
    assert len(by_hour) >= 6 and all(re.fullmatch(r"\d\d", r["group"]) for r in by_hour)
    assert all(r["store"] is not None for r in by_hour)
    assert all(r["baseline_low"] <= r["baseline"] <= r["baseline_high"] for r in by_hour)
    wait_rows = [r for r in rows if r["metric"] == "wait_mean_by_hour"]
    assert {r["group"].split(" ")[0] for r in wait_rows} == {"stm", "teller"}
    # The store's own waits by hour beside the simulated ones, in seconds.
    measured = [r["store"] for r in wait_rows if r["store"] is not None]
    assert len(measured) >= len(wait_rows) // 2 and all(w >= 0 for w in measured)

    html = page.read_text("utf-8")
    assert html.count("<svg") == 4  # two charts, wide and narrow
    assert "<script" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing fetched
    assert "各时段迁移率" in html and "智能柜台·方案" in html and "现金与非现金分离办理" in html
    # One point per hour and side on the rate chart: the store's hollow dots are there, and
    # on the waits chart hollow for the smart counter and filled for the window.
    assert html.count('fill="#ffffff"') >= len(by_hour) + 1

    table = run_cli(
        "--lang", "en", "--store", store_path, "simulate", "--branch", "CZ-LJL",
        "--week", "2018-W10", "--replications", "2", "--out", tmp_path / "en.html",
    )  # fmt: skip
    assert table.exit_code == 0, table.stderr
    assert "by_hour" not in table.stdout.split("Figures by hour")[0]  # not in the table
    assert "Migration rate by hour" in (tmp_path / "en.html").read_text("utf-8")
    wrong = run_cli(
        "--store", store_path, "simulate", "--branch", "CZ-LJL", "--out", tmp_path / "x.pdf"
    )
    assert wrong.exit_code == 2 and ".html" in wrong.stderr
