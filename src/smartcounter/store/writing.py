"""Write a table's rows as Parquet files staged in a transaction, partition by partition.

Rows arrive in batches, in any order of weeks and branches; each partition's rows are
buffered until there are enough for a file (or the buffers as a whole grow too large),
then encoded in background threads (``WRITERS``, a file always on the same one) while the next
batches are checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from smartcounter.canonical.tables import Kind, Table
from smartcounter.kit.background import SerialWorker
from smartcounter.kit.durable import fsync_file
from smartcounter.store.journal import Transaction
from smartcounter.store.schema import PART, file_schema, partition_columns, partition_of

ROW_GROUP_ROWS = 128 * 1024
DATA_PAGE_BYTES = 4 << 20
FLUSH_ROWS = 1 << 19
# Files open at once while a table is written (each holds a descriptor).
OPEN_FILES = 256
# Threads encoding Parquet: with one, the import waited for it a fifth of its time.
WRITERS = 2

# Dictionary encoding pays off on columns with few distinct values and only costs time
# on ids; statistics serve pruning by time and branch.
_DICTIONARY_KINDS = {Kind.CHOICE, Kind.BUSINESS_CODE, Kind.REASON_CODE, Kind.BOOLEAN}
_DERIVED_DICTIONARY = ("day", "hour", "month", "quarter")


def dictionary_columns(table: Table) -> list[str]:
    """Columns of ``table`` worth dictionary-encoding in Parquet."""
    names = [
        c.name
        for c in table.columns
        if c.kind in _DICTIONARY_KINDS
        or c.name == table.branch_column
        or (c.references in ("branches", "staff"))
    ]
    if table.time_column is not None:
        names += list(_DERIVED_DICTIONARY)
    return names


def statistics_columns(table: Table) -> list[str]:
    """Columns of ``table`` whose min/max statistics Parquet keeps."""
    names = [c.name for c in table.columns if c.kind is Kind.TIMESTAMP]
    if table.branch_column is not None:
        names.append(table.branch_column)
    if table.time_column is not None:
        names.append("day")
    if table.time_column is None:
        names += list(table.id_columns)
    return names


def plain_encodings(table: Table) -> dict[str, str]:
    """Encodings for columns without a dictionary: times as deltas (rows come about in
    time order), numbers split by byte; both smaller and cheaper to write than plain."""
    out: dict[str, str] = {}
    for column in table.columns:
        if column.kind is Kind.TIMESTAMP:
            out[column.name] = "DELTA_BINARY_PACKED"
        elif column.kind is Kind.NUMBER:
            out[column.name] = "BYTE_STREAM_SPLIT"
    return out


def _to_arrow(frame: pl.DataFrame, table: Table) -> pa.Table:
    """Rows of ``table`` as Arrow, in exactly the store's file schema (strings as Polars
    hands them over: Parquet stores every kind of Arrow string alike)."""
    schema = file_schema(table)
    arrow = frame.select(schema.names).to_arrow(compat_level=pl.CompatLevel.newest())
    for i, wanted in enumerate(schema):
        have = arrow.schema.field(i).type
        if have != wanted.type and not (
            pa.types.is_string(wanted.type)
            and (pa.types.is_string_view(have) or pa.types.is_large_string(have))
        ):
            arrow = arrow.set_column(i, wanted.name, arrow.column(i).cast(wanted.type))
    return arrow


def _writer_options(table: Table) -> dict[str, Any]:
    schema = file_schema(table)
    dictionary = dictionary_columns(table)
    return {
        # Dictionary-encoded columns are small already; compress the rest with Snappy:
        # Parquet's common codec, a third less work to write than zstd for a third more
        # bytes (measured on the synthetic network's transactions).
        "compression": {n: "none" if n in dictionary else "snappy" for n in schema.names},
        "data_page_size": DATA_PAGE_BYTES,
        "use_dictionary": dictionary,
        "column_encoding": plain_encodings(table),
        "write_statistics": statistics_columns(table),
        "store_schema": False,
    }


def write_parquet(
    frame: pl.DataFrame, table: Table, target: Path, *, row_group_rows: int = ROW_GROUP_ROWS
) -> None:
    """Write rows of ``table`` with exactly the store's file schema."""
    pq.write_table(
        _to_arrow(frame, table), target, row_group_size=row_group_rows, **_writer_options(table)
    )
    # Flushed here, in the writer's thread, so that the commit has little left to wait for.
    fsync_file(target)


class _OpenFile:
    """A staged Parquet file still being written, a row group at a time."""

    def __init__(self, table: Table, path: Path, worker: int) -> None:
        self.table = table
        self.path = path
        self.worker = worker  # every job of one file runs on one writer thread, in order
        self.writer: pq.ParquetWriter | None = None

    def append(self, frame: pl.DataFrame) -> None:
        arrow = _to_arrow(frame, self.table)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, arrow.schema, **_writer_options(self.table))
        elif arrow.schema != self.writer.schema:
            arrow = arrow.cast(self.writer.schema)
        self.writer.write_table(arrow, row_group_size=ROW_GROUP_ROWS)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            fsync_file(self.path)


def split_by_partition(rows: pl.DataFrame) -> dict[int, pl.DataFrame]:
    """Rows (file columns and ``_part``) by partition code, without ``_part``."""
    parts = rows.partition_by(PART, as_dict=True, include_key=False)
    return {int(str(code)): part_rows for (code,), part_rows in parts.items()}


