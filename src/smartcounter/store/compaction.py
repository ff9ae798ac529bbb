"""Rewrite a partition's many small Parquet files as a few large ones.

Every import adds a file to each partition it touches, so a week imported day by day
(or a week's late rows) ends up spread over many small files, and every query pays for
each one. Compaction reads a partition's small files and stages their rows as one file
with large row groups, in a transaction that also deletes the files it replaces: the
journal moves the new file in and the old ones out together, so a reader (who holds the
commit lock, ``Store.reading``) sees either the old files or the new one, and a process
killed at any point leaves the store as it was or — past the commit point — finished by
the next open. The rows themselves never change: only how they are laid out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from smartcounter.canonical.tables import TABLES, TABLES_BY_NAME, Table
from smartcounter.store import known_ids
from smartcounter.store.journal import Transaction
from smartcounter.store.layout import Store, Writer
from smartcounter.store.schema import WEEK, partition_columns
from smartcounter.store.writing import write_parquet

# A file with this many rows or more is left as it is; smaller ones are merged into
# files of up to this many rows.
TARGET_FILE_ROWS = 4 << 20
# Large row groups: fewer, longer reads for every engine, still small in memory.
COMPACT_ROW_GROUP_ROWS = 1 << 20


@dataclass
class CompactionResult:
    """What one compaction did: partitions rewritten, files before and after."""

    partitions: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    weeks: set[str] = field(default_factory=set)
    indexed_weeks: int = 0

    def add(self, other: CompactionResult) -> None:
        self.partitions += other.partitions
        self.files_before += other.files_before
        self.files_after += other.files_after
        self.rows += other.rows
        self.weeks |= other.weeks
        self.indexed_weeks += other.indexed_weeks

    def as_json(self) -> dict[str, object]:
        return {
            "partitions": self.partitions,
            "files_before": self.files_before,
            "files_after": self.files_after,
            "rows": self.rows,
            "weeks": sorted(self.weeks),
            "indexed_weeks": self.indexed_weeks,
        }


def partition_folders(store: Store, weeks: Iterable[str] | None = None) -> list[str]:
    """The partition folders (relative to the store) of every canonical table, of ``weeks``."""
    wanted = None if weeks is None else set(weeks)
    out: list[str] = []
    for table in TABLES:
        keys = partition_columns(table)
        if not keys:
            continue
        top = store.table_dir(table)
        if not top.exists():
            continue
        pattern = "/".join(f"{k}=*" for k in keys)
        for folder in sorted(top.glob(pattern)):
            week = folder.relative_to(top).parts[0].split("=", 1)[1]
            if folder.is_dir() and (wanted is None or week in wanted):
                out.append(store.relpath(folder))
    return out


def touched_partitions(tx: Transaction) -> list[str]:
    """The partition folders of canonical tables that ``tx`` adds files to or removes from."""
    folders: set[str] = set()
    for rel in [*tx.staged, *tx.removed]:
        parts = rel.split("/")
        if len(parts) < 4 or parts[0] != "tables" or parts[1] not in TABLES_BY_NAME:
            continue
        table = TABLES_BY_NAME[parts[1]]
        depth = len(partition_columns(table))
        if depth and len(parts) == 2 + depth + 1:
            folders.add("/".join(parts[: 2 + depth]))
    return sorted(folders)


def compact_partitions(store: Store, tx: Transaction, folders: Iterable[str]) -> CompactionResult:
    """Stage in ``tx`` the rewrite of each of ``folders`` that holds several small files."""
    result = CompactionResult()
    for rel in sorted(set(folders)):
        result.add(_compact_one(store, tx, rel))
    return result


def compact_after(store: Store, writer: Writer, folders: Iterable[str]) -> CompactionResult:
    """Compact ``folders`` in a transaction of its own, under the writer lock held already."""
    with writer.transaction() as tx:
        return compact_partitions(store, tx, folders)


def compact_store(
    store: Store,
    *,
    weeks: Iterable[str] | None = None,
    wait_seconds: float = 300.0,
) -> CompactionResult:
    """Compact every partition of the store (or of ``weeks``) in one transaction; index
    the ids of weeks written before the store kept an index (``known_ids``)."""
    wanted = None if weeks is None else set(weeks)
    with store.writer("compact", wait_seconds=wait_seconds) as writer, writer.transaction() as tx:
        result = compact_partitions(store, tx, partition_folders(store, wanted))
        for table in TABLES:
            for week in store.weeks(table) if known_ids.needs_index(table) else []:
                if wanted is None or week in wanted:
                    result.indexed_weeks += known_ids.index_week(store, tx, table, week)
        return result


def _compact_one(store: Store, tx: Transaction, rel: str) -> CompactionResult:
    folder = store.root / rel
    parts = rel.split("/")
    table = TABLES_BY_NAME[parts[1]]
    files = sorted(folder.glob("*.parquet"))
    if len(files) < 2:
        return CompactionResult()
    sizes = {f: pq.read_metadata(f).num_rows for f in files}
    small = [f for f in files if sizes[f] < TARGET_FILE_ROWS]
    if len(small) < 2:
        return CompactionResult()
    groups = _groups(small, sizes)
    for group in groups:
        _rewrite(store, tx, table, rel, group)
    week = next(p.split("=", 1)[1] for p in parts if p.startswith(f"{WEEK}="))
    return CompactionResult(
        partitions=1,
        files_before=len(small),
        files_after=len(groups),
        rows=sum(sizes[f] for f in small),
        weeks={week},
    )


def _groups(files: list[Path], sizes: dict[Path, int]) -> list[list[Path]]:
    """Consecutive runs of ``files`` of up to TARGET_FILE_ROWS rows together."""
    groups: list[list[Path]] = [[]]
    rows = 0
    for f in files:
        if groups[-1] and rows + sizes[f] > TARGET_FILE_ROWS:
            groups.append([])
            rows = 0
        groups[-1].append(f)
        rows += sizes[f]
    return groups


def _rewrite(store: Store, tx: Transaction, table: Table, rel: str, files: list[Path]) -> None:
    # Files written by an older version may lack a column added since: read as empty.
    frame = pl.read_parquet(files, hive_partitioning=False, missing_columns="insert")
    target = f"{rel}/part-{tx.txid}-{tx.next_file_number():05d}.parquet"
    write_parquet(frame, table, tx.stage(target), row_group_rows=COMPACT_ROW_GROUP_ROWS)
    for f in files:
        tx.remove(store.relpath(f))
