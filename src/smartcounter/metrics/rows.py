"""The metrics API's frames read as plain values, as every report built on them needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl


def as_int(value: Any) -> int:
    """A count: an absent one is 0."""
    return 0 if value is None else int(value)


def opt_int(value: Any) -> int | None:
    """A whole number that may be absent (a rank of an undefined rate)."""
    return None if value is None else int(value)


def opt_float(value: Any) -> float | None:
    """A fraction that may be absent (an undefined rate)."""
    return None if value is None else float(value)


def rate_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row's migration rate with its counts and 95 % interval."""
    return {
        "migratable": as_int(row.get("migratable")),
        "migrated": as_int(row.get("migrated")),
        "rate": opt_float(row.get("rate")),
        "ci_low": opt_float(row.get("ci_low")),
        "ci_high": opt_float(row.get("ci_high")),
    }


def by_key(frame: pl.DataFrame, column: str) -> dict[Any, dict[str, Any]]:
    """The rows of ``frame`` keyed by one column."""
    return {r[column]: r for r in frame.iter_rows(named=True)}
