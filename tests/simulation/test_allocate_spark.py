"""``simulate allocate --engine spark``: Spark hands out the same units as the process pool.

Both run the same jobs (calibrate a branch, simulate a state) with the same seed; a state's
figures depend on its branch, state and seed only, so the two allocations must be equal.
"""

from __future__ import annotations

from typing import Any

import pytest

from smartcounter.settings import Settings, SparkSettings
from smartcounter.simulation.allocate import Added, Runner
from smartcounter.simulation.allocate_pool import PoolRunner
from smartcounter.simulation.allocate_service import run_allocation
from smartcounter.simulation.allocate_view import report_json
from smartcounter.store.layout import Store

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_allocates_as_the_process_pool_does(network_store: Store) -> None:
    pytest.importorskip("pyspark")
    from smartcounter.simulation.allocate_spark import SparkRunner

    settings = Settings.model_validate(
        {"simulation": {"calibration_rounds": 2, "calibration_visits": 500}}
    )

    def allocate(runner: Runner) -> dict[str, Any]:
        report = run_allocation(
            store=network_store,
            settings=settings,
            weeks=("2018-W09", "2018-W10"),
            budget=Added(devices=2, specialists=1),
            replications=3,
            seed=5,
            runner=runner,
            region="常州",
        )
        return report_json(report)

    with PoolRunner(2) as pool:
        by_pool = allocate(pool)
    with SparkRunner(SparkSettings(master="local[2]", shuffle_partitions=2)) as spark:
        by_spark = allocate(spark)
    assert (by_pool.pop("runner"), by_spark.pop("runner")) == ("pool", "spark")
    assert by_spark == by_pool
    assert [s["branch_id"] for s in by_spark["steps"]] and not by_spark["skipped"]
