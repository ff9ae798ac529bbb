"""A what-if's figures by hour of the day, beside the store's own rate by hour.

Rows of the what-if table (the columns of ``results.compare``, with ``store``):

* ``migration_rate_by_hour``, group ``"09"`` … : the simulated rate of the visits that
  arrived in that clock hour, as is and under the scenario; ``store`` is the branch's rate
  by hour over the calibration weeks (the metrics API's ``rates`` by ``hour``, the hour of
  the transaction);
* ``wait_mean_by_hour``, group ``"stm 09"``, ``"teller 09"`` … : the mean wait in seconds of
  the visits that arrived that hour, by where they were first called (no ``store`` figure).

These rows are for charts and scripts (``--format json|csv``, ``--out``); the table does not
print them.
"""

from __future__ import annotations

import polars as pl

from smartcounter.metrics import Metrics, Period
from smartcounter.simulation.model import BranchModel
from smartcounter.simulation.results import BY_HOUR, BY_HOUR_RATE, compare_by_hour
from smartcounter.simulation.runner import WhatIf

__all__ = ["BY_HOUR", "hour_of", "hourly_rows", "store_rates_by_hour"]


def store_rates_by_hour(metrics: Metrics, branch_id: str, weeks: list[str]) -> dict[str, float]:
    """The branch's migration rate by clock hour (``"09"``) over ``weeks``, where defined."""
    frame = metrics.rates(["branch", "hour"], Period.of_weeks(weeks)).filter(
        (pl.col("branch_id") == branch_id) & pl.col("rate").is_not_null()
    )
    return {f"{int(h):02d}": float(r) for h, r in frame.select("hour", "rate").iter_rows()}


def hourly_rows(
    result: WhatIf,
    model: BranchModel,
    metrics: Metrics,
    confidence: float,
) -> pl.DataFrame:
    """The by-hour rows of ``result`` with the store's rate by hour in ``store``."""
    table = compare_by_hour(
        result.baseline, result.scenario, model.arrivals.opening_hour, confidence
    )
    observed = store_rates_by_hour(metrics, model.branch_id, list(model.weeks))
    store = [
        observed.get(group) if metric == BY_HOUR_RATE else None
        for metric, group in table.select("metric", "group").iter_rows()
    ]
    return table.insert_column(2, pl.Series("store", store, dtype=pl.Float64))


def hour_of(group: str) -> tuple[str, str]:
    """A by-hour row's group as (queue, hour): ``"stm 09"`` → ("stm", "09"), ``"09"`` → ("", "09")."""
    queue, _, hour = group.rpartition(" ")
    return queue, hour
