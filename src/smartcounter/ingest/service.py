"""Import canonical rows into the store: check, reconcile with what is there, commit at once.

One path for every source — bank exports on disk, the synthetic generator, the lobby
service's close of day — so that all are validated alike.

Event tables stream: each batch is checked and its good rows go straight to staged
Parquet files, while a compact key per row (the id's hash, the content's hash, file,
record) stays in memory and the ids themselves go to a scratch file (``id_spill``).
Once a table's files are read, the keys decide which rows repeat an earlier row or a
stored one, reading back the ids of only those that may; only the staged files holding
such rows are rewritten. A first import of fresh rows therefore writes every row once.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl
import pyarrow as pa

from smartcounter.canonical.catalogue import Catalogue
from smartcounter.canonical.tables import TABLES, Kind, OnUnknown, Table, TableKind
from smartcounter.i18n import Lang, Translator
from smartcounter.ingest.id_spill import IdSpill
from smartcounter.ingest.report import FileReport, ImportReport, RejectLog
from smartcounter.ingest.rules import Checked, Known, arrow_fast_types, check_batch
from smartcounter.ingest.sources import (
    REC,
    LineMap,
    OpenedFile,
    RawBatch,
    ReadTally,
    UnusableFileError,
    discover,
    estimated_rows,
    line_map,
    open_file,
    read_batches,
)
from smartcounter.kit.progress import NullProgress, Progress
from smartcounter.metrics.rollups import StagingRollups, ready_rollups, start_rollups
from smartcounter.store import known_ids
from smartcounter.store.compaction import compact_after, touched_partitions
from smartcounter.store.journal import Transaction
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table
from smartcounter.store.schema import PART, PART_BUCKETS, partition_of
from smartcounter.store.writing import PartitionedWriter, split_by_partition, write_parquet

FILE = "_file"
HASH = "_h"
KEY = "_k"
VISIT = "_v"
STAFF_UNKNOWN = "_us"
POS = "_i"  # a row's place among the keys of its table: where its id lies in the spill
SAME = "_same"  # a row the same as its stored copy
FRAME_BATCH_ROWS = 256 * 1024
# Stored rows read back whole at once, at most, when an import repeats stored ids.
STORED_CHUNK_ROWS = 1 << 20
# Batches checked at once, each on its own thread (the machine's cores).
CHECKERS = max(2, min(4, os.cpu_count() or 2))

_T = TypeVar("_T")


def _same(frame: pl.DataFrame) -> pl.DataFrame:
    return frame


@dataclass(frozen=True)
class IngestOptions:
    """How to import: replace conflicting event rows, the language of messages, waiting."""

    replace: bool = False
    lang: Lang = Lang.ZH
    wait_seconds: float = 300.0
    on_wait: Callable[[str], None] | None = None


def _same_records(tally: ReadTally) -> LineMap:
    return LineMap(None)


@dataclass
class Source:
    """Rows of one table from one place, as text batches with record numbers."""

    label: str
    table: Table
    batches: Callable[[ReadTally], Iterator[RawBatch]]
    size_hint: int = 0
    lines: Callable[[ReadTally], LineMap] = _same_records
    encoding: str = "utf-8"
    ignored_columns: list[str] = field(default_factory=list)
    header_fields: int | None = None
    # Columns of the table the source does not have at all (not: has, empty).
    absent_columns: tuple[str, ...] = ()


def file_source(opened: OpenedFile) -> Source:
    """A Source over a checked CSV file."""
    detected = opened.detected
    return Source(
        label=str(opened.source.path),
        table=opened.source.table,
        batches=lambda tally: read_batches(
            opened, tally, prepare=partial(arrow_fast_types, opened.source.table)
        ),
        size_hint=estimated_rows(opened.utf8_path),
        lines=lambda tally: line_map(opened, tally),
        encoding=detected.encoding + ("-sig" if detected.bom else ""),
        ignored_columns=opened.ignored_columns,
        header_fields=len(opened.header),
        absent_columns=tuple(
            c for c in opened.source.table.column_names if c not in opened.present
        ),
    )


def frame_source(label: str, table: Table, frame: pl.DataFrame) -> Source:
    """A Source over rows already in memory (generator, close of day); row 1 is record 2.

    Columns may be text or typed; times stay times (naive ones are local time).
    """
    kinds = {c.name: c.kind for c in table.columns}

    def column(name: str) -> pl.Expr:
        if name not in frame.columns:
            return pl.lit(None, dtype=pl.String).alias(name)
        if kinds[name] is Kind.TIMESTAMP and isinstance(frame.schema[name], pl.Datetime):
            return pl.col(name)
        return pl.col(name).cast(pl.String)

    rows = frame.select([column(c) for c in table.column_names]).with_columns(
        pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(REC)
    )

    def batches(tally: ReadTally) -> Iterator[RawBatch]:
        tally.records += rows.height
        # Slices keep the checks' working memory small on large frames.
        for start in range(0, max(rows.height, 1), FRAME_BATCH_ROWS):
            yield RawBatch(rows.slice(start, FRAME_BATCH_ROWS), [])

    absent = tuple(c for c in table.column_names if c not in frame.columns)
    return Source(
        label=label, table=table, batches=batches, size_hint=rows.height, absent_columns=absent
    )


def ingest_paths(
    store_root: Path,
    paths: Sequence[Path],
    *,
    timezone: str,
    catalogue: Catalogue,
    options: IngestOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Import canonical CSV files and folders.

    Every file is checked (encoding, header) before anything is written, so an unusable
    file raises UnusableFileError with the store untouched — not even created.
    """
    discovery = discover(paths)
    with tempfile.TemporaryDirectory(prefix="smartcounter-") as scratch:
        opened = [open_file(src, Path(scratch)) for src in discovery.files]
        store = Store.open_or_create(store_root, timezone=timezone)
        report = ingest_sources(
            store,
            [file_source(o) for o in opened],
            catalogue=catalogue,
            options=options,
            progress=progress,
        )
    t = Translator(options.lang)
    report.notes[:0] = [t("ingest.ignored_file", path=str(p)) for p in discovery.ignored]
    return report


