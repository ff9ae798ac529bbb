"""Figures computed once per state of the store, then shared by every page and every worker.

A figure is a function of its SQL text and of the store's data, and the data changes
only with an import (each commit adds a log under ``imports/``). So an engine's answers
can be kept while the store is unchanged: ``SharedResults`` wraps an engine, keys each
answer by the SQL and the weeks it reads, and keeps it

- in this process (the last few hundred answers), and
- in the store folder (``results/<state>/<key>.arrow``), where the web app's other
  workers, later processes and restarts find it.

While one process works an answer out, others asking for the same one wait for it
(a lock file per answer) instead of running the same query again: forty directors
opening their dashboards on Monday morning make one set of queries, not forty. The
wrapped engine is opened only when an answer is missing. Answers of an older state are
deleted when a newer state is first written.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

from smartcounter.kit import lock
from smartcounter.kit.recent import Recent
from smartcounter.metrics.engine import Engine
from smartcounter.store.layout import Store

FOLDER = "results"
MEMORY_ANSWERS = 512

# Answers kept in this process, by (store, state, digest).
_memory: Recent[tuple[str, str, str], pa.Table] = Recent(MEMORY_ANSWERS)


def store_state(store: Store) -> str:
    """What the store's data is now: the time of its last commit that brought data in."""
    try:
        return str((store.root / "imports").stat().st_mtime_ns)
    except FileNotFoundError:
        return "0"


class SharedResults:
    """An engine whose answers are kept for as long as the store's data is unchanged."""

    def __init__(self, store: Store, open_engine: Callable[[], Engine], name: str) -> None:
        self.store = store
        self.name = name
        self._open = open_engine
        self._engine: Engine | None = None
        self._state = store_state(store)
        self._folder = store.root / FOLDER / self._state
        self.computed = 0  # answers this object had to work out (the others were kept)

    @property
    def engine(self) -> Engine:
        """The wrapped engine, opened on first need."""
        if self._engine is None:
            self._engine = self._open()
        return self._engine

    def run(self, sql: str, weeks: Sequence[str] | None) -> pa.Table:
        """The answer to ``sql`` over ``weeks``: kept if any process has it, else computed."""
        digest = hashlib.sha256(
            f"{self.name}\n{sql}\n{sorted(weeks) if weeks is not None else None}".encode()
        ).hexdigest()[:40]
        key = (str(self.store.root), self._state, digest)
        kept = _memory.get(key)
        if kept is not None:
            return kept
        path = self._folder / f"{digest}.arrow"
        table = _read(path)
        if table is None:
            try:
                with lock.exclusive_blocking(self._folder / f"{digest}.lock"):
                    table = _read(path)  # made by another while this one waited
                    if table is None:
                        table = self.engine.run(sql, weeks)
                        self.computed += 1
                        self._keep(path, table)
            except OSError:
                # A read-only store: answers are only computed, not kept.
                table = self.engine.run(sql, weeks)
                self.computed += 1
        _memory.put(key, table)
        return table

    def _keep(self, path: Path, table: pa.Table) -> None:
        first = not any(path.parent.glob("*.arrow"))
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        try:
            with ipc.new_file(str(tmp), table.schema) as writer:
                writer.write_table(table)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        if first:
            _drop_other_states(path.parent)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def _read(path: Path) -> pa.Table | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return ipc.open_file(pa.BufferReader(data)).read_all()
    except pa.ArrowInvalid:
        return None  # cut short by a crash: worked out again


def _drop_other_states(current: Path) -> None:
    """Delete the answers of earlier states of the store (best effort)."""
    for other in current.parent.iterdir():
        if other != current and other.is_dir():
            with contextlib.suppress(OSError):
                shutil.rmtree(other)
