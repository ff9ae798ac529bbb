"""The store's Parquet schemas: canonical columns, typed, plus the derived period columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartcounter.canonical.tables import Kind, Table

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

# Arrow loads when a schema is asked for: opening a store to query it (``rates``) needs
# no data-frame library.

SCHEMA_VERSION = 1

# Derived at import from the row's local time, so that every engine groups by the same
# values and none has to reimplement ISO weeks (the engines disagree on them); with the
# Arrow type each is stored as.
DERIVED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("day", "date32"),
    ("hour", "int32"),
    ("month", "string"),
    ("quarter", "string"),
)
WEEK = "week"
BUCKET = "bucket"
# While rows are written, one integer names a row's partition: ISO year and week
# (201810) times PART_BUCKETS plus the branch bucket.
PART = "_part"
PART_BUCKETS = 1024

_ARROW_TYPES: dict[Kind, str] = {
    Kind.TEXT: "string",
    Kind.INTEGER: "int64",
    Kind.NUMBER: "float64",
    Kind.TIMESTAMP: "timestamp[us]",
    Kind.BOOLEAN: "bool",
    Kind.CHOICE: "string",
    Kind.BUSINESS_CODE: "string",
    Kind.REASON_CODE: "string",
}


def _arrow(name: str) -> pa.DataType:
    import pyarrow as pa

    if name == "timestamp[us]":
        return pa.timestamp("us")
    return pa.type_for_alias(name)


def arrow_type(kind: Kind) -> pa.DataType:
    """The Arrow type a column of ``kind`` is stored as."""
    return _arrow(_ARROW_TYPES[kind])


def file_schema(table: Table) -> pa.Schema:
    """Columns inside one Parquet file of ``table`` (partition columns are in the path)."""
    import pyarrow as pa

    fields = [pa.field(c.name, arrow_type(c.kind)) for c in table.columns]
    if table.time_column is not None:
        fields += [pa.field(name, _arrow(typ)) for name, typ in DERIVED_COLUMNS]
    return pa.schema(fields)


def partition_columns(table: Table) -> tuple[str, ...]:
    """Hive partition keys of ``table``: the ISO week, then a branch bucket where there is one."""
    if table.time_column is None:
        return ()
    if table.branch_column is None:
        return (WEEK,)
    return (WEEK, BUCKET)


def read_schema(table: Table) -> pa.Schema:
    """Columns a reader sees: the file's plus the partition keys."""
    import pyarrow as pa

    schema = file_schema(table)
    for key in partition_columns(table):
        schema = schema.append(pa.field(key, pa.string() if key == WEEK else pa.int32()))
    return schema


def partition_code(week_no: pl.Series, bucket: pl.Series) -> pl.Series:
    """The partition code of rows in ISO week ``week_no`` (201810) and branch ``bucket``."""
    return week_no * PART_BUCKETS + bucket


def partition_of(code: int, table: Table) -> tuple[str, ...]:
    """The Hive partition values (``2018-W10``, bucket) of partition ``code``."""
    week_no, bucket = divmod(int(code), PART_BUCKETS)
    week = f"{week_no // 100}-W{week_no % 100:02d}"
    return (week, str(bucket)) if BUCKET in partition_columns(table) else (week,)