def ingest_sources(
    store: Store,
    sources: Sequence[Source],
    *,
    catalogue: Catalogue,
    options: IngestOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the given sources in one all-or-nothing change to the store."""
    order = [t.name for t in TABLES]
    ordered = sorted(sources, key=lambda s: order.index(s.table.name))
    with store.writer("ingest", wait_seconds=options.wait_seconds, on_wait=options.on_wait) as w:
        with w.transaction() as tx:
            run = _ImportRun(store, tx, catalogue, options, progress or NullProgress(), ordered)
            # The weekly rollups of every week this import changes, in the same commit:
            # each staged in the background as soon as the tables it reads are imported.
            staging: list[StagingRollups] = []
            started: set[str] = set()
            try:
                done: list[Table] = []
                for table in TABLES:
                    mine = [i for i, s in enumerate(ordered) if s.table.name == table.name]
                    if table.kind is TableKind.REFERENCE:
                        for i in mine:
                            run.import_reference(i)
                        done.append(table)
                        continue
                    if not run.references_written:
                        # The reference tables are final before any event table.
                        run.write_references()
                    if mine:
                        run.import_events(table, mine)
                    done.append(table)
                    ready = [r for r in ready_rollups(done) if r.table.name not in started]
                    if ready:
                        started |= {r.table.name for r in ready}
                        staging.append(start_rollups(store, tx, rollups=ready, after=run.counted))
                if not run.references_written:
                    run.write_references()
                for handle in staging:
                    handle.wait()
            finally:
                for handle in staging:
                    handle.cancel()
                run.close()
            report = run.finish()
            touched = touched_partitions(tx)
            # Leaving the block commits the transaction (or discards it on an error).
        # A second transaction, still under the writer lock: the import is committed
        # whatever happens to it, and it changes how rows are laid out, never which.
        compact_after(store, w, touched)
    return report


class _ImportRun:
    """The state of one import: what is known so far, the counts, the rejects."""

    def __init__(
        self,
        store: Store,
        tx: Transaction,
        catalogue: Catalogue,
        options: IngestOptions,
        progress: Progress,
        sources: list[Source],
    ) -> None:
        self.store = store
        self.tx = tx
        self.options = options
        self.progress = progress
        self.sources = sources
        self.t = Translator(options.lang)
        self.scratch = tx.staging / "_scratch"
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.reports = [
            FileReport(
                s.label, s.table.name, encoding=s.encoding, ignored_columns=s.ignored_columns
            )
            for s in sources
        ]
        self.tallies = [ReadTally() for _ in sources]
        self.rejects = RejectLog(self.scratch / "rejects")
        self.notes: list[str] = []
        self.references: dict[str, pl.DataFrame] = {}
        self.dirty: set[str] = set()
        for name in ("business_types", "branches", "staff"):
            self.references[name] = read_table(store, name)
        if self.references["business_types"].is_empty():
            self.references["business_types"] = _catalogue_frame(catalogue)
            self.dirty.add("business_types")
            self.notes.append(self.t("ingest.seeded_catalogue", count=len(catalogue)))
        self.new_visits: list[pl.Series] = []
        self.references_written = False
        # Unresolved references are counted in the background, while the next table is
        # read: they change no row, only the report (``close`` waits for them).
        self.counting = ThreadPoolExecutor(1, thread_name_prefix="smartcounter-unresolved")
        self.counts: list[Future[None]] = []

    def counted(self) -> None:
        """Wait for the background counts started so far (raise the first error)."""
        for future in list(self.counts):
            future.result()

    def close(self) -> None:
        """Wait for the background counts (raise the first error); stop their thread."""
        try:
            self.counted()
        finally:
            for future in self.counts:
                future.cancel()
            self.counting.shutdown(wait=True)

    # -- what rows may refer to ----------------------------------------------------------
    def known(self) -> Known:
        """What rows may name: the branches and business codes stored or imported so far."""
        return Known(
            branches=frozenset(self.references["branches"].get_column("branch_id").to_list()),
            business_codes=frozenset(
                self.references["business_types"].get_column("code").to_list()
            ),
            timezone=self.store.meta.timezone,
            buckets=self.store.meta.buckets,
        )

    # -- reading and checking ------------------------------------------------------------
    def _checked(self, src: int, then: Callable[[pl.DataFrame], _T]) -> Iterator[_T]:
        """Yield ``then`` of each batch's good rows, typed, in file order; log the rejected ones.

        Batches are checked (and ``then`` runs) on ``CHECKERS`` threads at once, while
        the parser reads ahead in its own: the checks' heavy work runs outside the GIL.
        Counts and rejects are taken here, in file order, as each batch's turn comes.
        """
        source = self.sources[src]
        report = self.reports[src]
        known = self.known()
        known.prime()  # shared by the threads: build the lookups once, here
        task = self.progress.start(source.label, source.size_hint)
        expected = source.header_fields or len(source.table.columns)
        self._note_ignored(source)

        def check(raw: RawBatch) -> tuple[Checked, _T]:
            checked = check_batch(source.table, raw.frame, known)
            return checked, then(checked.good)

        def take(raw: RawBatch, done: Future[tuple[Checked, _T]]) -> _T:
            checked, out = done.result()
            report.read += raw.records
            if raw.bad:
                self.rejects.add_structural(src, raw.bad, expected)
                report.rejected += len(raw.bad)
            if checked.rejects.height:
                self.rejects.add_values(src, checked.rejects)
                report.rejected += checked.rejects.height
            self.progress.advance(task, raw.records)
            return out

        pending: deque[tuple[RawBatch, Future[tuple[Checked, _T]]]] = deque()
        with ThreadPoolExecutor(CHECKERS, thread_name_prefix="smartcounter-check") as pool:
            try:
                for raw in _guarded(source, self.tallies[src]):
                    pending.append((raw, pool.submit(check, raw)))
                    if len(pending) > CHECKERS:
                        yield take(*pending.popleft())
                while pending:
                    yield take(*pending.popleft())
            finally:
                for _, future in pending:
                    future.cancel()
        self.progress.finish(task)

    # -- reference tables: small, held in memory ---------------------------------------------
    def import_reference(self, src: int) -> None:
        """Import one reference file: new ids imported, changed ones updated, same skipped."""
        source = self.sources[src]
        table = source.table
        report = self.reports[src]
        parts = list(self._checked(src, _same))
        good = pl.concat(parts, how="vertical_relaxed") if parts else None
        if good is None or good.is_empty():
            return
        cols = list(table.column_names)
        ids = list(table.id_columns)
        absent = [c for c in source.absent_columns if c not in ids]
        if absent and table.absent_keeps_stored:
            # What the file does not say stays as stored (a new id has nothing there).
            stored = self.references[table.name].select(*ids, *absent)
            good = (
                good.drop(absent)
                .join(stored, on=ids, how="left", nulls_equal=True, maintain_order="left")
                .select(good.columns)
            )
        good = good.with_columns(content_hash(good, cols))
        first = good.select(pl.struct(ids).is_first_distinct()).to_series()
        firsts = good.filter(first)
        later = good.filter(~first).join(firsts.select([*ids, HASH, REC]), on=ids, suffix="_first")
        same_in_file = later.filter(pl.col(HASH) == pl.col(f"{HASH}_first"))
        conflicting = later.filter(pl.col(HASH) != pl.col(f"{HASH}_first"))
        report.skipped += same_in_file.height
        report.rejected += conflicting.height
        self.rejects.add_conflicts(
            src,
            conflicting.select(
                REC, _id_text(ids, conflicting.schema), pl.lit(src).alias(FILE), f"{REC}_first"
            ),
            ids[0],
        )

        current = self.references[table.name]
        current_h = current.select(ids).with_columns(content_hash(current, cols))
        matched = firsts.join(current_h, on=ids, how="left", suffix="_stored")
        is_new = pl.col(f"{HASH}_stored").is_null()
        unchanged = matched.filter(~is_new & (pl.col(HASH) == pl.col(f"{HASH}_stored")))
        changed = matched.filter(~is_new & (pl.col(HASH) != pl.col(f"{HASH}_stored")))
        added = matched.filter(is_new)
        report.skipped += unchanged.height
        report.updated += changed.height
        report.imported += added.height
        if changed.height or added.height:
            incoming = pl.concat([changed, added]).select(cols)
            keep = current.join(incoming.select(ids), on=ids, how="anti", nulls_equal=True)
            self.references[table.name] = pl.concat([keep, incoming], how="vertical_relaxed")
            self.dirty.add(table.name)

    def write_references(self) -> None:
        """Stage each changed reference table as one new file in place of the old ones."""
        self.references_written = True
        for name in sorted(self.dirty):
            table = _table(name)
            frame = self.references[name].sort(list(table.id_columns))
            for old in self.store.files(table):
                self.tx.remove(self.store.relpath(old))
            target = self.tx.stage(f"tables/{name}/part-{self.tx.txid}.parquet")
            write_parquet(frame, table, target)

    # -- event tables: large, streamed into staged partitions ----------------------------------
    def import_events(self, table: Table, srcs: list[int]) -> None:
        """Stream the files of one event table into staged partitions, then reconcile."""
        ids = list(table.id_columns)
        writer = PartitionedWriter(self.tx, table)
        key_parts: list[pl.DataFrame] = []
        staff = self.references["staff"].get_column("staff_id")
        visit_ref = _reference_column(table, "visits")
        staff_ref = _reference_column(table, "staff")
        staff_ids = staff.implode()

        def split(
            src: int, good: pl.DataFrame
        ) -> tuple[pl.DataFrame, pl.DataFrame, dict[int, pl.DataFrame]] | None:
            """A batch's keys (for reconciling), their ids, and its rows to store, by
            partition; None if no row."""
            if good.is_empty():
                return None
            good = good.with_columns(
                content_hash(good, list(table.column_names)),
                known_ids.id_hash(table).alias(KEY),
            )
            keys = [
                KEY,
                HASH,
                pl.col(REC).cast(pl.UInt32),
                pl.lit(src, dtype=pl.UInt16).alias(FILE),
                PART,
            ]
            if staff_ref is not None:
                keys.append(
                    (pl.col(staff_ref).is_not_null() & ~pl.col(staff_ref).is_in(staff_ids)).alias(
                        STAFF_UNKNOWN
                    )
                )
            if visit_ref is not None:
                visit = pl.col(visit_ref)
                keys.append(pl.when(visit.is_not_null()).then(visit.hash()).alias(VISIT))
            return (
                good.select(keys),
                good.select(ids),
                split_by_partition(good.drop(HASH, KEY, REC)),
            )

        spill = IdSpill(self.scratch / f"ids-{table.name}.arrow")
        rows = 0
        try:
            for src in srcs:
                for done in self._checked(src, partial(split, src)):
                    if done is not None:
                        keys, id_values, parts = done
                        key_parts.append(keys.with_row_index(POS, offset=rows))
                        spill.add(id_values)
                        rows += keys.height
                        writer.write_parts(parts)
            writer.finish()
            spill.close()
            if key_parts:
                reconciled = _Reconcile(
                    self, table, writer, pl.concat(key_parts, rechunk=False), spill
                )
                del key_parts
                narrow = reconciled.reconcile()
                # The keys go before the count, which runs on while the next table is read.
                reconciled.keys = pl.DataFrame(schema=reconciled.keys.schema)
                self.counts.append(self.counting.submit(reconciled.count_unresolved, narrow))
        finally:
            writer.close()
            spill.close()

    def _note_ignored(self, source: Source) -> None:
        if source.ignored_columns:
            self.notes.append(
                self.t(
                    "ingest.ignored_columns",
                    file=source.label,
                    columns=", ".join(source.ignored_columns),
                )
            )

    # -- the end ------------------------------------------------------------------------------
    def finish(self) -> ImportReport:
        """Stage the rejects file and the import log; return the report."""
        for counts in self.reports:
            assert counts.read == (
                counts.imported + counts.updated + counts.skipped + counts.rejected
            ), counts
        # Every rejected row has its line in the rejects file, or the import does not land.
        rejected = sum(counts.rejected for counts in self.reports)
        assert self.rejects.count == rejected, (self.rejects.count, rejected)
        report = ImportReport(self.reports, notes=self.notes, txid=self.tx.txid)
        if self.rejects.count:
            rel = f"rejects/{self.tx.txid}.csv"
            maps = {
                src: self.sources[src].lines(self.tallies[src]) for src in self.rejects.sources()
            }
            self.rejects.write_csv(
                self.tx.stage(rel),
                [s.label for s in self.sources],
                [s.table for s in self.sources],
                maps,
                self.t,
            )
            report.rejects_path = str(self.store.root / rel)
        log = {
            "txid": self.tx.txid,
            "files": [r.as_json() for r in self.reports],
            "rejects": report.rejects_path,
        }
        self.tx.stage(f"imports/{self.tx.txid}.json").write_text(
            json.dumps(log, ensure_ascii=False, indent=2), "utf-8"
        )
        shutil.rmtree(self.scratch, ignore_errors=True)
        return report


class _Reconcile:
    """Decide, from the keys of a table's rows, which repeat an earlier or a stored row."""

    def __init__(
        self,
        run: _ImportRun,
        table: Table,
        writer: PartitionedWriter,
        keys: pl.DataFrame,
        spill: IdSpill,
    ) -> None:
        self.imp = run
        self.table = table
        self.writer = writer
        self.keys = keys  # without the ids: they are in ``spill``, by ``POS``
        self.spill = spill
        self.ids = list(table.id_columns)
        self.holding: list[str] = []

    def _with_ids(self, rows: pl.DataFrame) -> pl.DataFrame:
        """``rows`` of the keys with their ids (read back from the spill) in front."""
        return rows if self.ids[0] in rows.columns else self.spill.attach(rows, POS)

    def reconcile(self) -> pl.DataFrame:
        """Count, log and drop repeated rows; rewrite what must change. Returns the columns
        of the rows kept that ``count_unresolved`` needs (not their ids)."""
        keys = self.keys
        ids = self.ids
        # Ids hashed first: only rows whose hash repeats need the exact comparison, and
        # only theirs are read back.
        repeated = self._with_ids(
            keys.filter(pl.col(KEY).is_in(_repeated_values(keys.get_column(KEY)).implode()))
        )
        first = pl.struct(ids).is_first_distinct()
        firsts = repeated.filter(first)
        later = repeated.filter(~first).join(
            firsts.select(*ids, HASH, FILE, REC),
            on=ids,
            suffix="_first",
            nulls_equal=True,
        )
        same_in_import = later.filter(pl.col(HASH) == pl.col(f"{HASH}_first"))
        conflicts = later.filter(pl.col(HASH) != pl.col(f"{HASH}_first"))
        self._count(conflicts, "rejected")
        for src, rows in _by_file(conflicts):
            self.imp.rejects.add_conflicts(
                src,
                rows.select(
                    REC,
                    _id_text(ids, rows.schema),
                    pl.col(f"{FILE}_first").alias(FILE),
                    f"{REC}_first",
                ),
                ids[0],
            )
        firsts_all = (
            keys.join(later.select(FILE, REC), on=[FILE, REC], how="anti") if later.height else keys
        )

        # Where rows may repeat stored ones, each is compared with its stored copy.
        matches = self._stored_matches(firsts_all)
        # The rows of ``firsts_all`` whose id goes, and those whose stored row this import
        # replaces: known by their place (``POS``); ids are read back only where needed.
        drop = pl.DataFrame(schema={POS: keys.schema[POS], PART: keys.schema[PART]})
        replaced = drop.select(POS)
        if matches.height:
            same = matches.filter(pl.col(SAME))
            # Rows that differ from their stored copy: few, usually; their ids read back.
            other = self._with_ids(matches.filter(~pl.col(SAME)))
            del matches
            self._count(same, "skipped")
            if self.imp.options.replace:
                self._count(other, "updated")
                drop = same.select(POS, PART)
                replaced = other.select(POS, *ids)
            else:
                # A repeat of a row that conflicts with the store conflicts with it too.
                repeats = same_in_import.join(
                    other.select(ids), on=ids, how="semi", nulls_equal=True
                )
                same_in_import = same_in_import.join(
                    other.select(ids), on=ids, how="anti", nulls_equal=True
                )
                conflicted = pl.concat(
                    [other.select(FILE, REC, *ids), repeats.select(FILE, REC, *ids)]
                )
                self._count(conflicted, "rejected")
                drop = pl.concat([same.select(POS, PART), other.select(POS, PART)])
                for src, rows in _by_file(conflicted):
                    self.imp.rejects.add_store_conflicts(
                        src, rows.select(REC, _id_text(ids, rows.schema)), ids[0]
                    )
            del same, other
        self._count(same_in_import, "skipped")
        kept = firsts_all.join(drop.select(POS), on=POS, how="anti") if drop.height else firsts_all
        new = kept.join(replaced.select(POS), on=POS, how="anti") if replaced.height else kept
        self._count(new, "imported")
        if self.table.name == "visits":
            # The id's hash is the visit's hash that transactions and triage look up.
            self.imp.new_visits.append(kept.get_column(KEY))

        if later.height or drop.height:
            self._rewrite_staged(later, firsts, drop)
        if replaced.height:
            self._remove_stored(replaced.select(ids))
        self._index(kept)
        return kept.select(c for c in (FILE, PART, STAFF_UNKNOWN, VISIT) if c in kept.columns)

    # -- counts -------------------------------------------------------------------------------
    def _count(self, rows: pl.DataFrame, what: str) -> None:
        for src, n in rows.group_by(FILE).len().iter_rows():
            report = self.imp.reports[src]
            setattr(report, what, getattr(report, what) + n)

    def count_unresolved(self, kept: pl.DataFrame) -> None:
        """Count, per file, the rows kept whose staff member or visit is unknown."""
        # Only the narrow columns needed are touched: ``kept`` may hold millions of rows.
        if STAFF_UNKNOWN in kept.columns:
            counts = kept.group_by(FILE).agg(pl.col(STAFF_UNKNOWN).sum())
            self._add_unresolved(counts)
        if VISIT not in kept.columns:
            return
        visits = kept.select(FILE, VISIT, PART)
        if visits.get_column(VISIT).null_count():
            # Only then: a copy of millions of rows, at the import's peak of memory.
            visits = visits.drop_nulls(VISIT)
        if visits.is_empty():
            return
        # Known visits are looked at nearest first, and further only for the rows still
        # unresolved: this import's visits, then the stored ones of the weeks the rows are
        # in, then all other stored ones. A week's export that brings its visits along
        # reads none of the store's.
        store, table = self.imp.store, _table("visits")
        near = _weeks_of(visits, self.table)
        far = set(store.weeks(table)) - near
        sources: list[Callable[[], list[np.ndarray]]] = [
            lambda: [n.to_numpy() for n in self.imp.new_visits],
            lambda: [known_ids.stored_hashes(store, table, near)],
            lambda: [known_ids.stored_hashes(store, table, far)],
        ]
        missing = visits
        for source in sources:
            if missing.is_empty():
                break
            known = source()
            if known:
                missing = missing.filter(~_among(missing.get_column(VISIT), known))
        self._add_unresolved(missing.group_by(FILE).len())

    def _add_unresolved(self, counts: pl.DataFrame) -> None:
        for src, n in counts.iter_rows():
            self.imp.reports[src].unresolved += int(n)

    # -- the store -----------------------------------------------------------------------------
    def _stored_matches(self, wanted: pl.DataFrame) -> pl.DataFrame:
        """The rows of ``wanted`` whose id is stored: their ``POS``, ``FILE``, ``REC`` and
        ``PART``, and ``SAME``: whether the stored row has the same content.

        Only weeks that may hold one of the ids are read (the weeks the rows fall in, and
        others whose index lists one of their hashes: ``known_ids``); of those, the ids'
        hashes first, and whole rows only from the files holding one of the ids (usually
        none: a new week's export repeats nothing). A Monday import into a store of a
        year's data then reads about what one into an empty store reads.

        Those files are read a run at a time (a whole export sent again reads every stored
        row): each run's rows are paired with ``wanted`` by their ids' hashes, and each pair
        is then checked on the ids themselves (``wanted``'s read back from the scratch
        file). No more than a run's ids are ever held as text.
        """
        found = [
            wanted.select(POS, FILE, REC, PART).clear().with_columns(pl.lit(False).alias(SAME))
        ]
        store = self.imp.store
        weeks = known_ids.weeks_to_read(
            store, self.table, wanted.get_column(KEY), _weeks_of(wanted, self.table)
        )
        files = store.files(self.table, weeks)
        if not files:
            return found[0]
        # The files holding one of the ids, found by the ids' hashes (numbers, not text:
        # a hash shared by two ids costs a file read, never a wrong answer).
        self.holding = (
            pl.scan_parquet(files, hive_partitioning=False, include_file_paths="_path")
            .select(known_ids.id_hash(self.table).alias(KEY), "_path")
            .join(wanted.lazy().select(KEY), on=KEY, how="semi")
            .select("_path")
            .unique()
            .collect()
            .get_column("_path")
            .sort()
            .to_list()
        )
        narrow = wanted.select(KEY, POS, FILE, REC, PART, HASH)
        cols = list(self.table.column_names)
        ids = self.ids
        theirs = [f"{c}_wanted" for c in ids]
        same_id = pl.all_horizontal(
            pl.col(c).eq_missing(pl.col(w)) for c, w in zip(ids, theirs, strict=True)
        )
        for run in _chunks_of_rows(self.holding, STORED_CHUNK_ROWS):
            rows = pl.read_parquet(run, columns=cols, hive_partitioning=False)
            stored = rows.select(*ids, known_ids.id_hash(self.table).alias(KEY)).with_columns(
                content_hash(rows, cols).alias(f"{HASH}_stored")
            )
            del rows
            pairs = stored.join(narrow, on=KEY)
            if pairs.is_empty():
                continue
            their_ids = self.spill.gather(pairs.get_column(POS)).rename(
                dict(zip(ids, theirs, strict=True))
            )
            pairs = pl.concat([pairs, their_ids], how="horizontal").filter(same_id)
            found.append(
                pairs.select(
                    POS, FILE, REC, PART, (pl.col(HASH) == pl.col(f"{HASH}_stored")).alias(SAME)
                )
            )
        return pl.concat(found)

    def _remove_stored(self, replaced: pl.DataFrame) -> None:
        """Rewrite the stored files holding rows that this import replaces."""
        store = self.imp.store
        for path_text in self.holding:
            path = Path(path_text)
            frame = pl.read_parquet(path, hive_partitioning=False)
            keep = frame.join(replaced, on=self.ids, how="anti", nulls_equal=True)
            if keep.height == frame.height:
                continue  # it held only rows that stay (same content)
            rel = store.relpath(path)
            self.imp.tx.remove(rel)
            if keep.height:
                n = self.imp.tx.next_file_number()
                new_rel = f"{Path(rel).parent.as_posix()}/part-{self.imp.tx.txid}-{n:05d}.parquet"
                write_parquet(keep, self.table, self.imp.tx.stage(new_rel))

    def _index(self, kept: pl.DataFrame) -> None:
        """Stage the hashes of the ids this import stores, week by week (``known_ids``)."""
        if not known_ids.needs_index(self.table) or kept.is_empty():
            return
        store = self.imp.store
        stored_weeks = set(store.weeks(self.table))
        week_no = (pl.col(PART) // PART_BUCKETS).alias("_w")
        for (code,), rows in kept.select(KEY, week_no).partition_by("_w", as_dict=True).items():
            week = partition_of(int(str(code)) * PART_BUCKETS, self.table)[0]
            hashes = rows.get_column(KEY).to_numpy()
            known_ids.stage_week(
                store, self.imp.tx, self.table, week, hashes, fresh=week not in stored_weeks
            )

    # -- staged files holding rows that must go --------------------------------------------------
    def _rewrite_staged(
        self, later: pl.DataFrame, firsts: pl.DataFrame, drop: pl.DataFrame
    ) -> None:
        """Rewrite the staged files of partitions holding repeated or already stored rows.

        ``later``: the rows repeating an earlier row's id; ``firsts``: the first rows of
        ids that may repeat (those of ``later``'s ids among them); ``drop``: first rows
        whose id goes altogether. Rows with the same id and content are alike in every
        column (so they sit in the same partition), and which copy stays does not matter:
        one copy of each repeated id's first content stays, unless the id is dropped.
        """
        ids = self.ids
        later_ids = later.select(ids).unique()
        repeated_firsts = firsts.join(later_ids, on=ids, how="semi", nulls_equal=True)
        # A dropped row is a first row too: known by its place.
        keep = repeated_firsts.join(drop.select(POS), on=POS, how="anti").select(*ids, HASH, PART)
        # Every row of an id that repeats or goes: the repeats, their first rows, the
        # dropped first rows (an id's other rows are repeats). Known by place.
        affected = pl.concat(
            [later.select(POS, PART), repeated_firsts.select(POS, PART), drop.select(POS, PART)]
        )
        if later.height:
            affected = affected.unique(subset=POS)
        touched = dict(affected.group_by(PART).len().iter_rows())
        totals = dict(self.keys.group_by(PART).len().iter_rows())
        keep_by_part = keep.partition_by(PART, as_dict=True, include_key=False)
        # Partitions keeping some of their rows are written again: their touched rows' ids
        # are read back (a whole export sent again keeps none, and reads back no id).
        again = {p for p, n in touched.items() if (p,) in keep_by_part or n < totals[p]}
        touched_rows = (
            affected.filter(pl.col(PART).is_in(list(again))).partition_by(PART, as_dict=True)
            if again
            else {}
        )
        cols = list(self.table.column_names)
        for part_value in sorted(touched):
            part = int(part_value)
            files = list(self.writer.files.get(part, []))
            rows = None
            if part_value in again:
                rows = pl.concat(
                    [
                        pl.read_parquet(self.imp.tx.staged_path(rel), hive_partitioning=False)
                        for rel in files
                    ]
                )
            for rel in files:
                self.imp.tx.unstage(rel)
                self.writer.files[part].remove(rel)
            if rows is None:
                continue  # every row of the partition goes: nothing to write back
            positions = touched_rows[(part_value,)].get_column(POS)
            touched_ids = self.spill.gather(positions).unique()
            rest = rows.join(touched_ids, on=ids, how="anti", nulls_equal=True)
            keep_here = keep_by_part.get((part_value,))
            if keep_here is not None:
                marked = rows.join(touched_ids, on=ids, how="semi", nulls_equal=True)
                marked = marked.with_columns(content_hash(marked, cols))
                once = (
                    marked.join(keep_here, on=[*ids, HASH], how="semi", nulls_equal=True)
                    .unique(subset=ids, keep="first", maintain_order=True)
                    .drop(HASH)
                )
                rest = pl.concat([rest, once])
            if rest.height:
                self.writer.write_frame(part, rest)
        self.writer.finish()


def _chunks_of_rows(files: list[str], most: int) -> Iterator[list[str]]:
    """``files`` in runs holding about ``most`` rows each (a file more than that alone)."""
    import pyarrow.parquet as pq

    run: list[str] = []
    rows = 0
    for path in files:
        n = pq.ParquetFile(path).metadata.num_rows
        if run and rows + n > most:
            yield run
            run, rows = [], 0
        run.append(path)
        rows += n
    if run:
        yield run


def _among(hashes: pl.Series, known: list[np.ndarray]) -> pl.Series:
    """Which of ``hashes`` are in ``known``."""
    arrays = [a for a in known if a.size]
    # One array (this import's visits, usually) is not copied: memory is at its peak here.
    whole = arrays[0] if len(arrays) == 1 else np.concatenate(known)
    pool = pl.Series(whole, dtype=hashes.dtype, strict=False)
    return hashes.is_in(pool.implode())


def _guarded(source: Source, tally: ReadTally) -> Iterator[RawBatch]:
    """The source's batches; a file the CSV parser gives up on is unusable as a whole."""
    try:
        yield from source.batches(tally)
    except pa.ArrowInvalid as exc:
        detail = str(exc).splitlines()[0][:300]
        raise UnusableFileError(Path(source.label), "unusable.not_csv", detail=detail) from exc


def content_hash(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """A 64-bit hash of each row's ``columns``: equal rows, equal hashes, in one process."""
    return frame.select(columns).hash_rows().alias(HASH)


def _weeks_of(rows: pl.DataFrame, table: Table) -> set[str]:
    """The ISO weeks of rows carrying the partition code ``_part``."""
    codes = rows.get_column(PART).unique().to_list()
    return {partition_of(int(c), table)[0] for c in codes}


def _repeated_values(values: pl.Series) -> pl.Series:
    """The values that occur more than once (a sort: much faster than hashing them all).

    Polars' sort, on one thread: a third of the work of numpy's (measured on 9M hashes).
    """
    array = values.sort(multithreaded=False).to_numpy()
    repeats = array[1:][array[1:] == array[:-1]]  # sorted, each value once per repeat
    distinct = repeats[np.concatenate(([True], repeats[1:] != repeats[:-1]))[: repeats.size]]
    return pl.Series(distinct, dtype=values.dtype)


def _id_text(ids: list[str], schema: pl.Schema) -> pl.Expr:
    """An id as people write it: the value, or the parts joined by ``/``; a time as files
    have it (``2018-03-05 09:33:21``, fractions of a second only where there are some)."""
    parts = [
        pl.col(c).dt.to_string("%Y-%m-%d %H:%M:%S%.f")
        if schema[c] == pl.Datetime
        else pl.col(c).cast(pl.String)
        for c in ids
    ]
    return (parts[0] if len(parts) == 1 else pl.concat_str(parts, separator="/")).alias("_id")


def _by_file(rows: pl.DataFrame) -> Iterator[tuple[int, pl.DataFrame]]:
    if rows.is_empty():
        return
    for (src,), part in rows.partition_by(FILE, as_dict=True, maintain_order=True).items():
        yield int(str(src)), part


def _reference_column(table: Table, target: str) -> str | None:
    for column in table.columns:
        if column.references == target and column.on_unknown is OnUnknown.UNRESOLVED:
            return column.name
    return None


def _table(name: str) -> Table:
    return next(t for t in TABLES if t.name == name)


def _catalogue_frame(catalogue: Catalogue) -> pl.DataFrame:
    entries = list(catalogue.values())
    return pl.DataFrame(
        {
            "code": [e.code for e in entries],
            "name_zh": [e.name_zh for e in entries],
            "name_en": [e.name_en for e in entries],
            "migratable": [e.migratable for e in entries],
            "cash": [e.cash for e in entries],
        },
        schema={
            "code": pl.String,
            "name_zh": pl.String,
            "name_en": pl.String,
            "migratable": pl.Boolean,
            "cash": pl.Boolean,
        },
    )
