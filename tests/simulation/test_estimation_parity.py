"""Behaviour estimation's figures from DuckDB equal Spark's on a generated network."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import polars as pl
import pytest

from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.metrics.estimation_api import EstimationMetrics
from smartcounter.settings import SparkSettings
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, write_network

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PERIOD = Period.of_weeks(["2018-W09", "2018-W10"])


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EstimationMetrics, EstimationMetrics]]:
    pytest.importorskip("pyspark")
    from smartcounter.metrics.spark_engine import SparkEngine

    root = tmp_path_factory.mktemp("estimation-parity")
    store = Store.open_or_create(root / "store", timezone="Asia/Shanghai")
    spec = NetworkSpec(branches=10, weeks=2, start=date(2018, 2, 26), seed=9)
    assert write_network(root / "csv", spec, write_csv=False, store=store).rejected == 0
    store = Store.open(root / "store")
    duck = Metrics(DuckDBEngine(store))
    spark = Metrics(SparkEngine(store, SparkSettings(master="local[2]", shuffle_partitions=4)))
    yield EstimationMetrics(duck), EstimationMetrics(spark)
    duck.close()
    spark.close()


FIGURES: dict[str, Callable[[EstimationMetrics], pl.DataFrame]] = {
    "acceptance cells": lambda m: m.acceptance_cells(PERIOD),
    "service cells": lambda m: m.service_cells(PERIOD),
    "patience": lambda m: m.patience(PERIOD),
    "decline cells": lambda m: m.decline_cells(PERIOD),
}


def assert_same(left: pl.DataFrame, right: pl.DataFrame) -> None:
    """Same columns and rows; integers and text exactly, fractions to 1e-9."""
    assert left.columns == right.columns
    assert left.height == right.height > 0
    for name in left.columns:
        a, b = left.get_column(name), right.get_column(name)
        assert (a.is_null() == b.is_null()).all(), name
        if a.dtype.is_float():
            assert ((a - b).abs().fill_null(0.0) <= 1e-9).all(), name
        else:
            assert a.to_list() == b.to_list(), name


@pytest.mark.parametrize("name", list(FIGURES))
def test_same_figure_on_both_engines(
    engines: tuple[EstimationMetrics, EstimationMetrics], name: str
) -> None:
    duck, spark = engines
    assert_same(FIGURES[name](duck), FIGURES[name](spark))
