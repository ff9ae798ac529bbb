"""Type and check a batch of text rows, column by column, in vectorised expressions.

``check_batch`` returns the typed columns, the derived period columns, and for each row
the first column that fails (``_bad_col``) and why (``_bad_kind``, a message key).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from smartcounter.canonical.catalogue import FALSE_WORDS, REASON_CODES, TRUE_WORDS
from smartcounter.canonical.tables import Column, Kind, OnUnknown, Table
from smartcounter.store.layout import bucket_of
from smartcounter.store.schema import BUCKET, WEEK

BAD_COL = "_bad_col"
BAD_KIND = "_bad_kind"

_INTEGER = r"^[+-]?[0-9]+(\.0+)?$"
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_OFFSET = r"([zZ]|[+-][0-9]{2}:?[0-9]{2})$"
_LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S%.f"
_ZONED_FORMAT = "%Y-%m-%d %H:%M:%S%.f%#z"


@dataclass(frozen=True)
class Known:
    """Ids the rows may refer to: what the store holds plus what this import brought in."""

    branches: frozenset[str]
    business_codes: frozenset[str]
    timezone: str
    buckets: int


def _text(name: str) -> pl.Expr:
    stripped = pl.col(name).str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped).alias(name)


def _timestamp(raw: pl.Expr, timezone: str, zoned: bool) -> pl.Expr:
    # One format covers both spellings of the contract (space or ``T``) and fractions.
    spaced = raw.str.replace(r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})[Tt]", "$1 ")
    local = spaced.str.strptime(pl.Datetime("us"), _LOCAL_FORMAT, strict=False)
    if not zoned:
        return local
    with_offset = (
        spaced.str.strptime(pl.Datetime("us", "UTC"), _ZONED_FORMAT, strict=False)
        .dt.convert_time_zone(timezone)
        .dt.replace_time_zone(None)
    )
    return pl.when(raw.str.contains(_OFFSET)).then(with_offset).otherwise(local)


def _typed(column: Column, raw: pl.Expr, known: Known, zoned: bool) -> tuple[pl.Expr, pl.Expr]:
    """Return (typed value, failure kind or null) for one column."""
    present = raw.is_not_null()
    kind = column.kind
    bad: pl.Expr
    if kind is Kind.TEXT:
        value = raw
        bad = pl.lit(None, dtype=pl.String)
    elif kind is Kind.INTEGER:
        value = raw.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
        bad = pl.when(present & (~raw.str.contains(_INTEGER) | value.is_null())).then(pl.lit("reject.integer"))
        if column.minimum is not None:
            bad = bad.when(present & (value < column.minimum)).then(pl.lit("reject.minimum"))
        if column.maximum is not None:
            bad = bad.when(present & (value > column.maximum)).then(pl.lit("reject.maximum"))
        bad = bad.otherwise(None)
    elif kind is Kind.NUMBER:
        value = raw.cast(pl.Float64, strict=False)
        bad = pl.when(present & (~raw.str.contains(_NUMBER) | value.is_null())).then(pl.lit("reject.number"))
        if column.minimum is not None:
            bad = bad.when(present & (value < column.minimum)).then(pl.lit("reject.minimum"))
        bad = bad.otherwise(None)
    elif kind is Kind.TIMESTAMP:
        value = _timestamp(raw, known.timezone, zoned)
        bad = pl.when(present & value.is_null()).then(pl.lit("reject.timestamp")).otherwise(None)
    elif kind is Kind.BOOLEAN:
        word = raw.str.to_lowercase()
        value = pl.when(word.is_in(list(TRUE_WORDS))).then(True).when(word.is_in(list(FALSE_WORDS))).then(False)
        if column.default is not None:
            value = value.when(~present).then(column.default in TRUE_WORDS)
        value = value.otherwise(None)
        bad = pl.when(present & value.is_null()).then(pl.lit("reject.boolean")).otherwise(None)
    elif kind is Kind.CHOICE:
        value = raw.str.to_lowercase()
        bad = pl.when(present & ~value.is_in(list(column.choices))).then(pl.lit("reject.choice")).otherwise(None)
    elif kind is Kind.BUSINESS_CODE:
        value = raw
        bad = pl.when(present & ~value.is_in(list(known.business_codes))).then(pl.lit("reject.business_code")).otherwise(None)
    elif kind is Kind.REASON_CODE:
        value = raw.str.to_lowercase()
        bad = pl.when(present & ~value.is_in(list(REASON_CODES))).then(pl.lit("reject.reason_code")).otherwise(None)
    else:  # pragma: no cover - every Kind is handled above
        raise AssertionError(kind)

    if column.references == "branches" and column.on_unknown is OnUnknown.REJECT:
        bad = pl.when(present & ~value.is_in(list(known.branches))).then(pl.lit("reject.unknown_branch")).otherwise(bad)
    if column.required:
        bad = pl.when(~present).then(pl.lit("reject.required")).otherwise(bad)
    return value, bad


def check_batch(table: Table, raw: pl.DataFrame, known: Known) -> pl.DataFrame:
    """Type every canonical column of ``raw``; add the derived columns and the first failure."""
    stripped = raw.with_columns(*[_text(c.name) for c in table.columns])
    zoned = any(
        bool(stripped.get_column(c.name).str.contains(_OFFSET).any())
        for c in table.columns
        if c.kind is Kind.TIMESTAMP
    )
    values: list[pl.Expr] = []
    failures: list[tuple[str, pl.Expr]] = []
    for column in table.columns:
        value, bad = _typed(column, pl.col(column.name), known, zoned)
        values.append(value.alias(column.name))
        failures.append((column.name, bad))

    first_col: pl.Expr = pl.lit(None, dtype=pl.String)
    first_kind: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, bad in reversed(failures):
        first_col = pl.when(bad.is_not_null()).then(pl.lit(name)).otherwise(first_col)
        first_kind = pl.when(bad.is_not_null()).then(bad).otherwise(first_kind)

    typed = stripped.with_columns(
        first_col.alias(BAD_COL), first_kind.alias(BAD_KIND), *values
    )
    if table.time_column is not None:
        typed = typed.with_columns(*derived_columns(table, known.buckets))
    return typed


def derived_columns(table: Table, buckets: int) -> list[pl.Expr]:
    """The period columns (and the partition keys) computed from the row's local time."""
    assert table.time_column is not None
    ts = pl.col(table.time_column)
    exprs = [
        ts.dt.date().alias("day"),
        ts.dt.hour().cast(pl.Int32).alias("hour"),
        ts.dt.strftime("%Y-%m").alias("month"),
        pl.format("{}-Q{}", ts.dt.year(), ts.dt.quarter()).alias("quarter"),
        pl.format(
            "{}-W{}", ts.dt.iso_year(), ts.dt.week().cast(pl.String).str.zfill(2)
        ).alias(WEEK),
    ]
    if table.branch_column is not None:
        exprs.append(
            pl.col(table.branch_column)
            .map_batches(lambda s: _buckets(s, buckets), return_dtype=pl.Int32)
            .alias(BUCKET)
        )
    return exprs


def _buckets(branch_ids: pl.Series, buckets: int) -> pl.Series:
    uniques = branch_ids.drop_nulls().unique().to_list()
    mapping = {b: bucket_of(b, buckets) for b in uniques}
    return branch_ids.replace_strict(mapping, default=None, return_dtype=pl.Int32)
