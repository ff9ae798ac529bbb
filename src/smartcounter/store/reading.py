"""Read whole tables of the store into memory (the small reference tables)."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from smartcounter.canonical.tables import TABLES_BY_NAME
from smartcounter.store.layout import Store
from smartcounter.store.schema import file_schema


def read_table(store: Store, name: str) -> pl.DataFrame:
    """All rows of table ``name`` (canonical and derived columns), empty if none."""
    table = TABLES_BY_NAME[name]
    files = store.files(table)
    frame = pl.from_arrow(file_schema(table).empty_table())
    assert isinstance(frame, pl.DataFrame)
    if files:
        # Files written before a column was added to the table (staff's ``email``) lack
        # it: read as empty, so that old and new files read as one table.
        frame = pl.read_parquet(
            files, hive_partitioning=False, schema=frame.schema, missing_columns="insert"
        )
    return frame


def empty_arrow(name: str) -> pa.Table:
    """An empty table with the stored schema of ``name``."""
    return file_schema(TABLES_BY_NAME[name]).empty_table()
