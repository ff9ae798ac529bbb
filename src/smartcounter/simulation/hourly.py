"""A what-if's figures by hour of the day, beside the store's own rate by hour.

Rows of the what-if table (the columns of ``results.compare``, with ``store``):

* ``migration_rate_by_hour``, group ``"09"`` … : the simulated rate of the visits that
  arrived in that clock hour, as is and under the scenario; ``store`` is the branch's rate
  by hour over the calibration weeks (the metrics API's ``rates`` by ``hour``, the hour of
  the transaction);
* ``wait_mean_by_hour``, group ``"stm 09"``, ``"teller 09"`` … : the mean wait in seconds of
  the visits that arrived that hour, by where they were first called; ``store`` is the
  branch's own over the calibration weeks (ticket to call, by the hour of the ticket, as
  the simulation counts it).

These rows are for charts and scripts (``--format json|csv``, ``--out``); the table does not
print them.
"""

from __future__ import annotations

import polars as pl

from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.simulation_api import SimulationMetrics
from smartcounter.simulation.model import BranchModel
from smartcounter.simulation.results import BY_HOUR, BY_HOUR_RATE, BY_HOUR_WAIT, compare_by_hour
from smartcounter.simulation.runner import WhatIf

__all__ = ["BY_HOUR", "hour_of", "hourly_rows", "store_rates_by_hour", "store_waits_by_hour"]


def store_rates_by_hour(metrics: Metrics, branch_id: str, weeks: list[str]) -> dict[str, float]:
    """The branch's migration rate by clock hour (``"09"``) over ``weeks``, where defined."""
    frame = metrics.rates(["branch", "hour"], Period.of_weeks(weeks)).filter(
        (pl.col("branch_id") == branch_id) & pl.col("rate").is_not_null()
    )
    return {f"{int(h):02d}": float(r) for h, r in frame.select("hour", "rate").iter_rows()}


def store_waits_by_hour(metrics: Metrics, branch_id: str, weeks: list[str]) -> dict[str, float]:
    """The branch's mean wait in seconds by first queue and ticket hour (``"stm 09"``)."""
    frame = SimulationMetrics(metrics).waits_by_hour(Period.of_weeks(weeks), branch_id)
    return {
        f"{queue} {int(hour):02d}": float(wait)
        for queue, hour, wait in frame.select("queue", "hour", "mean_wait_s").iter_rows()
        if wait is not None
    }


def hourly_rows(
    result: WhatIf,
    model: BranchModel,
    metrics: Metrics,
    confidence: float,
) -> pl.DataFrame:
    """The by-hour rows of ``result`` with the store's rate and waits by hour in ``store``."""
    table = compare_by_hour(
        result.baseline, result.scenario, model.arrivals.opening_hour, confidence
    )
    weeks = list(model.weeks)
    observed = {
        BY_HOUR_RATE: store_rates_by_hour(metrics, model.branch_id, weeks),
        BY_HOUR_WAIT: store_waits_by_hour(metrics, model.branch_id, weeks),
    }
    store = [
        observed[metric].get(group) if metric in observed else None
        for metric, group in table.select("metric", "group").iter_rows()
    ]
    return table.insert_column(2, pl.Series("store", store, dtype=pl.Float64))


def hour_of(group: str) -> tuple[str, str]:
    """A by-hour row's group as (queue, hour): ``"stm 09"`` → ("stm", "09"), ``"09"`` → ("", "09")."""
    queue, _, hour = group.rpartition(" ")
    return queue, hour
