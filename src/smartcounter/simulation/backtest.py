"""Back-test: predict each practice change the store shows, and compare with what happened.

For every dated change (``changes.py``) of a branch: calibrate on the weeks before it (staff
counts as they were then), run the what-if that makes the change, take its expected range
of the next weeks' rate (``estimated.py``: the store's level, the simulated effect, the
behaviour's and the weeks' uncertainty), and set it against the rate the store holds for
the weeks after. The change's own week is a transition (``settle_weeks``) and is left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from smartcounter.canonical.tables import TRANSACTIONS
from smartcounter.kit.progress import NullProgress, Progress
from smartcounter.metrics import Metrics, Period, open_metrics
from smartcounter.metrics.period import shift_week
from smartcounter.settings import Settings
from smartcounter.simulation.calibrate import CalibrationError
from smartcounter.simulation.changes import PracticeChange, find_changes, merge_changes
from smartcounter.simulation.estimated import EstimateCache
from smartcounter.simulation.scenario import ScenarioError
from smartcounter.simulation.service import run_what_if
from smartcounter.store.layout import Store

RESULT_COLUMNS = (
    "branch_id",
    "week",
    "change",
    "calibration_weeks",
    "realised_weeks",
    "predicted",
    "predicted_low",
    "predicted_high",
    "realised",
    "error_pp",
    "inside",
)


@dataclass(frozen=True)
class ChangeOutcome:
    """One change: what was predicted for the weeks after it, and what happened."""

    change: PracticeChange
    calibration_weeks: tuple[str, ...]
    realised_weeks: tuple[str, ...]
    predicted: float
    low: float
    high: float
    realised: float

    @property
    def error_pp(self) -> float:
        """Predicted minus realised, in percentage points."""
        return (self.predicted - self.realised) * 100.0

    @property
    def inside(self) -> bool:
        """Whether the realised rate fell inside the prediction's range."""
        return self.low <= self.realised <= self.high

    def row(self) -> dict[str, object]:
        """The outcome as a row of ``RESULT_COLUMNS``."""
        return {
            "branch_id": self.change.branch_id,
            "week": self.change.week,
            "change": self.change.label,
            "calibration_weeks": f"{self.calibration_weeks[0]}…{self.calibration_weeks[-1]}",
            "realised_weeks": f"{self.realised_weeks[0]}…{self.realised_weeks[-1]}",
            "predicted": self.predicted,
            "predicted_low": self.low,
            "predicted_high": self.high,
            "realised": self.realised,
            "error_pp": self.error_pp,
            "inside": self.inside,
        }


@dataclass(frozen=True)
class Skipped:
    """A change that could not be back-tested, and why (a message key of ``validation``)."""

    change: PracticeChange
    reason: str  # too_few_weeks_before, no_weeks_after, cannot_calibrate, cannot_simulate


@dataclass(frozen=True)
class Backtest:
    """Every change's outcome, the ones skipped, and the summary figures."""

    outcomes: tuple[ChangeOutcome, ...]
    skipped: tuple[Skipped, ...]
    level: float

    @property
    def mean_absolute_error_pp(self) -> float:
        """Mean absolute error of the predictions, in percentage points (nan: none)."""
        if not self.outcomes:
            return math.nan
        return sum(abs(o.error_pp) for o in self.outcomes) / len(self.outcomes)

    @property
    def coverage(self) -> float:
        """Share of realised rates inside their range (nan: none)."""
        if not self.outcomes:
            return math.nan
        return sum(o.inside for o in self.outcomes) / len(self.outcomes)

    def table(self) -> pl.DataFrame:
        """One row per outcome, ``RESULT_COLUMNS``."""
        schema = {
            c: pl.Float64
            if c in ("predicted", "predicted_low", "predicted_high", "realised", "error_pp")
            else pl.Boolean
            if c == "inside"
            else pl.String
            for c in RESULT_COLUMNS
        }
        return pl.DataFrame([o.row() for o in self.outcomes], schema=schema, orient="row")


