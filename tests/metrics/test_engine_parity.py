"""Every figure from DuckDB equals Spark's on a generated network (counts exactly, fractions
to 1e-9): one definition, two engines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import polars as pl
import pytest

from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.settings import SparkSettings
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, write_network

pytestmark = [pytest.mark.spark, pytest.mark.slow]

WEEK = "2018-W10"
PERIOD = Period.week(WEEK)


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Metrics, Metrics]]:
    pytest.importorskip("pyspark")
    from smartcounter.metrics.spark_engine import SparkEngine

    root = tmp_path_factory.mktemp("parity")
    store = Store.open_or_create(root / "store", timezone="Asia/Shanghai")
    spec = NetworkSpec(branches=240, weeks=4, start=date(2018, 2, 19), seed=11)
    summary = write_network(root / "csv", spec, write_csv=False, store=store)
    assert summary.rejected == 0
    store = Store.open(root / "store")
    duck = Metrics(DuckDBEngine(store))
    spark = Metrics(SparkEngine(store, SparkSettings(master="local[2]", shuffle_partitions=4)))
    yield duck, spark
    duck.close()
    spark.close()


FIGURES: dict[str, Callable[[Metrics], pl.DataFrame]] = {
    "rates by branch, week": lambda m: m.rates(["branch", "week"]),
    "rates by type, region, business (week)": lambda m: m.rates(
        ["branch_type", "region", "business"], PERIOD
    ),
    "rates by staff, hour, age band (week)": lambda m: m.rates(
        ["staff", "hour", "age_band"], PERIOD
    ),
    "rates by day, month": lambda m: m.rates(
        ["day", "month"], Period.dates(date(2018, 2, 25), date(2018, 3, 6))
    ),
    "rates network": lambda m: m.rates([], PERIOD),
    "visit rates by branch": lambda m: m.visit_rates(["branch"], PERIOD),
    "daily tickets by branch": lambda m: m.daily_tickets(["branch"], PERIOD),
    "daily tickets by type": lambda m: m.daily_tickets(["branch_type", "week"]),
    "daily tickets by branch and hour": lambda m: m.daily_tickets(["branch", "hour"], PERIOD),
    "daily tickets by age band": lambda m: m.daily_tickets(["age_band"]),
    "unmigrated by business": lambda m: m.unmigrated("business", PERIOD),
    "unmigrated by reason per branch": lambda m: m.unmigrated("reason", PERIOD, ["branch"]),
    "unmigrated by staff": lambda m: m.unmigrated("staff", PERIOD),
    "unmigrated by role per branch": lambda m: m.unmigrated("role", PERIOD, ["branch"]),
    "unmigrated by hour per type": lambda m: m.unmigrated("hour", PERIOD, ["branch_type"]),
    "unmigrated by age band": lambda m: m.unmigrated("age_band", PERIOD),
    "unmigrated by tier": lambda m: m.unmigrated("customer_tier", PERIOD),
    "funnel per branch": lambda m: m.funnel(PERIOD, ["branch"]),
    "funnel per staff (every stage, nulls kept)": lambda m: m.funnel(PERIOD, ["staff"]),
    "decline reasons": lambda m: m.decline_reasons(PERIOD, ["branch_type"]),
    "triage depth": lambda m: m.triage_depth(PERIOD, ["branch"]),
    "ranking": lambda m: m.ranking(WEEK),
    "week over week": lambda m: m.week_over_week(WEEK, ["branch"]),
    "trend by type": lambda m: m.trend(WEEK, 4, ["branch_type"]),
}


def assert_same(left: pl.DataFrame, right: pl.DataFrame) -> None:
    """Same columns and rows; integers and text exactly, fractions to 1e-9."""
    assert left.columns == right.columns
    assert left.height == right.height
    assert left.height > 0
    for name in left.columns:
        a, b = left.get_column(name), right.get_column(name)
        assert a.null_count() == b.null_count(), name
        assert (a.is_null() == b.is_null()).all(), name
        if a.dtype.is_float():
            diff = (a - b).abs().max()
            assert diff is None or float(diff) <= 1e-9, f"{name}: {diff}"  # type: ignore[arg-type]
        else:
            assert a.to_list() == b.to_list(), name


@pytest.mark.parametrize("figure", list(FIGURES))
def test_duckdb_and_spark_agree(engines: tuple[Metrics, Metrics], figure: str) -> None:
    duck, spark = engines
    assert_same(FIGURES[figure](duck), FIGURES[figure](spark))
