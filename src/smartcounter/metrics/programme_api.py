"""The programme's figures (``programme_sql.py``) over the same engine as the metrics API."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from smartcounter.metrics import programme_sql as q
from smartcounter.metrics.api import Metrics, UnknownKeyError, _frame
from smartcounter.metrics.period import Period


class ProgrammeMetrics:
    """Benchmark, pairing and scorecard figures, run on the engine of a ``Metrics``."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def standing(self, weeks: Sequence[str]) -> pl.DataFrame:
        """Each branch over ``weeks``: rate, interval, steadiness, shrunk estimate, percentile."""
        listed = sorted(set(weeks))
        if not listed:
            raise UnknownKeyError("no weeks")
        table = self.metrics.engine.run(q.standing_sql(listed), listed)
        return _frame(table).sort("branch_id")

    def mix(self, dimension: str, period: Period = Period()) -> pl.DataFrame:
        """Each branch's migratable business by ``dimension`` (business, age_band), with shares."""
        if dimension not in q.MIX_DIMENSIONS:
            raise UnknownKeyError(dimension)
        table = self.metrics.engine.run(q.mix_sql(period, dimension), period.files_weeks())
        return _frame(table).sort("branch_id", "value")

    def triage_coverage(
        self, period: Period = Period(), by: Sequence[str] = ("branch",)
    ) -> pl.DataFrame:
        """Share of visits with migratable business touched and accepted at each triage stage."""
        try:
            sql = q.triage_coverage_sql(period, by)
        except KeyError as exc:
            raise UnknownKeyError(str(exc)) from exc
        cols = [q.COVERAGE_KEYS[k][0] for k in by]
        frame = _frame(self.metrics.engine.run(sql, period.files_weeks()))
        return frame.sort(cols, nulls_last=True) if cols else frame

    def staff_figures(self, period: Period) -> pl.DataFrame:
        """Per staff member over ``period``: the figures of the staff scorecard."""
        table = self.metrics.engine.run(q.staff_figures_sql(period), period.files_weeks())
        return _frame(table).sort("branch_id", "staff_id", nulls_last=True)
