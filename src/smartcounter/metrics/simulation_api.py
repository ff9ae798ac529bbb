"""The lobby simulator's calibration figures (``simulation_sql.py``) over a metrics engine."""

from __future__ import annotations

from datetime import date

import polars as pl

from smartcounter.metrics import simulation_sql as q
from smartcounter.metrics.api import Metrics, _frame
from smartcounter.metrics.period import Period


class SimulationMetrics:
    """What the simulator reads from the store, run on the engine of a ``Metrics``."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def _run(self, sql: str, period: Period) -> pl.DataFrame:
        return _frame(self.metrics.engine.run(sql, period.files_weeks()))

    def arrivals(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Tickets per local date (``day``, text) and ``hour``."""
        return self._run(q.arrivals_sql(period, branch), period).sort("day", "hour")

    def visit_mix(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Visits by age band, tier and counts of migratable, cash and other transactions."""
        frame = self._run(q.visit_mix_sql(period, branch), period)
        return frame.sort("age_band", "customer_tier", "migratable", "cash", "other")

    def business_mix(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Transactions by visit kind, age band and business type."""
        frame = self._run(q.business_mix_sql(period, branch), period)
        return frame.sort("kind", "age_band", "business_code")

    def service_times(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Service-time quantiles by channel and business type (``k``, ``q``, ``duration_s``)."""
        frame = self._run(q.service_times_sql(period, branch), period)
        return frame.sort("channel", "business_code", "k")

    def visit_paths(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Visits with migratable business by age band, kind, triage path and device outcome."""
        frame = self._run(q.visit_paths_sql(period, branch), period)
        return frame.sort(frame.columns)

    def waits(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Mean and 90th-percentile wait from ticket to call by first queue."""
        return self._run(q.waits_sql(period, branch), period).sort("queue")

    def waits_by_hour(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Mean wait from ticket to call by first queue and the ticket's clock hour."""
        return self._run(q.waits_by_hour_sql(period, branch), period).sort("queue", "hour")

    def authorisers(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Smart-counter transactions by the role recorded on them."""
        return self._run(q.authorisers_sql(period, branch), period).sort("role")

    def device_days(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Opening days and days with a device fault."""
        return self._run(q.device_days_sql(period, branch), period)

    def business_outcomes(self, period: Period, branch: str | None = None) -> pl.DataFrame:
        """Per migratable business type: transactions, at a smart counter, not supported there."""
        return self._run(q.business_outcomes_sql(period, branch), period).sort("business_code")


# Simulated rows carry one made-up local date: the rate's SQL filters by date, which makes it
# read the rows themselves (no weekly rollups exist for simulated weeks).
SIMULATED_DAY = date(2000, 1, 3)


def simulated_rates(transactions: pl.DataFrame, business_types: pl.DataFrame) -> pl.DataFrame:
    """The store's migration rate (``rates --by week,business``, metrics.md) of simulated rows.

    ``transactions`` in canonical shape with a ``week`` column naming what the rate is
    grouped by (a replication) and ``visit_id``, ``business_code``, ``channel``; ``business_types`` the
    catalogue's ``code``, ``migratable``. Returns ``week, migratable, migrated, rate``.
    """
    import duckdb

    from smartcounter.metrics.definitions import rates_sql

    period = Period.dates(SIMULATED_DAY, SIMULATED_DAY)
    sql = rates_sql(period, ["week", "business"])
    con = duckdb.connect()
    try:
        con.register(
            "transactions",
            transactions.with_columns(
                pl.lit(SIMULATED_DAY).alias("day"), pl.lit("SIM").alias("branch_id")
            ).to_arrow(),
        )
        con.register("business_types", business_types.to_arrow())
        rows = pl.from_arrow(con.sql(sql).arrow())
    finally:
        con.close()
    assert isinstance(rows, pl.DataFrame)
    return (
        rows.group_by("week")
        .agg(pl.col("migratable").sum(), pl.col("migrated").sum())
        .with_columns(
            pl.when(pl.col("migratable") > 0)
            .then(pl.col("migrated") / pl.col("migratable"))
            .alias("rate")
        )
        .sort("week")
    )
