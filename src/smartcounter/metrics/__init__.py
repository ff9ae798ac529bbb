"""Every figure of metrics.md, defined once (``definitions``), run by DuckDB or Spark."""

from __future__ import annotations

from smartcounter.metrics.api import Metrics, UnknownKeyError
from smartcounter.metrics.engine import Engine
from smartcounter.metrics.period import Period, PeriodError
from smartcounter.settings import Settings
from smartcounter.store.layout import Store

__all__ = [
    "Engine",
    "Metrics",
    "Period",
    "PeriodError",
    "UnknownKeyError",
    "open_engine",
    "open_metrics",
]


def open_engine(store: Store, settings: Settings, name: str | None = None) -> Engine:
    """The engine called ``name`` (default: the settings' engine) over ``store``."""
    chosen = name or settings.engine
    if chosen == "spark":
        from smartcounter.metrics.spark_engine import SparkEngine

        return SparkEngine(store, settings.spark)
    if chosen == "duckdb":
        from smartcounter.metrics.duckdb_engine import DuckDBEngine

        return DuckDBEngine(store)
    raise ValueError(f"unknown engine {chosen!r}: duckdb or spark")


def open_metrics(store: Store, settings: Settings, engine: str | None = None) -> Metrics:
    """The metrics API over ``store`` on the chosen engine."""
    return Metrics(open_engine(store, settings, engine))
