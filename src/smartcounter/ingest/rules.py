"""Type and check a batch of text rows, column by column, in vectorised operations.

``check_batch`` returns the good rows typed (with the derived period columns and the
partition keys) and, for each rejected row, the first column that fails and why (a
message key). Every check runs on whole columns; the slower, more general parsers
run only on the values that the fast path could not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from smartcounter.canonical.catalogue import FALSE_WORDS, REASON_CODES, TRUE_WORDS
from smartcounter.canonical.tables import Column, Kind, OnUnknown, Table
from smartcounter.ingest.sources import REC
from smartcounter.store.layout import bucket_of
from smartcounter.store.schema import DERIVED_COLUMNS, PART, partition_code

COLUMN = "column"
VALUE = "value"
KIND = "kind"

_FAST_FORMATS = {" ": "%Y-%m-%d %H:%M:%S", "T": "%Y-%m-%dT%H:%M:%S"}
# Both forms of the contract, ISO 8601's optional seconds, fraction and offset.
_TIMESTAMP = (
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[Tt ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$"
)
_INTEGER_WITH_ZEROS = r"^([+-]?[0-9]+)\.0*$"
_SHORTEST_TIMESTAMP = len("2018-03-05 09:00")
_BOOLEANS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}


@dataclass(frozen=True)
class Known:
    """Ids the rows may refer to: what the store holds plus what this import brought in."""

    branches: frozenset[str]
    business_codes: frozenset[str]
    timezone: str
    buckets: int
    reason_codes: frozenset[str] = field(default_factory=lambda: frozenset(REASON_CODES))

    @cached_property
    def branch_enum(self) -> pl.Enum:
        """The known branches as an enumeration: reading a value checks it in one pass."""
        return pl.Enum(sorted(self.branches))

    @cached_property
    def branch_buckets(self) -> pl.Series:
        """The bucket of each known branch, in ``branch_enum`` order."""
        codes = [bucket_of(b, self.buckets) for b in sorted(self.branches)]
        return pl.Series(codes, dtype=pl.Int32)

    @cached_property
    def business_series(self) -> pl.Series:
        """The business codes, as a column to check values against."""
        return pl.Series(sorted(self.business_codes), dtype=pl.String)

    @cached_property
    def reason_series(self) -> pl.Series:
        """The reason codes, as a column to check values against."""
        return pl.Series(sorted(self.reason_codes), dtype=pl.String)

    def prime(self) -> None:
        """Build every lookup now, before threads that check batches share them."""
        _ = (self.branch_enum, self.branch_buckets, self.business_series, self.reason_series)


@dataclass
class Checked:
    """A checked batch: the good rows, typed, and one line per rejected row."""

    good: pl.DataFrame
    rejects: pl.DataFrame


@dataclass
class _Column:
    """One column being checked: its typed values and its failures, in priority order.

    ``bad_value`` marks values present in the file that could not be read (their typed
    value is null); every other null is an absent value. None: there are none.
    """

    value: pl.Series
    failures: list[tuple[str, pl.Series]] = field(default_factory=list)
    bad_value: pl.Series | None = None
    bucket: pl.Series | None = None

    @classmethod
    def checked(cls, value: pl.Series, text: pl.Series, failure: str) -> _Column:
        """Typed ``value`` of cleaned ``text``: where text is there but no value, ``failure``."""
        if value.null_count() == text.null_count():
            return cls(value)
        bad = value.is_null() & text.is_not_null()
        column = cls(value, bad_value=bad)
        column.fail(failure, bad)
        return column

    def present(self) -> pl.Series:
        """Where the file holds a value (readable or not)."""
        present = self.value.is_not_null()
        return present if self.bad_value is None else present | self.bad_value

    def fail(self, kind: str, mask: pl.Series) -> None:
        # Null in a mask means "not this failure" (the value was absent).
        if mask.null_count():
            mask = mask.fill_null(False)
        if mask.any():
            self.failures.append((kind, mask))


def arrow_fast_types(table: Table, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Type timestamp columns with Arrow's strict ISO 8601 parser where every value allows.

    Run on the parser's own batches (before they become Polars frames): it is several
    times faster than any other way. A batch with one value Arrow cannot read, or an
    offset, keeps its text and goes through ``parse_timestamps`` instead.
    """
    for column in table.columns:
        if column.kind is not Kind.TIMESTAMP or column.name not in batch.schema.names:
            continue
        i = batch.schema.get_field_index(column.name)
        text = batch.column(i)
        if text.null_count == len(text):
            continue
        # Arrow also reads a bare date or hour; the contract wants minutes at least.
        shortest = pc.min(pc.utf8_length(text)).as_py()
        if shortest is None or shortest < _SHORTEST_TIMESTAMP:
            continue
        try:
            typed = text.cast(pa.timestamp("us"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        batch = batch.set_column(i, column.name, typed)
    return batch


def check_batch(table: Table, raw: pl.DataFrame, known: Known) -> Checked:
    """Type every canonical column of ``raw``; add the derived columns; split off rejects."""
    columns = [(c, _check_column(c, raw.get_column(c.name), known)) for c in table.columns]
    typed = pl.DataFrame([checked.value.alias(c.name) for c, checked in columns]).with_columns(
        raw.get_column(REC)
    )
    failures = [(c.name, kind, mask) for c, checked in columns for kind, mask in checked.failures]
    buckets = [checked.bucket for c, checked in columns if c.name == table.branch_column]
    bucket = buckets[0] if buckets else None
    if failures:
        rejects = _first_failures(raw, failures)
        bad = _bad_mask(failures)
        good = typed.filter(~bad)
        if bucket is not None:
            bucket = bucket.filter(~bad)
    else:
        good = typed
        rejects = empty_rejects()
    if table.time_column is not None:
        good = good.with_columns(derived_columns(table, good, bucket))
    return Checked(good, rejects)


def empty_rejects() -> pl.DataFrame:
    """A rejects frame with no rows."""
    return pl.DataFrame(
        schema={REC: pl.Int64, COLUMN: pl.String, VALUE: pl.String, KIND: pl.String}
    )


def clean_text(text: pl.Series) -> pl.Series:
    """Values without surrounding white space; empty ones become null (absent)."""
    stripped = text.str.strip_chars()
    lengths = stripped.str.len_bytes()
    if lengths.min() == 0:
        stripped = stripped.set(lengths == 0, None)
    return stripped


def _bad_mask(failures: list[tuple[str, str, pl.Series]]) -> pl.Series:
    mask = failures[0][2]
    for _, _, more in failures[1:]:
        mask = mask | more
    return mask


def _first_failures(raw: pl.DataFrame, failures: list[tuple[str, str, pl.Series]]) -> pl.DataFrame:
    """For each failing row: its first failing column (table order) and that failure."""
    bad = _bad_mask(failures)
    index = bad.arg_true()
    rows = raw[index]
    which = pl.coalesce(
        [
            pl.when(mask.gather(index)).then(pl.lit(i, dtype=pl.Int32))
            for i, (_, _, mask) in enumerate(failures)
        ]
    )
    picked = rows.with_columns(which.alias("_which"))
    names = [name for name, _, _ in failures]
    kinds = [kind for _, kind, _ in failures]
    column = pl.col("_which").replace_strict(list(range(len(names))), names, return_dtype=pl.String)
    value = pl.coalesce(
        [
            pl.when(pl.col("_which") == i).then(pl.col(name).cast(pl.String))
            for i, name in enumerate(names)
        ]
    )
    return picked.select(
        REC,
        column.alias(COLUMN),
        value.fill_null("").alias(VALUE),
        pl.col("_which")
        .replace_strict(list(range(len(kinds))), kinds, return_dtype=pl.String)
        .alias(KIND),
    )


def _check_column(column: Column, text: pl.Series, known: Known) -> _Column:
    checked = _typed(column, text, known)
    value = checked.value
    if column.pattern is not None:
        checked.fail(column.failure, ~value.str.contains(column.pattern))
    if column.references == "branches" and column.on_unknown is OnUnknown.REJECT:
        # One lookup both checks the branch and finds its bucket.
        branch = value.cast(known.branch_enum, strict=False)
        if branch.null_count() > value.null_count():
            checked.fail("reject.unknown_branch", value.is_not_null() & branch.is_null())
        checked.bucket = known.branch_buckets.gather(branch.to_physical())
    if column.required and value.null_count():
        # An empty required value is reported as that, not as a bad value.
        missing = ~checked.present()
        if missing.any():
            checked.failures.insert(0, ("reject.required", missing))
    return checked


def _typed(column: Column, text: pl.Series, known: Known) -> _Column:
    kind = column.kind
    if kind is Kind.TEXT:
        return _Column(clean_text(text))
    if kind is Kind.INTEGER:
        return _integer(column, text)
    if kind is Kind.NUMBER:
        return _number(column, text)
    if kind is Kind.TIMESTAMP:
        if isinstance(text.dtype, pl.Datetime):  # typed already (Arrow's parser, a frame)
            if text.dtype.time_zone is not None:
                text = text.dt.convert_time_zone(known.timezone).dt.replace_time_zone(None)
            return _Column(text.cast(pl.Datetime("us")))
        text = clean_text(text)
        value = parse_timestamps(text, known.timezone)
        return _Column.checked(value, text, "reject.timestamp")
    if kind is Kind.BOOLEAN:
        text = clean_text(text)
        value = text.str.to_lowercase().replace_strict(
            _BOOLEANS, default=None, return_dtype=pl.Boolean
        )
        checked = _Column.checked(value, text, "reject.boolean")
        if column.default is not None:
            filled = value.fill_null(_BOOLEANS[column.default])
            if checked.bad_value is not None:
                filled = filled.set(checked.bad_value, None)
            checked.value = filled
        return checked
    if kind is Kind.CHOICE:
        return _one_of(text, pl.Series(column.choices, dtype=pl.String), "reject.choice")
    if kind is Kind.BUSINESS_CODE:
        return _one_of(text, known.business_series, "reject.business_code")
    if kind is Kind.REASON_CODE:
        return _one_of(text, known.reason_series, "reject.reason_code")
    raise AssertionError(kind)  # pragma: no cover - every Kind is handled above


def _one_of(text: pl.Series, allowed: pl.Series, failure: str) -> _Column:
    if text.is_in(allowed.implode()).sum() == text.len() - text.null_count():
        return _Column(text)
    # Padded (`` stm``) or spelled in other case (``Teller``, ``CARD_OPEN``): still the
    # code it names, written as the catalogue writes it.
    text = clean_text(text)
    spellings = {code.lower(): code for code in allowed.to_list()}
    value = text.str.to_lowercase().replace_strict(spellings, default=None, return_dtype=pl.String)
    return _Column.checked(value, text, failure)


def _number(column: Column, text: pl.Series) -> _Column:
    value = text.cast(pl.Float64, strict=False)
    if value.null_count() != text.null_count():
        text = clean_text(text)
        value = text.cast(pl.Float64, strict=False)
    infinite = ~value.is_finite()
    if infinite.any():  # ``inf`` and ``nan`` read as numbers but are none
        value = value.set(infinite, None)
    checked = _Column.checked(value, text, "reject.number")
    _range(column, checked)
    return checked


def _integer(column: Column, text: pl.Series) -> _Column:
    value = text.cast(pl.Int64, strict=False)
    if value.null_count() != text.null_count():
        text = clean_text(text)
        # ``12.0`` (a spreadsheet's way of writing 12) is still a whole number.
        again = text.str.extract(_INTEGER_WITH_ZEROS, 1).cast(pl.Int64, strict=False)
        value = text.cast(pl.Int64, strict=False).fill_null(again)
    checked = _Column.checked(value, text, "reject.integer")
    _range(column, checked)
    return checked


def _range(column: Column, checked: _Column) -> None:
    value = checked.value
    if column.minimum is not None and (value.min() or 0) < column.minimum:  # type: ignore[operator]
        checked.fail("reject.minimum", value < column.minimum)
    if column.maximum is not None and (value.max() or 0) > column.maximum:  # type: ignore[operator]
        checked.fail("reject.maximum", value > column.maximum)


def parse_timestamps(text: pl.Series, timezone: str) -> pl.Series:
    """Read timestamps as local time of ``timezone``; null where a value is not one.

    ``YYYY-MM-DD HH:MM:SS`` and ``YYYY-MM-DDTHH:MM:SS`` take a fast path; anything
    else (a fraction, an offset, no seconds, one-digit fields) the general one, which
    turns a time with an offset into the local time of ``timezone``.
    """
    sample = text.drop_nulls().head(1)
    sep = sample[0][10:11] if sample.len() else " "
    fast_format = _FAST_FORMATS.get(sep, _FAST_FORMATS[" "])
    # The fast parser lets a 60th second and a sign before the year through.
    plain = (text.str.len_bytes() == 19) & (text.str.slice(17, 2) < "60")
    value = text.str.strptime(pl.Datetime("us"), fast_format, strict=False)
    value = value.set(~plain.fill_null(False), None)
    missed = text.is_not_null() & value.is_null()
    if not missed.any():
        return value
    index = missed.arg_true()
    return value.scatter(index, _general_timestamps(text.gather(index), timezone))


def _general_timestamps(text: pl.Series, timezone: str) -> pl.Series:
    parts = text.str.extract_groups(_TIMESTAMP).struct.unnest()
    parts.columns = ["y", "mo", "d", "h", "mi", "s", "frac", "z", "sign", "oh", "om"]
    num = {c: pl.col(c).cast(pl.Int32, strict=False) for c in ("h", "mi", "s", "oh", "om")}
    seconds = num["s"].fill_null(0)
    canonical = pl.format(
        "{}-{}-{} {}:{}:{}",
        pl.col("y"),
        pl.col("mo").str.zfill(2),
        pl.col("d").str.zfill(2),
        pl.col("h").str.zfill(2),
        pl.col("mi"),
        seconds.cast(pl.String).str.zfill(2),
    ).str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    micros = (pl.col("frac").fill_null("0") + "00000").str.slice(0, 6).cast(pl.Int64)
    offset_minutes = (num["oh"].fill_null(0) * 60 + num["om"].fill_null(0)) * pl.when(
        pl.col("sign") == "-"
    ).then(-1).otherwise(1)
    valid = (
        (num["h"] <= 23)
        & (num["mi"] <= 59)
        & (seconds <= 59)
        & (num["oh"].fill_null(0) <= 23)
        & (num["om"].fill_null(0) <= 59)
    )
    naive = canonical + pl.duration(microseconds=micros)
    zoned = pl.col("z").is_not_null() | pl.col("sign").is_not_null()
    instant = (naive - pl.duration(minutes=offset_minutes)).dt.replace_time_zone("UTC")
    local = instant.dt.convert_time_zone(timezone).dt.replace_time_zone(None)
    out = parts.select(
        pl.when(~valid).then(None).when(zoned).then(local).otherwise(naive).alias("ts")
    )
    return out.to_series().cast(pl.Datetime("us"))


def derived_columns(table: Table, good: pl.DataFrame, bucket: pl.Series | None) -> list[pl.Series]:
    """The period columns and the partition code, computed from the row's local time."""
    assert table.time_column is not None
    ts = good.get_column(table.time_column)
    day = ts.dt.date().alias("day")
    # Period labels depend on the day only: compute them once per distinct day, join.
    labels = (
        day.unique()
        .to_frame()
        .with_columns(
            pl.col("day").dt.strftime("%Y-%m").alias("month"),
            pl.format("{}-Q{}", pl.col("day").dt.year(), pl.col("day").dt.quarter()).alias(
                "quarter"
            ),
            (pl.col("day").dt.iso_year() * 100 + pl.col("day").dt.week())
            .cast(pl.Int32)
            .alias("_week_no"),
        )
    )
    periods = day.to_frame().join(labels, on="day", how="left", nulls_equal=True)
    out = [
        day,
        ts.dt.hour().cast(pl.Int32).alias("hour"),
        periods.get_column("month"),
        periods.get_column("quarter"),
    ]
    assert [s.name for s in out] == [name for name, _ in DERIVED_COLUMNS]
    if bucket is None:
        bucket = pl.repeat(0, good.height, dtype=pl.Int32, eager=True)
    out.append(partition_code(periods.get_column("_week_no"), bucket).alias(PART))
    return out
