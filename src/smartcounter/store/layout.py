"""The store folder: where each table's Parquet lives, its layout version, and its locks.

```
<store>/
  smartcounter-store.json          layout, schema version, buckets, time zone (checked on open)
  tables/branches/part-<txid>.parquet                    reference tables: one file each
  tables/transactions/week=2018-W10/bucket=3/part-*.parquet   event tables: by ISO week, branch bucket
  tables/triage/week=2018-W10/part-*.parquet              (triage rows carry no branch)
  imports/<txid>.json              what each import brought in
  rejects/<txid>.csv               rows an import rejected, with file, line, column and reason
  index/<scheme>/<table>/week=…/   hashes of the ids stored each week (known_ids.py)
  journal/, staging/, locks/       the commit machinery (journal.py)
```
DuckDB (``read_parquet(..., hive_partitioning=true)``) and Spark (``basePath``) read
``tables/`` as it is. Each import writes one file per partition it touches, then
compacts the partitions it left with several (compaction.py).
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from smartcounter.canonical.tables import TABLES, Table
from smartcounter.kit import lock
from smartcounter.kit.durable import fsync_dir, fsync_file
from smartcounter.store.journal import (
    JOURNAL_DIR,
    Transaction,
    finish_journals,
    pending_journals,
    recover,
)
from smartcounter.store.schema import BUCKET, SCHEMA_VERSION, WEEK, partition_columns

META_FILE = "smartcounter-store.json"
FORMAT_NAME = "smartcounter-store"
DEFAULT_BUCKETS = 8


class StoreError(Exception):
    """The store cannot be used as asked; the message says why and what to do."""


class StoreNotFoundError(StoreError):
    """No store at the given folder."""


class StoreExistsError(StoreError):
    """A store is already at the folder where one was to be created."""


class StoreBusyError(StoreError):
    """Another process is writing to the store."""


@dataclass(frozen=True)
class StoreMeta:
    """What ``smartcounter-store.json`` records about the store."""

    schema_version: int
    buckets: int
    timezone: str

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT_NAME,
            "schema_version": self.schema_version,
            "buckets": self.buckets,
            "timezone": self.timezone,
            "partitioning": {t.name: list(partition_columns(t)) for t in TABLES},
        }
        return json.dumps(body, indent=2, ensure_ascii=False).encode("utf-8")


def bucket_of(branch_id: str, buckets: int) -> int:
    """The branch bucket of ``branch_id``: CRC-32 of its UTF-8 bytes, modulo ``buckets``."""
    return zlib.crc32(branch_id.encode("utf-8")) % buckets


class Store:
    """An opened store folder."""

    def __init__(self, root: Path, meta: StoreMeta) -> None:
        self.root = root
        self.meta = meta

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path) -> Store:
        """Open an existing store; raise StoreNotFoundError or StoreError if unusable."""
        meta_path = root / META_FILE
        if not meta_path.exists():
            raise StoreNotFoundError(str(root))
        try:
            body = json.loads(meta_path.read_text("utf-8"))
        except ValueError as exc:
            raise StoreError(f"{meta_path}: not a store description ({exc})") from exc
        if body.get("format") != FORMAT_NAME:
            raise StoreError(f"{meta_path}: not a smartcounter store")
        version = int(body.get("schema_version", 0))
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{meta_path}: schema version {version}, this program reads {SCHEMA_VERSION}"
            )
        store = cls(root, StoreMeta(version, int(body["buckets"]), str(body["timezone"])))
        store._recover_if_idle()
        return store

    @classmethod
    def create(cls, root: Path, *, timezone: str, buckets: int = DEFAULT_BUCKETS) -> Store:
        """Create an empty store at ``root`` (the folder may exist but must hold no store)."""
        if (root / META_FILE).exists():
            raise StoreExistsError(f"{root}: a store exists already")
        root.mkdir(parents=True, exist_ok=True)
        meta = StoreMeta(SCHEMA_VERSION, buckets, timezone)
        # Linked into place only if no other process created the store meanwhile.
        tmp = root / f".{META_FILE}.new-{os.getpid()}"
        tmp.write_bytes(meta.to_json())
        fsync_file(tmp)
        try:
            os.link(tmp, root / META_FILE)
        except FileExistsError as exc:
            raise StoreExistsError(f"{root}: a store exists already") from exc
        finally:
            tmp.unlink()
        fsync_dir(root)
        return cls(root, meta)

    @classmethod
    def open_or_create(cls, root: Path, *, timezone: str) -> Store:
        """Open the store at ``root``, creating it when there is none."""
        if not (root / META_FILE).exists():
            try:
                return cls.create(root, timezone=timezone)
            except StoreExistsError:
                pass  # another process created it a moment ago: use theirs
        return cls.open(root)

    # -- locking and transactions ---------------------------------------------------
    @property
    def _write_lock(self) -> Path:
        return self.root / "locks" / "write.lock"

    @property
    def _commit_lock(self) -> Path:
        return self.root / "locks" / "commit.lock"

    def _recover_if_idle(self) -> None:
        """Finish a crashed writer's commit, if no writer is running now."""
        if not (self.root / JOURNAL_DIR).exists() and not (self.root / "staging").exists():
            return
        try:
            with (
                lock.exclusive(self._write_lock, what="recover", wait_seconds=0),
                lock.exclusive_blocking(self._commit_lock),
            ):
                recover(self.root)
        except lock.LockBusyError:
            pass  # a writer is active; it recovers before it writes

    @contextmanager
    def writer(
        self,
        what: str,
        *,
        wait_seconds: float = 300.0,
        on_wait: Callable[[str], None] | None = None,
    ) -> Iterator[Writer]:
        """Hold the store's writer lock for one or more transactions in a row."""
        try:
            with lock.exclusive(
                self._write_lock, what=what, wait_seconds=wait_seconds, on_wait=on_wait
            ):
                with lock.exclusive_blocking(self._commit_lock):
                    recover(self.root)
                yield Writer(self)
        except lock.LockBusyError as exc:
            raise StoreBusyError(exc.holder) from exc

    @contextmanager
    def writing(
        self,
        what: str,
        *,
        wait_seconds: float = 300.0,
        on_wait: Callable[[str], None] | None = None,
    ) -> Iterator[Transaction]:
        """Run one change under the store's writer lock; commit it only if the block succeeds."""
        with (
            self.writer(what, wait_seconds=wait_seconds, on_wait=on_wait) as writer,
            writer.transaction() as tx,
        ):
            yield tx

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold off commits while a query reads the files.

        A writer killed while applying its journal leaves the files half-changed until
        someone finishes the journal; a reader does that first rather than read them so.
        """
        while True:
            with lock.shared(self._commit_lock):
                if not pending_journals(self.root):
                    yield
                    return
            with lock.exclusive_blocking(self._commit_lock):
                finish_journals(self.root)

    # -- paths -------------------------------------------------------------------------
    def table_dir(self, table: Table | str) -> Path:
        name = table if isinstance(table, str) else table.name
        return self.root / "tables" / name

    def relpath(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def bucket_of(self, branch_id: str) -> int:
        return bucket_of(branch_id, self.meta.buckets)

    def files(self, table: Table, weeks: Iterable[str] | None = None) -> list[Path]:
        """The committed Parquet files of ``table``, only those of ``weeks`` when given."""
        top = self.table_dir(table)
        if not top.exists():
            return []
        if not partition_columns(table):
            return sorted(top.glob("*.parquet"))
        if weeks is None:
            week_dirs = sorted(top.glob(f"{WEEK}=*"))
        else:
            week_dirs = [top / f"{WEEK}={w}" for w in sorted(set(weeks))]
        pattern = f"{BUCKET}=*/*.parquet" if BUCKET in partition_columns(table) else "*.parquet"
        return [f for d in week_dirs if d.exists() for f in sorted(d.glob(pattern))]

    def weeks(self, table: Table) -> list[str]:
        """The ISO weeks for which ``table`` holds data."""
        top = self.table_dir(table)
        if not top.exists():
            return []
        return sorted(p.name.split("=", 1)[1] for p in top.glob(f"{WEEK}=*") if p.is_dir())


class Writer:
    """The writer lock of a store, held: run transactions one after another under it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Stage one change; commit it when the block succeeds, else throw it away."""
        store = self.store
        tx = Transaction(store.root)
        try:
            yield tx
            if not tx.committed:
                with lock.exclusive_blocking(store._commit_lock):
                    tx.commit()
        finally:
            if not tx.committed:
                tx.discard()