def backtest(
    *,
    store: Store,
    settings: Settings,
    branches: Sequence[str] | None = None,
    weeks_before: int = 6,
    weeks_after: int = 6,
    settle_weeks: int = 1,
    level: float = 0.8,
    replications: int | None = None,
    seed: int | None = None,
    changes: Sequence[PracticeChange] | None = None,
    logged: Sequence[PracticeChange] = (),
    progress: Progress | None = None,
    label: str = "",
) -> Backtest:
    """Back-test every change the store shows (of ``branches``, or the ``changes`` given),
    with those ``logged`` elsewhere (the lobby's set-up log) in the same weeks merged in."""
    sim = settings.simulation
    bar = progress or NullProgress()
    with open_metrics(store, settings) as metrics:
        found = list(changes) if changes is not None else find_changes(metrics, settings, branches)
        if logged:
            wanted = set(branches) if branches else None
            mine = [c for c in logged if wanted is None or c.branch_id in wanted]
            found = merge_changes(found, mine)
        # Every branch's changes, whose branches the ranges leave out of the network's
        # week-to-week variation where they fall inside the calibration weeks.
        known = merge_changes(find_changes(metrics, settings), logged)
        estimates: EstimateCache = {}  # changes of the same week share the weeks before
        held = set(store.weeks(TRANSACTIONS))
        outcomes: list[ChangeOutcome] = []
        skipped: list[Skipped] = []
        task = bar.start(label, len(found))
        for change in found:
            result = _one(
                change,
                store=store,
                settings=settings,
                metrics=metrics,
                held=held,
                weeks_before=weeks_before,
                weeks_after=weeks_after,
                settle_weeks=settle_weeks,
                level=level,
                replications=replications or sim.replications,
                seed=sim.seed if seed is None else seed,
                known=known,
                estimates=estimates,
            )
            (outcomes if isinstance(result, ChangeOutcome) else skipped).append(result)  # type: ignore[arg-type]
            bar.advance(task, 1)
        bar.finish(task)
    return Backtest(tuple(outcomes), tuple(skipped), level)


def _one(
    change: PracticeChange,
    *,
    store: Store,
    settings: Settings,
    metrics: Metrics,
    held: set[str],
    weeks_before: int,
    weeks_after: int,
    settle_weeks: int,
    level: float,
    replications: int,
    seed: int,
    known: Sequence[PracticeChange] = (),
    estimates: EstimateCache | None = None,
) -> ChangeOutcome | Skipped:
    before = [shift_week(change.week, -k) for k in range(weeks_before, 0, -1)]
    before = [w for w in before if w in held]
    after = [shift_week(change.week, settle_weeks + k) for k in range(weeks_after)]
    after = [w for w in after if w in held]
    if len(before) < 2:
        return Skipped(change, "too_few_weeks_before")
    if not after:
        return Skipped(change, "no_weeks_after")
    try:
        report = run_what_if(
            store=store,
            settings=settings,
            branch_id=change.branch_id,
            weeks=before,
            scenario=change.scenario(),
            replications=replications,
            seed=seed,
            metrics=metrics,
            as_is=change.as_is(),
            known_changes=known,
            estimates=estimates,
        )
    except CalibrationError:
        return Skipped(change, "cannot_calibrate")
    except ScenarioError:
        return Skipped(change, "cannot_simulate")
    ahead = report.next_weeks
    realised = _rate(metrics, change.branch_id, after)
    if ahead is None or realised is None:
        return Skipped(change, "cannot_calibrate" if ahead is None else "no_weeks_after")
    # The range for as many weeks as are compared, from the first of them on.
    predicted = ahead.scenario_range(len(after), gap=settle_weeks + 1, level=level)
    return ChangeOutcome(
        change,
        tuple(before),
        tuple(after),
        predicted.rate,
        predicted.low,
        predicted.high,
        realised,
    )


def _rate(metrics: Metrics, branch_id: str, weeks: Sequence[str]) -> float | None:
    """The branch's rate over ``weeks`` together, as ``rates`` gives it."""
    rows = metrics.rates(["branch"], Period.of_weeks(list(weeks)))
    mine = rows.filter(pl.col("branch_id") == branch_id)
    if mine.height == 0 or not mine["migratable"][0]:
        return None
    return float(mine["migrated"][0]) / float(mine["migratable"][0])
