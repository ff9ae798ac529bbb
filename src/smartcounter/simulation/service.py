"""The simulator's use case: calibrate a branch from the store and compare a what-if with it.

Called by the command line (and anything else) with keyword arguments; it reads the store
only through the metrics API (inside ``calibrate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from smartcounter.canonical.tables import TRANSACTIONS
from smartcounter.kit.progress import NullProgress, Progress
from smartcounter.metrics import Metrics, open_metrics
from smartcounter.metrics.period import parse_week, weeks_back
from smartcounter.settings import Settings
from smartcounter.simulation.calibrate import CalibrationError, calibrate
from smartcounter.simulation.changes import PracticeChange
from smartcounter.simulation.estimated import (
    EstimateCache,
    NextWeeks,
    behaviour_rows,
    estimate_branch,
    next_weeks_of,
    with_estimates,
    with_rows,
)
from smartcounter.simulation.estimation import BranchEstimates
from smartcounter.simulation.hourly import hourly_rows
from smartcounter.simulation.model import BranchModel, Observed
from smartcounter.simulation.runner import WhatIf, what_if
from smartcounter.simulation.scenario import Scenario
from smartcounter.store.layout import Store

STORE_COLUMN = "store"


@dataclass(frozen=True)
class WhatIfReport:
    """A branch's calibrated model, the scenario, and the side-by-side table."""

    model: BranchModel
    scenario: Scenario
    replications: int
    seed: int
    result: WhatIf
    table: pl.DataFrame  # metric, group, store, baseline…, scenario…, difference…
    # The behaviour the model runs on, each figure estimated or assumed (None: the shipped
    # defaults throughout), and the expected range of the next weeks' rate.
    estimates: BranchEstimates | None = None
    next_weeks: NextWeeks | None = None


def calibration_weeks(
    store: Store, *, week: str | None, weeks: int | None, default_weeks: int
) -> list[str]:
    """The weeks to calibrate from: ``weeks`` weeks ending with ``week`` (or the latest)."""
    if week is not None:
        parse_week(week)
        return weeks_back(week, weeks or 1)
    held = store.weeks(TRANSACTIONS)
    if not held:
        raise CalibrationError("the store holds no transactions")
    return weeks_back(held[-1], weeks or default_weeks)


def run_what_if(
    *,
    store: Store,
    settings: Settings,
    branch_id: str,
    weeks: Sequence[str],
    scenario: Scenario,
    replications: int,
    seed: int,
    weekdays: Sequence[int] | None = None,
    metrics: Metrics | None = None,
    estimate: bool = True,
    as_is: Scenario | None = None,
    known_changes: Sequence[PracticeChange] = (),
    estimates: EstimateCache | None = None,
    progress: Progress | None = None,
    label: str = "",
) -> WhatIfReport:
    """Calibrate ``branch_id`` over ``weeks`` and simulate it as it is and under ``scenario``.

    ``progress``: told of each of its four stages (estimate, calibrate, simulate, the next
    weeks' range) under ``label``.

    ``estimate``: run on the behaviour estimated from the store (``estimation.py``), and add
    the next weeks' range (``migration_rate_next_weeks``, all days simulated) and each
    behaviour figure (``behaviour_estimated`` / ``behaviour_assumed``) to the table.

    ``as_is``: settings the calibration weeks had that the store's reference tables do not
    date (a back-test's staff counts before a change), applied to the calibrated model.
    ``known_changes``: practice changes found in the store (a back-test has them), whose
    branches the next weeks' range leaves out of the network's week-to-week variation.
    ``estimates``: the network's behaviour estimates kept from what-ifs over the same weeks.
    """
    if metrics is None:
        with open_metrics(store, settings) as opened:
            return run_what_if(
                store=store,
                settings=settings,
                branch_id=branch_id,
                weeks=weeks,
                scenario=scenario,
                replications=replications,
                seed=seed,
                weekdays=weekdays,
                metrics=opened,
                estimate=estimate,
                as_is=as_is,
                known_changes=known_changes,
                estimates=estimates,
                progress=progress,
                label=label,
            )
    shown = progress or NullProgress()
    task = shown.start(label, 4)
    estimated = None
    if estimate:
        # Behaviour estimated from the branch's and its peer group's records (the shipped
        # defaults where they have none); the practice is then fitted on top of it.
        estimated = estimate_branch(store, settings, branch_id, weeks, metrics, estimates)
    model = calibrate(
        store,
        settings,
        branch_id,
        weeks,
        metrics=metrics,
        behaviour=estimated.behaviour if estimated else None,
    )
    shown.advance(task, 1)
    if estimated is not None:
        model = with_estimates(model, estimated.network, estimated.branch)
    shown.advance(task, 1)
    if as_is is not None and not as_is.is_baseline:
        model = as_is.apply(model)
    result = what_if(
        model,
        scenario,
        replications,
        np.random.default_rng(seed),
        weekdays=weekdays,
        confidence=settings.simulation.confidence,
    )
    shown.advance(task, 1)
    table = with_store_figures(result.comparison, model.observed)
    ahead = None
    if estimated is not None:
        if weekdays is None:
            ahead = next_weeks_of(
                model,
                scenario,
                result.comparison,
                estimated,
                metrics,
                replications=replications,
                seed=seed,
                confidence=settings.simulation.confidence,
                known_changes=known_changes,
            )
        rows = [ahead.row(model.observed.rate)] if ahead is not None else []
        table = with_rows(table, rows + behaviour_rows(estimated.branch))
    # Figures by hour of arrival, last: for charts and scripts (hourly.py).
    hours = hourly_rows(result, model, metrics, settings.simulation.confidence)
    shown.advance(task, 1)
    shown.finish(task)
    table = pl.concat([table, hours.select(table.columns).cast(table.schema)], how="vertical")
    return WhatIfReport(
        model,
        scenario,
        replications,
        seed,
        result,
        table,
        estimates=estimated.branch if estimated else None,
        next_weeks=ahead,
    )


def with_store_figures(comparison: pl.DataFrame, observed: Observed) -> pl.DataFrame:
    """The comparison with what the store says over the calibration weeks, where it says it."""

    def figure(metric: str, group: str) -> float | None:
        if metric == "migration_rate":
            return observed.rate
        if metric == "tickets":
            return observed.daily_tickets
        if metric == "reason_share":
            return observed.reasons.get(group, 0.0) if observed.reasons else None
        if metric in ("wait_mean", "wait_p90") and group in observed.waits:
            return observed.waits[group][0 if metric == "wait_mean" else 1]
        return None

    values = [figure(m, g) for m, g in comparison.select("metric", "group").iter_rows()]
    column = pl.Series(STORE_COLUMN, values, dtype=pl.Float64)
    return comparison.insert_column(2, column)
