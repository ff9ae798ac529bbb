"""The behaviour-estimation figures (``estimation_sql.py``) over a metrics engine."""

from __future__ import annotations

import polars as pl

from smartcounter.metrics import estimation_sql as q
from smartcounter.metrics.api import Metrics, _frame
from smartcounter.metrics.period import Period


class EstimationMetrics:
    """What behaviour estimation reads from the store, run on the engine of a ``Metrics``."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def _run(self, sql: str, period: Period) -> pl.DataFrame:
        return _frame(self.metrics.engine.run(sql, period.files_weeks()))

    def acceptance_cells(self, period: Period) -> pl.DataFrame:
        """Triage touches and acceptances per branch, week, stage, age, tier, kind, habit."""
        frame = self._run(q.acceptance_cells_sql(period), period)
        keys = ["branch_id", "week", "stage", "age_band", "customer_tier", "kind", "habit"]
        return frame.sort(keys)

    def service_cells(self, period: Period) -> pl.DataFrame:
        """Log service times per branch, channel, business type and age band."""
        frame = self._run(q.service_cells_sql(period), period)
        # Parallel sums of floats differ in their last bits from run to run: rounded, the
        # same store gives the same figures (and the same seed the same simulation).
        frame = frame.with_columns(pl.col("mean_log").round(9), pl.col("mean_log2").round(9))
        return frame.sort(["branch_id", "channel", "business_code", "age_band"])

    def patience(self, period: Period) -> pl.DataFrame:
        """Waits of visits served at a smart counter first (binned) and give-ups, per branch."""
        return self._run(q.patience_sql(period), period).sort(["branch_id", "kind", "wait_bin"])

    def decline_cells(self, period: Period) -> pl.DataFrame:
        """Declines for the customer's own reasons per branch, age band and reason."""
        frame = self._run(q.decline_cells_sql(period), period)
        return frame.sort(["branch_id", "age_band", "reason"])
