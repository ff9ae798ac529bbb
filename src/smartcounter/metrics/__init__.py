"""Every figure of metrics.md, defined once (``definitions``), run by DuckDB or Spark.

The names below load on first use (PEP 562): importing a light part of the package
(``metrics.period``, ``metrics.definitions``) does not load Arrow, Polars or an engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_LAZY = {
    "Engine": "smartcounter.metrics.engine",
    "Metrics": "smartcounter.metrics.api",
    "UnknownKeyError": "smartcounter.metrics.api",
    "Period": "smartcounter.metrics.period",
    "PeriodError": "smartcounter.metrics.period",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def open_engine(store: Store, settings: Settings, name: str | None = None) -> Engine:
    """The engine called ``name`` (default: the settings' engine) over ``store``.

    ``settings.spark`` says where Spark runs (``local[*]``, ``spark://host:7077``, ``yarn``):
    the command line's ``--engine``/``--spark-master`` and the web application's settings
    both arrive here.
    """
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
    from smartcounter.metrics.api import Metrics

    return Metrics(open_engine(store, settings, engine))
