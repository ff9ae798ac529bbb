"""The embedded engine: DuckDB over the store's Parquet, as it is on disk."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb

from smartcounter.metrics.engine import views_for
from smartcounter.store.layout import Store
from smartcounter.store.schema import read_schema

if TYPE_CHECKING:
    import pyarrow as pa


class DuckDBEngine:
    """Runs the metrics SQL in an in-process DuckDB."""

    name = "duckdb"

    def __init__(
        self, store: Store, *, threads: int | None = None, memory_limit: str | None = None
    ) -> None:
        self.store = store
        config: dict[str, str | bool | int | float | list[str]] = {}
        if threads is not None:
            config["threads"] = threads
        if memory_limit is not None:
            config["memory_limit"] = memory_limit
        self._con = duckdb.connect(config=config)
        # Figures are printed to people and parsed by scripts: no progress bar on stderr.
        self._con.execute("SET enable_progress_bar = false")
        # A bulletin runs a few dozen queries over the same files: read each footer once.
        self._con.execute("SET parquet_metadata_cache = true")
        self._views: dict[str, tuple[str, ...]] = {}

    def run(self, sql: str, weeks: Sequence[str] | None) -> pa.Table:
        """Run ``sql`` with each table a view over only the files it needs."""
        import pyarrow as pa

        with self._reading(sql, weeks):
            result = self._con.sql(sql)
            table = result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()
        if isinstance(table, pa.RecordBatchReader):
            table = table.read_all()
        return table

    def rows(
        self, sql: str, weeks: Sequence[str] | None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """``run`` as plain Python rows and their column names (no Arrow, no data frame)."""
        with self._reading(sql, weeks):
            result = self._con.execute(sql)  # no relation object: fetched at once
            columns = [d[0] for d in result.description or ()]
            return columns, result.fetchall()

    @contextmanager
    def _reading(self, sql: str, weeks: Sequence[str] | None) -> Iterator[None]:
        """Hold off commits, with each table ``sql`` reads a view over only the files
        ``weeks`` need."""
        with self.store.reading():
            for scan, files, computed in views_for(self.store, sql, weeks):
                name = scan.table.name
                if computed is not None:
                    made = ("computed", computed)  # never equal to a listing of files
                    if self._views.get(name) != made:
                        self._views[name] = made
                        self._con.execute(f"CREATE OR REPLACE VIEW {name} AS {computed}")
                    continue
                listing = tuple(str(f) for f in files)
                if self._views.get(name) == listing:
                    continue  # the view already reads exactly these files
                self._views[name] = listing
                self._con.execute(f"DROP VIEW IF EXISTS {name}")
                if files:
                    listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
                    self._con.execute(
                        f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}], "
                        "hive_partitioning = true)"
                    )
                else:
                    empty = read_schema(scan.table).empty_table()
                    self._con.register(f"_empty_{name}", empty)
                    self._con.execute(f"CREATE VIEW {name} AS SELECT * FROM _empty_{name}")
            yield

    def close(self) -> None:
        self._con.close()
