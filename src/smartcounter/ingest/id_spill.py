"""The ids of an event table's rows, kept on disk while the table is imported.

Reconciling an import needs, for every row, a compact key (the id's hash, the content's
hash, where the row came from); the ids themselves only for the few rows whose hash
repeats, or that may already be stored. Held in memory, the ids of 9 million
transactions took about 350 MB at the import's peak. They go to an Arrow file in the
import's scratch folder instead, batch after batch in the keys' order, and come back
by position (``gather``): from a memory map, so only the pages of the rows asked for
are read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc


class IdSpill:
    """Ids written in order; read back by their place among all rows written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._writer: ipc.RecordBatchFileWriter | None = None
        self._sink: pa.OSFile | None = None
        self._schema: pl.Schema | None = None
        self._closed = False

    def add(self, ids: pl.DataFrame) -> None:
        """Append the ids of the next ``ids.height`` rows."""
        if self._schema is None:
            self._schema = ids.schema
        if ids.is_empty():
            return
        # Strings as offsets and bytes (not Polars' views, which Arrow cannot ``take``).
        table = ids.to_arrow(compat_level=pl.CompatLevel.oldest())
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._sink = pa.OSFile(str(self.path), "wb")
            self._writer = ipc.new_file(self._sink, table.schema)
        self._writer.write_table(table)
        self.rows += ids.height

    @property
    def schema(self) -> pl.Schema:
        """The ids' columns and types (none before the first ``add``)."""
        return self._schema or pl.Schema()

    def close(self) -> None:
        """Finish the file (idempotent); it can be read from then on."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._writer.close()
        if self._sink is not None:
            self._sink.close()

    def gather(self, positions: pl.Series) -> pl.DataFrame:
        """The ids of the rows at ``positions``, in that order."""
        assert self._closed, "the spill is read once it is closed"
        schema = self.schema
        if positions.is_empty() or self._writer is None:
            return pl.DataFrame(schema=schema)
        # Not closed here: the rows taken may still point into the map, which Arrow
        # keeps until the last of them is gone.
        table = ipc.open_file(pa.memory_map(str(self.path))).read_all()
        at = positions.cast(pl.UInt64).to_numpy()
        if at.size == self.rows and at[0] == 0 and bool(np.all(np.diff(at) == 1)):
            taken = table  # every id, in order: no need to pick them out
        else:
            taken = table.take(pa.array(at, pa.uint64()))
        frame = pl.from_arrow(taken.combine_chunks())
        assert isinstance(frame, pl.DataFrame)
        return frame.cast(schema)

    def attach(self, rows: pl.DataFrame, position: str) -> pl.DataFrame:
        """``rows`` with their ids (looked up by their ``position`` column) in front."""
        ids = self.gather(rows.get_column(position))
        return pl.concat([ids, rows], how="horizontal")
