"""The simulator's and the behaviour estimation's figures from DuckDB equal Spark's on a
generated network: one SQL, two engines (one network and one Spark session for both)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import polars as pl
import pytest

from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.metrics.estimation_api import EstimationMetrics
from smartcounter.metrics.simulation_api import SimulationMetrics
from smartcounter.settings import SparkSettings
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, write_network
from tests.metrics.test_engine_parity import assert_same

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PERIOD = Period.of_weeks(["2018-W09", "2018-W10"])


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Metrics, Metrics]]:
    pytest.importorskip("pyspark")
    from smartcounter.metrics.spark_engine import SparkEngine

    root = tmp_path_factory.mktemp("sim-parity")
    store = Store.open_or_create(root / "store", timezone="Asia/Shanghai")
    spec = NetworkSpec(branches=12, weeks=2, start=date(2018, 2, 26), seed=5)
    assert write_network(root / "csv", spec, write_csv=False, store=store).rejected == 0
    store = Store.open(root / "store")
    duck = Metrics(DuckDBEngine(store))
    spark = Metrics(SparkEngine(store, SparkSettings(master="local[2]", shuffle_partitions=4)))
    yield duck, spark
    duck.close()
    spark.close()


Figure = Callable[[Metrics], pl.DataFrame]


def _sim(read: Callable[[SimulationMetrics], pl.DataFrame]) -> Figure:
    return lambda m: read(SimulationMetrics(m))


def _est(read: Callable[[EstimationMetrics], pl.DataFrame]) -> Figure:
    return lambda m: read(EstimationMetrics(m))


FIGURES: dict[str, Figure] = {
    "arrivals": _sim(lambda s: s.arrivals(PERIOD, "CZ-LJL")),
    "visit mix": _sim(lambda s: s.visit_mix(PERIOD, "NT-KFQ")),
    "business mix": _sim(lambda s: s.business_mix(PERIOD, "LYG-DHCZ")),
    "service times, branch": _sim(lambda s: s.service_times(PERIOD, "DY-XSK")),
    "service times, network": _sim(lambda s: s.service_times(PERIOD)),
    "visit paths": _sim(lambda s: s.visit_paths(PERIOD, "LYG-DHCZ")),
    "waits": _sim(lambda s: s.waits(PERIOD, "NT-KFQ")),
    "authorisers": _sim(lambda s: s.authorisers(PERIOD, "CZ-LJL")),
    "device days": _sim(lambda s: s.device_days(PERIOD, "CZ-LJL")),
    "business outcomes": _sim(lambda s: s.business_outcomes(PERIOD, "CZ-LJL")),
    "acceptance cells": _est(lambda e: e.acceptance_cells(PERIOD)),
    "service cells": _est(lambda e: e.service_cells(PERIOD)),
    "patience": _est(lambda e: e.patience(PERIOD)),
    "decline cells": _est(lambda e: e.decline_cells(PERIOD)),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_same_figure_on_both_engines(engines: tuple[Metrics, Metrics], name: str) -> None:
    duck, spark = engines
    assert_same(FIGURES[name](duck), FIGURES[name](spark))
