"""The metrics API that the command line, the bulletin, the web pages and scorecards call.

Each method runs one definition of ``definitions.py`` on the chosen engine and returns a
polars DataFrame with documented columns, sorted, with undefined figures as null.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from smartcounter.metrics import definitions as d
from smartcounter.metrics.engine import Engine
from smartcounter.metrics.period import Period, shift_week, weeks_back

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

# Polars and Arrow load with the first figure asked for as a frame: a script's ``rates
# --format csv`` takes plain rows (``Metrics.rates_rows``) and loads neither.

RATE_COLUMNS = ("migratable", "migrated", "rate", "ci_low", "ci_high")


class UnknownKeyError(ValueError):
    """A grouping key or dimension that the figure does not know."""


def _frame(table: pa.Table) -> pl.DataFrame:
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    # Engines differ in integer widths (Spark's int vs DuckDB's bigint): one width here.
    casts = [
        pl.col(name).cast(pl.Int64)
        for name, dtype in frame.schema.items()
        if dtype.is_integer() and dtype != pl.Int64
    ]
    casts += [
        pl.col(name).cast(pl.String) for name, dtype in frame.schema.items() if dtype == pl.Date
    ]
    return frame.with_columns(casts) if casts else frame


def _check_keys(by: Sequence[str], allowed: Sequence[str]) -> None:
    unknown = [k for k in by if k not in allowed]
    if unknown:
        raise UnknownKeyError(", ".join(unknown))
    if len(set(by)) != len(by):
        raise UnknownKeyError("repeated key")


def _columns(by: Sequence[str]) -> list[str]:
    return [d.KEYS[k].column for k in by]


class Metrics:
    """Every figure of metrics.md over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Metrics:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the engine."""
        self.engine.close()

    def rates(self, by: Sequence[str], period: Period = Period()) -> pl.DataFrame:
        """Migration rate, migratable, migrated, Wilson interval per group of ``by``."""
        _check_keys(by, list(d.KEYS))
        table = self.engine.run(d.rates_sql(period, by), period.files_weeks())
        cols = _columns(by)
        frame = _frame(table).select([*cols, *RATE_COLUMNS])
        return frame.sort(cols, nulls_last=True) if cols else frame

    def rates_rows(
        self, by: Sequence[str], period: Period = Period()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """``rates`` as plain rows (columns, rows in the same order, dates as text): what a
        script's CSV or JSON needs, without a data frame. Engines without plain rows give
        the frame's."""
        _check_keys(by, list(d.KEYS))
        run_rows = getattr(self.engine, "rows", None)
        if run_rows is None:
            frame = self.rates(by, period)
            return list(frame.columns), frame.rows()
        cols = _columns(by)
        order = ", ".join(f"{c} NULLS LAST" for c in cols)
        sql = f"SELECT {', '.join([*cols, *RATE_COLUMNS])} FROM ({d.rates_sql(period, by)}) r" + (
            f" ORDER BY {order}" if order else ""
        )
        columns, rows = run_rows(sql, period.files_weeks())
        if "day" in cols:
            rows = [tuple(v.isoformat() if isinstance(v, date) else v for v in r) for r in rows]
        return columns, rows

    def visit_rates(self, by: Sequence[str], period: Period = Period()) -> pl.DataFrame:
        """Visit-based migration rate per group of ``by``."""
        _check_keys(by, list(d.KEYS))
        table = self.engine.run(d.visit_rates_sql(period, by), period.files_weeks())
        cols = _columns(by)
        frame = _frame(table)
        return frame.sort(cols, nulls_last=True) if cols else frame

    def daily_tickets(self, by: Sequence[str], period: Period = Period()) -> pl.DataFrame:
        """Tickets, open days and daily tickets per group of ``by``."""
        try:
            sql = d.daily_tickets_sql(period, by)
        except KeyError as exc:
            raise UnknownKeyError(str(exc)) from exc
        cols = _columns(by)
        frame = _frame(self.engine.run(sql, period.files_weeks()))
        return frame.sort(cols, nulls_last=True) if cols else frame

    def unmigrated(
        self, dimension: str, period: Period = Period(), by: Sequence[str] = ()
    ) -> pl.DataFrame:
        """Un-migrated business as a Pareto over ``dimension`` (count, share, cumulative share)."""
        if dimension not in d.UNMIGRATED_DIMENSIONS:
            raise UnknownKeyError(dimension)
        _check_keys(by, list(d.KEYS))
        table = self.engine.run(d.unmigrated_sql(period, dimension, by), period.files_weeks())
        cols = _columns(by)
        return _frame(table).sort([*cols, "position"], nulls_last=True)

    def funnel(self, period: Period = Period(), by: Sequence[str] = ()) -> pl.DataFrame:
        """Triage touches, accepted, declined and acceptance rate per stage."""
        cols = self._triage_cols(by)
        frame = _frame(self.engine.run(d.funnel_sql(period, by), period.files_weeks()))
        return frame.sort([*cols, "stage"], nulls_last=True)

    def decline_reasons(self, period: Period = Period(), by: Sequence[str] = ()) -> pl.DataFrame:
        """Decline reasons per triage stage, largest first."""
        cols = self._triage_cols(by)
        frame = _frame(self.engine.run(d.decline_reasons_sql(period, by), period.files_weeks()))
        return frame.sort([*cols, "stage", "position"], nulls_last=True)

    def triage_depth(self, period: Period = Period(), by: Sequence[str] = ()) -> pl.DataFrame:
        """Visits by triage depth (the highest stage that touched them; 0 for none)."""
        try:
            sql = d.triage_depth_sql(period, by)
        except KeyError as exc:
            raise UnknownKeyError(str(exc)) from exc
        cols = _columns(by)
        frame = _frame(self.engine.run(sql, period.files_weeks()))
        return frame.sort([*cols, "depth"], nulls_last=True)

    def ranking(self, week: str) -> pl.DataFrame:
        """Branches of ``week`` ranked in their peer group and network-wide, with how sure."""
        previous = shift_week(week, -1)
        table = self.engine.run(d.ranking_sql(week, previous), [week, previous])
        frame = _frame(table)
        return frame.sort(["network_rank", "branch_id"], nulls_last=True)

    def trend(self, week: str, weeks: int, by: Sequence[str] = ()) -> pl.DataFrame:
        """Rates of the ``weeks`` weeks ending with ``week``, per group of ``by`` and week."""
        span = weeks_back(week, weeks)
        return self.rates([*by, "week"], Period.of_weeks(span))

    def week_over_week(self, week: str, by: Sequence[str] = ("branch",)) -> pl.DataFrame:
        """Rate of ``week`` and of the week before, and the change in percentage points.

        Keys of the period (week, month, quarter, day) are refused: the two weeks are the
        comparison, and no group of one is a group of the other."""
        _check_keys(by, [k for k in d.KEYS if k not in d.PERIOD_KEYS])
        previous = shift_week(week, -1)
        table = self.engine.run(d.week_over_week_sql(week, previous, by), [previous, week])
        cols = _columns(by)
        frame = _frame(table)
        return frame.sort(cols, nulls_last=True) if cols else frame

    def attainment(
        self, target: float, period: Period = Period(), by: Sequence[str] = ()
    ) -> pl.DataFrame:
        """Branches reporting, at ``target``, their share, and the shortfall in transactions."""
        try:
            sql = d.attainment_sql(period, target, by)
        except KeyError as exc:
            raise UnknownKeyError(str(exc)) from exc
        cols = _columns(by)
        frame = _frame(self.engine.run(sql, period.files_weeks()))
        return frame.sort(cols, nulls_last=True) if cols else frame

    @staticmethod
    def _triage_cols(by: Sequence[str]) -> list[str]:
        try:
            d._triage_keys(by)
        except KeyError as exc:
            raise UnknownKeyError(str(exc)) from exc
        return [d.KEYS[k].column for k in by]
