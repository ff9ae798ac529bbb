"""Flat records into polars, figures per replication, and their means with confidence intervals.

Every figure is computed per replication (one simulated week, or day), then averaged with a
Student-t interval over replications. A what-if is compared replication by replication:
the baseline and the scenario of one replication share their customers, so the interval of
the difference is that of paired differences, much narrower than the two intervals suggest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import t as student_t

from smartcounter.canonical.catalogue import REASON_CODES
from smartcounter.canonical.tables import AGE_BANDS, CUSTOMER_TIERS
from smartcounter.simulation.engine import QUEUES, STM, TELLER, Records
from smartcounter.simulation.model import KINDS, BranchModel

# ``day`` is the weekday, 0 Monday … 6 Sunday; ``customer`` numbers a replication's customers.
VISIT_COLUMNS = (
    "replication",
    "day",
    "customer",
    "arrival_s",
    "finished_s",
    "age",
    "tier",
    "kind",
    "m",
    "d",
    "t1",
    "a1",
    "t2",
    "a2",
    "t3",
    "a3",
    "busy",
    "fault",
)
LEG_COLUMNS = ("replication", "day", "customer", "leg", "code", "channel", "reason", "duration_s")
WAIT_COLUMNS = ("replication", "day", "customer", "queue", "joined_s", "wait_s", "served")
SERVER_COLUMNS = ("replication", "day", "role", "index", "busy_s", "open_s")
LINE_COLUMNS = ("replication", "day", "queue", "area_s")

# Figures, in the order they are reported.
METRICS = ("migration_rate", "wait_mean", "wait_p90", "utilisation", "reason_share", "tickets")
# Figures by hour of arrival (``SimulationResult.by_hour``), reported after the others:
# groups "09" (rate) and "stm 09" / "teller 09" (waits, seconds), hours on the local clock.
BY_HOUR_RATE, BY_HOUR_WAIT = "migration_rate_by_hour", "wait_mean_by_hour"
BY_HOUR = (BY_HOUR_RATE, BY_HOUR_WAIT)
KEYS = ("metric", "group")


def _columns(chunks: list[dict[str, np.ndarray]], columns: tuple[str, ...]) -> pl.DataFrame:
    if not chunks:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.Int64))
    return pl.DataFrame({c: np.concatenate([chunk[c] for chunk in chunks]) for c in columns})


def _records(
    chunks: list[dict[str, np.ndarray]],
    rows: Sequence[Sequence[object]],
    schema: dict[str, pl.DataType],
) -> pl.DataFrame:
    """One frame of ``schema`` from column chunks and rows (either may be empty)."""
    frames = [
        pl.DataFrame({c: np.concatenate([chunk[c] for chunk in chunks]) for c in schema})
        if chunks
        else pl.DataFrame(schema=schema),
        pl.DataFrame(rows, schema=list(schema), orient="row")
        if rows
        else pl.DataFrame(schema=schema),
    ]
    return pl.concat([f.cast(pl.Schema(schema)) for f in frames], how="vertical")


WAIT_SCHEMA: dict[str, pl.DataType] = {
    "replication": pl.Int64(),
    "day": pl.Int64(),
    "customer": pl.Int64(),
    "queue": pl.Int64(),
    "joined_s": pl.Float64(),
    "wait_s": pl.Float64(),
    "served": pl.Boolean(),
}
SERVER_SCHEMA: dict[str, pl.DataType] = {
    "replication": pl.Int64(),
    "day": pl.Int64(),
    "role": pl.String(),
    "index": pl.Int64(),
    "busy_s": pl.Float64(),
    "open_s": pl.Float64(),
}
LINE_SCHEMA: dict[str, pl.DataType] = {
    "replication": pl.Int64(),
    "day": pl.Int64(),
    "queue": pl.Int64(),
    "area_s": pl.Float64(),
}


@dataclass(frozen=True)
class SimulationResult:
    """The records of a run: visits, legs (transactions), waits, servers and queue areas."""

    visits: pl.DataFrame
    legs: pl.DataFrame
    waits: pl.DataFrame
    servers: pl.DataFrame
    lines: pl.DataFrame
    days_per_replication: int

    @classmethod
    def of(cls, records: Records, model: BranchModel, days: int) -> SimulationResult:
        """Frames from ``records``, with names for codes, reasons, queues, ages and kinds."""
        visits = _columns(records.visits, VISIT_COLUMNS).with_columns(
            pl.col("age").replace_strict(dict(enumerate(AGE_BANDS)), return_dtype=pl.String),
            pl.col("tier").replace_strict(dict(enumerate(CUSTOMER_TIERS)), return_dtype=pl.String),
            pl.col("kind").replace_strict(dict(enumerate(KINDS)), return_dtype=pl.String),
        )
        reasons = dict(enumerate(REASON_CODES))
        legs = _columns(records.legs, LEG_COLUMNS).with_columns(
            pl.col("code").replace_strict(dict(enumerate(model.codes)), return_dtype=pl.String),
            pl.col("code")
            .replace_strict(dict(enumerate(model.migratable.tolist())), return_dtype=pl.Boolean)
            .alias("migratable"),
            pl.col("channel").replace_strict(
                {STM: "stm", TELLER: "teller"}, default=None, return_dtype=pl.String
            ),
            pl.col("reason").replace_strict(reasons, default=None, return_dtype=pl.String),
        )
        queue_names = dict(enumerate(QUEUES))
        waits = _records(records.waits, records.wait_rows, WAIT_SCHEMA).with_columns(
            pl.col("queue").replace_strict(queue_names, return_dtype=pl.String)
        )
        lines = _records(records.lines, records.line_rows, LINE_SCHEMA).with_columns(
            pl.col("queue").replace_strict(queue_names, return_dtype=pl.String)
        )
        return cls(
            visits=visits,
            legs=legs,
            waits=waits,
            servers=_records(records.servers, records.server_rows, SERVER_SCHEMA),
            lines=lines,
            days_per_replication=days,
        )

    @property
    def replications(self) -> int:
        """How many replications the records hold."""
        return int(self.visits.get_column("replication").n_unique()) if self.visits.height else 0

    def visit_waits(self) -> pl.DataFrame:
        """Each visit's wait as the store measures it (metrics.md, waits_sql): from the ticket
        to the first call — to a window, or to a smart counter — grouped by where that first
        call was (``queue``: ``teller`` or ``stm``)."""
        calls = (
            self.waits.filter(pl.col("served") & pl.col("queue").is_in(["teller", "stm"]))
            .with_columns((pl.col("joined_s") + pl.col("wait_s")).alias("called_s"))
            .sort("called_s")
            .group_by("replication", "day", "customer")
            .agg(pl.col("called_s").first(), pl.col("queue").first())
        )
        return calls.join(
            self.visits.select("replication", "day", "customer", "arrival_s"),
            on=["replication", "day", "customer"],
        ).select(
            "replication",
            "day",
            "customer",
            "queue",
            (pl.col("called_s") - pl.col("arrival_s")).cast(pl.Float64).alias("wait_s"),
        )

    def migration_rates(self) -> pl.DataFrame:
        """Per replication: migratable and migrated transactions and the rate, computed as
        the store computes it — the legs as canonical transaction rows through the metrics'
        SQL (``rates --by week,business``), a replication standing for a week."""
        from smartcounter.metrics.simulation_api import simulated_rates

        tx = self.legs.select(
            pl.format("R{}", pl.col("replication").cast(pl.String).str.zfill(5)).alias("week"),
            pl.format("{}-{}", "replication", "customer").alias("visit_id"),
            pl.col("code").alias("business_code"),
            "channel",
        )
        types = self.legs.select(pl.col("code"), "migratable").unique("code")
        rates = simulated_rates(tx, types)
        replications = self.visits.select("replication").unique()
        return (
            replications.join(
                rates.with_columns(pl.col("week").str.slice(1).cast(pl.Int64).alias("replication")),
                on="replication",
                how="left",
            )
            .select(
                pl.col("replication"),
                pl.col("migratable").fill_null(0),
                pl.col("migrated").fill_null(0),
                pl.col("rate"),
            )
            .sort("replication")
        )  # in order: whatever sums them sums alike on every run

    def per_replication(self) -> pl.DataFrame:
        """Every figure of every replication: ``replication, metric, group, value``."""
        waits = pl.concat(
            [
                self.visit_waits().select("replication", "queue", "wait_s"),
                self.waits.filter(pl.col("queue") == "authorisation").select(
                    "replication", "queue", pl.col("wait_s").cast(pl.Float64)
                ),
            ],
            how="vertical",
        )
        parts = [
            self.migration_rates().select(
                "replication",
                pl.lit("migration_rate").alias("metric"),
                pl.lit("").alias("group"),
                pl.col("rate").alias("value"),
            ),
            self.visits.group_by("replication").agg(
                pl.lit("tickets").alias("metric"),
                pl.lit("per_day").alias("group"),
                (pl.len() / self.days_per_replication).cast(pl.Float64).alias("value"),
            ),
            waits.group_by("replication", "queue").agg(
                pl.lit("wait_mean").alias("metric"), pl.col("wait_s").mean().alias("value")
            ),
            waits.group_by("replication", "queue").agg(
                pl.lit("wait_p90").alias("metric"),
                pl.col("wait_s").quantile(0.9, "nearest").alias("value"),
            ),
            self.servers.group_by("replication", "role").agg(
                pl.lit("utilisation").alias("metric"),
                (pl.col("busy_s").sum() / pl.col("open_s").sum()).alias("value"),
            ),
        ]
        parts[2] = parts[2].rename({"queue": "group"})
        parts[3] = parts[3].rename({"queue": "group"})
        parts[4] = parts[4].rename({"role": "group"})
        unmigrated = self.legs.filter(pl.col("migratable") & (pl.col("channel") == "teller"))
        totals = unmigrated.group_by("replication").agg(pl.len().alias("n"))
        shares = (
            unmigrated.group_by("replication", "reason")
            .agg(pl.len().alias("count"))
            .join(totals, on="replication")
            .select(
                "replication",
                pl.lit("reason_share").alias("metric"),
                pl.col("reason").fill_null("unknown").alias("group"),
                (pl.col("count") / pl.col("n")).alias("value"),
            )
        )
        # A reason absent from a replication is a share of 0 there, not a missing value;
        # every reason code gets its row, so replications run in chunks give the same rows.
        if shares.height:
            codes = pl.concat(
                [pl.Series("group", REASON_CODES, dtype=pl.String), shares.get_column("group")]
            ).unique()
            grid = (
                self.visits.select("replication")
                .unique()
                .join(codes.to_frame(), how="cross")
                .with_columns(pl.lit("reason_share").alias("metric"))
            )
            shares = grid.join(shares, on=["replication", "metric", "group"], how="left").select(
                "replication", "metric", "group", pl.col("value").fill_null(0.0)
            )
        columns = ["replication", "metric", "group", "value"]
        frames = [p.select(columns) for p in parts] + [shares.select(columns)]
        frame = pl.concat(
            [f.with_columns(pl.col("value").cast(pl.Float64)) for f in frames], how="vertical"
        )
        return frame.sort("metric", "group", "replication")

    def by_hour(self, opening_hour: int) -> pl.DataFrame:
        """Figures by hour of arrival (the clock hour of the ticket), per replication:
        ``replication, metric, group, value`` with ``migration_rate_by_hour`` (group ``"09"``:
        migrated over migratable transactions of the visits that arrived 09:00–09:59, all
        simulated days together) and ``wait_mean_by_hour`` (group ``"stm 09"``,
        ``"teller 09"``: the mean wait, as ``visit_waits`` measures it, of those visits by
        where they were first called). An hour without migratable business (or without
        waits in a queue) in a replication has no row there."""
        hour = (
            ((pl.col("arrival_s") // 3600).cast(pl.Int64) + opening_hour)
            .cast(pl.String)
            .str.zfill(2)
        )
        visits = self.visits.select("replication", "day", "customer", "m", "d", hour.alias("hour"))
        rates = (
            visits.group_by("replication", "hour")
            .agg(pl.col("m").sum(), pl.col("d").sum())
            .filter(pl.col("m") > 0)
            .select(
                "replication",
                pl.lit(BY_HOUR_RATE).alias("metric"),
                pl.col("hour").alias("group"),
                (pl.col("d") / pl.col("m")).cast(pl.Float64).alias("value"),
            )
        )
        waits = (
            self.visit_waits()
            .join(visits, on=["replication", "day", "customer"])
            .group_by("replication", "queue", "hour")
            .agg(pl.col("wait_s").mean().alias("value"))
            .select(
                "replication",
                pl.lit(BY_HOUR_WAIT).alias("metric"),
                pl.format("{} {}", "queue", "hour").alias("group"),
                pl.col("value").cast(pl.Float64),
            )
        )
        return pl.concat([rates, waits], how="vertical").sort("metric", "group", "replication")

    def summary(self, confidence: float = 0.95) -> pl.DataFrame:
        """Mean and confidence interval of every figure over replications."""
        return summarise(self.per_replication(), confidence)


def _half_width(confidence: float) -> pl.Expr:
    n = pl.col("replications")
    quantile = pl.col("replications").map_elements(
        lambda k: float(student_t.ppf((1 + confidence) / 2, k - 1)) if k > 1 else None,
        return_dtype=pl.Float64,
    )
    return quantile * pl.col("sd") / n.cast(pl.Float64).sqrt()


# Figures that are shares, bounded by 0 and 1 (waits and tickets are bounded by 0 only).
SHARES = ("migration_rate", "utilisation", "reason_share", BY_HOUR_RATE)


def summarise(
    per_replication: pl.DataFrame, confidence: float = 0.95, *, bounded: bool = True
) -> pl.DataFrame:
    """``metric, group, mean, low, high, replications`` from per-replication values.

    ``bounded``: the values are figures (no share below 0 or above 1, no wait below 0),
    not differences, and their intervals are cut to those bounds.
    """
    stats = per_replication.group_by("metric", "group").agg(
        pl.col("value").mean().alias("mean"),
        pl.col("value").std().alias("sd"),
        pl.len().alias("replications"),
    )
    half = _half_width(confidence)
    low, high = pl.col("mean") - half, pl.col("mean") + half
    if bounded:
        low = pl.max_horizontal(low, pl.lit(0.0))
        high = (
            pl.when(pl.col("metric").is_in(SHARES))
            .then(pl.min_horizontal(high, pl.lit(1.0)))
            .otherwise(high)
        )
    out = stats.with_columns(low.alias("low"), high.alias("high")).select(
        "metric", "group", "mean", "low", "high", "replications"
    )
    return _ordered(out, "mean")


def _ordered(frame: pl.DataFrame, size: str) -> pl.DataFrame:
    """Figures in report order; reasons largest first (a Pareto), other groups by name."""
    order = {m: i for i, m in enumerate(METRICS + BY_HOUR)}
    pareto = pl.when(pl.col("metric") == "reason_share").then(-pl.col(size)).otherwise(0.0)
    return (
        frame.with_columns(
            pl.col("metric").replace_strict(order, default=len(order)).alias("_order"),
            pareto.fill_null(0.0).alias("_size"),
        )
        .sort("_order", "_size", "group")
        .drop("_order", "_size")
    )


def compare(
    baseline: SimulationResult, scenario: SimulationResult, confidence: float = 0.95
) -> pl.DataFrame:
    """Baseline and scenario side by side, with the paired difference and its interval."""
    return compare_figures(baseline.per_replication(), scenario.per_replication(), confidence)


def compare_by_hour(
    baseline: SimulationResult,
    scenario: SimulationResult,
    opening_hour: int,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """``compare`` of the figures by hour of arrival (``SimulationResult.by_hour``)."""
    return compare_figures(
        baseline.by_hour(opening_hour), scenario.by_hour(opening_hour), confidence
    )


def compare_figures(
    baseline: pl.DataFrame, scenario: pl.DataFrame, confidence: float = 0.95
) -> pl.DataFrame:
    """Two sides' per-replication figures (``replication, metric, group, value``) side by
    side, with the paired difference and its interval."""
    keys = ["replication", "metric", "group"]
    joined = baseline.join(scenario, on=keys, how="full", coalesce=True, suffix="_s").sort(
        keys
    )  # a join's row order is not fixed; the sums over replications must be
    # A reason that one side never gives is a share of 0 there; any other figure absent on
    # one side (a role the scenario adds) has no paired difference.
    reason = pl.col("metric") == "reason_share"
    joined = joined.with_columns(
        pl.when(reason).then(pl.col(c).fill_null(0.0)).otherwise(pl.col(c)).alias(c)
        for c in ("value", "value_s")
    )
    base = joined.drop_nulls("value").select(*keys, "value")
    what_if = joined.drop_nulls("value_s").select(*keys, pl.col("value_s").alias("value"))
    diff = joined.drop_nulls(["value", "value_s"]).select(
        *keys, (pl.col("value_s") - pl.col("value")).alias("value")
    )
    left = summarise(base, confidence).rename(
        {"mean": "baseline", "low": "baseline_low", "high": "baseline_high"}
    )
    right = summarise(what_if, confidence).rename(
        {"mean": "scenario", "low": "scenario_low", "high": "scenario_high"}
    )
    delta = summarise(diff, confidence, bounded=False).rename(
        {"mean": "difference", "low": "difference_low", "high": "difference_high"}
    )
    out = (
        left.drop("replications")
        .join(right.drop("replications"), on=list(KEYS), how="full", coalesce=True)
        .join(delta.drop("replications"), on=list(KEYS), how="left")
    )
    return _ordered(out, "baseline")


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval of ``values``."""
    n = values.shape[0]
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    half = float(student_t.ppf((1 + confidence) / 2, n - 1)) * float(values.std(ddof=1)) / n**0.5
    return mean, mean - half, mean + half
