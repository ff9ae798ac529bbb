"""Which weeks may hold an id: a small index of id hashes per event table and week.

Ids are unique per table across all weeks (data-format.md), so a new row must be compared
with every stored row of its id, wherever its week. Reading every stored id for that
would make a Monday import cost more each week of history; instead each import writes
the 64-bit hashes of the ids it stores, per week, beside the tables:

```
index/<hash scheme>/<table>/week=2018-W10/<txid>.npy     the ids this import stored there
index/<hash scheme>/<table>/week=2018-W10/complete       every stored id of the week is listed
```
A week is looked at (its rows read) only where a hash matches, so a hash collision costs
a read, never a wrong answer. A week without ``complete`` — data written by an older
version, or hashes of an older library (the scheme names it) — is always looked at, until
``smartcounter store compact`` indexes it. The files only ever grow: a row replaced or
moved leaves its hash behind, which again costs a read at most.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl

from smartcounter.canonical.tables import Table
from smartcounter.store.journal import Transaction
from smartcounter.store.layout import Store
from smartcounter.store.schema import WEEK

INDEX_DIR = "index"
COMPLETE = "complete"
# Polars' hash is stable within one version only: an index of another version is ignored.
SCHEME = f"polars-{pl.__version__}"
_NONE = np.zeros(0, dtype=np.uint64)


def id_hash(table: Table) -> pl.Expr:
    """The 64-bit hash of a row's id, as the index holds it."""
    ids = list(table.id_columns)
    return pl.col(ids[0]).hash() if len(ids) == 1 else pl.struct(ids).hash()


def needs_index(table: Table) -> bool:
    """Whether rows with one id can lie in different weeks (not if the id holds the time)."""
    return table.time_column is not None and table.time_column not in table.id_columns


def week_dir(root: Path, table: Table, week: str) -> Path:
    return root / INDEX_DIR / SCHEME / table.name / f"{WEEK}={week}"


def is_complete(root: Path, table: Table, week: str) -> bool:
    return (week_dir(root, table, week) / COMPLETE).exists()


def stage_week(
    store: Store, tx: Transaction, table: Table, week: str, hashes: np.ndarray, *, fresh: bool
) -> None:
    """Stage the hashes of the ids ``tx`` stores in ``week``; ``fresh``: the week held no
    rows before, so with these it is listed completely."""
    folder = week_dir(store.root, table, week)
    rel = store.relpath(folder)
    np.save(tx.stage(f"{rel}/{tx.txid}.npy"), np.ascontiguousarray(hashes, dtype=np.uint64))
    if fresh and not (folder / COMPLETE).exists():
        tx.stage(f"{rel}/{COMPLETE}").write_bytes(b"")


def weeks_to_read(store: Store, table: Table, wanted: pl.Series, near: Iterable[str]) -> list[str]:
    """The weeks whose rows may hold one of the ids hashed in ``wanted``.

    ``near`` (the weeks the new rows fall in) are always read; an id that carries its
    own time can be in no other week.
    """
    near = set(near)
    stored = set(store.weeks(table))
    out = stored & near
    if not needs_index(table):
        return sorted(out)
    listed: list[np.ndarray] = []
    indexed: list[str] = []
    for week in sorted(stored - near):
        if not is_complete(store.root, table, week):
            out.add(week)
            continue
        files = sorted(week_dir(store.root, table, week).glob("*.npy"))
        listed.append(np.concatenate([np.load(f) for f in files]) if files else _NONE)
        indexed.append(week)
    if listed:
        # One pass over every listed hash against a set of the wanted ones; only on a hit
        # (rare: a repeat or a collision) is it worked out which weeks hold it.
        hit = pl.Series(np.concatenate(listed)).is_in(wanted.cast(pl.UInt64).unique().implode())
        if hit.any():
            ends = np.cumsum([a.size for a in listed])
            at = np.searchsorted(ends, hit.arg_true().to_numpy(), side="right")
            out.update(indexed[int(i)] for i in np.unique(at))
    return sorted(out)


def index_week(store: Store, tx: Transaction, table: Table, week: str) -> bool:
    """Stage a complete index of ``week`` from its stored rows; False if there was one."""
    if not needs_index(table) or is_complete(store.root, table, week):
        return False
    files = store.files(table, [week])
    if not files:
        return False
    hashes = (
        pl.scan_parquet(files, hive_partitioning=False)
        .select(id_hash(table).alias("h"))
        .collect()
        .get_column("h")
        .to_numpy()
    )
    folder = store.relpath(week_dir(store.root, table, week))
    for old in sorted((store.root / folder).glob("*.npy")):
        tx.remove(store.relpath(old))
    np.save(tx.stage(f"{folder}/{tx.txid}.npy"), hashes.astype(np.uint64))
    tx.stage(f"{folder}/{COMPLETE}").write_bytes(b"")
    return True


def stored_hashes(store: Store, table: Table, weeks: Iterable[str]) -> np.ndarray:
    """The id hashes of every row stored in ``weeks``: from the index where it is complete,
    else from the rows."""
    arrays: list[np.ndarray] = []
    unlisted: list[str] = []
    for week in sorted(set(weeks)):
        if needs_index(table) and is_complete(store.root, table, week):
            arrays += [np.load(f) for f in sorted(week_dir(store.root, table, week).glob("*.npy"))]
        else:
            unlisted.append(week)
    files = store.files(table, unlisted) if unlisted else []
    if files:
        rows = pl.scan_parquet(files, hive_partitioning=False).select(id_hash(table)).collect()
        arrays.append(rows.to_series().to_numpy())
    if not arrays:
        return np.zeros(0, dtype=np.uint64)
    return np.concatenate(arrays).astype(np.uint64, copy=False)