class PartitionedWriter:
    """Stage the rows of one partitioned table as ``part-<txid>-<n>.parquet`` files.

    Batches are buffered as they come; every ``flush_rows`` rows the buffer is split by
    partition in one pass (each partition's rows then lie in one piece, which Parquet
    encodes fastest). A partition with ``group_rows`` rows waiting (or every one, when the
    buffers as a whole grow too large) is appended to its file as a row group: each
    partition gets one file per import, which later imports' compaction need not touch.
    At most ``open_files`` files are open at once; past that the longest idle is closed,
    and its partition's later rows start another file.
    """

    def __init__(
        self,
        tx: Transaction,
        table: Table,
        *,
        flush_rows: int = FLUSH_ROWS,
        group_rows: int = ROW_GROUP_ROWS,
        open_files: int = OPEN_FILES,
    ) -> None:
        self.tx = tx
        self.table = table
        self.keys = list(partition_columns(table))
        assert self.keys, f"{table.name} is not partitioned"
        self.flush_rows = flush_rows
        self.group_rows = group_rows
        self.open_files = open_files
        self._batches: list[pl.DataFrame] = []
        self._batched = 0
        self._waiting: dict[int, list[pl.DataFrame]] = {}
        self._open: dict[int, _OpenFile] = {}
        self._workers: list[SerialWorker[None]] = [
            SerialWorker(max_pending=2) for _ in range(WRITERS)
        ]
        self._turn = 0
        self.files: dict[int, list[str]] = {}

    # -- naming ---------------------------------------------------------------------------
    def folder(self, part: int) -> str:
        """The folder of partition code ``part``, relative to the store."""
        values = partition_of(part, self.table)
        inner = "/".join(f"{k}={v}" for k, v in zip(self.keys, values, strict=True))
        return f"tables/{self.table.name}/{inner}"

    def _next_path(self, part: int) -> tuple[str, Path]:
        # Names follow the order files are written in, so one input gives one layout.
        n = self.tx.next_file_number()
        rel = f"{self.folder(part)}/part-{self.tx.txid}-{n:05d}.parquet"
        self.files.setdefault(part, []).append(rel)
        return rel, self.tx.stage(rel)

    # -- writing --------------------------------------------------------------------------
    def write(self, frame: pl.DataFrame) -> None:
        """Add rows (file columns and the partition code ``_part``) to the buffer."""
        if frame.is_empty():
            return
        self._batches.append(frame)
        self._batched += frame.height
        if self._batched >= self.flush_rows:
            self._flush(everything=False)

    def write_parts(self, parts: dict[int, pl.DataFrame]) -> None:
        """Add rows split by partition already (partition code → rows without ``_part``):
        the import splits each batch on the threads that check them."""
        for part, rows in parts.items():
            if rows.height:
                self._waiting.setdefault(part, []).append(rows)
                self._batched += rows.height
        if self._batched >= self.flush_rows:
            self._flush(everything=False)

    def _next_worker(self) -> int:
        self._turn = (self._turn + 1) % len(self._workers)
        return self._turn

    def write_frame(self, part: int, frame: pl.DataFrame) -> str:
        """Stage ``frame`` (file columns only) as one new file of partition ``part``."""
        rel, path = self._next_path(part)
        self._workers[self._next_worker()].submit(lambda: write_parquet(frame, self.table, path))
        return rel

    def _append(self, part: int, pieces: list[pl.DataFrame]) -> None:
        """Append ``pieces`` as one row group to the open file of ``part`` (opening one if
        need be); they are put together in one piece on the writer's thread."""
        opened = self._open.pop(part, None)  # re-inserted last: the most recently used
        if opened is None:
            if len(self._open) >= self.open_files:
                idle = self._open.pop(next(iter(self._open)))
                self._workers[idle.worker].submit(idle.close)
            _, path = self._next_path(part)
            opened = _OpenFile(self.table, path, self._next_worker())
        self._open[part] = opened

        def append() -> None:
            # In one piece: Parquet encodes it fastest.
            opened.append(pieces[0] if len(pieces) == 1 else pl.concat(pieces, rechunk=True))

        self._workers[opened.worker].submit(append)

    def _flush(self, *, everything: bool) -> None:
        self._batched = 0
        if self._batches:
            rows = pl.concat(self._batches, rechunk=False)
            self._batches.clear()
            for part, part_rows in split_by_partition(rows).items():
                self._waiting.setdefault(part, []).append(part_rows)
            del rows
        waiting = sum(f.height for pieces in self._waiting.values() for f in pieces)
        for part in sorted(self._waiting):
            pieces = self._waiting[part]
            size = sum(f.height for f in pieces)
            if everything or size >= self.group_rows or waiting > self.flush_rows:
                del self._waiting[part]
                self._append(part, pieces)

    def finish(self) -> None:
        """Write every buffered row, close every file and wait until all are on disk."""
        self._flush(everything=True)
        for opened in self._open.values():
            self._workers[opened.worker].submit(opened.close)
        self._open.clear()
        for worker in self._workers:
            worker.wait()

    def close(self) -> None:
        """Stop the background writers (after an error, the transaction is discarded)."""
        for worker in self._workers:
            worker.close()
