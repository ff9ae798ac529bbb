"""Import canonical rows into the store: check, reconcile with what is there, commit at once.

One path for every source — bank exports on disk, the synthetic generator, the lobby
service's close of day — so that all are validated alike.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from smartcounter.canonical.catalogue import Catalogue
from smartcounter.canonical.tables import TABLES, OnUnknown, Table, TableKind
from smartcounter.i18n import Lang, Translator
from smartcounter.ingest.report import FileReport, ImportReport, Reject, rejects_csv
from smartcounter.ingest.rules import BAD_COL, BAD_KIND, Known, check_batch
from smartcounter.ingest.sources import (
    BLOCK_SIZE,
    REC,
    BadRow,
    OpenedFile,
    discover,
    open_file,
    physical_lines,
    read_batches,
)
from smartcounter.kit.progress import NullProgress, Progress
from smartcounter.store.journal import Transaction
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table
from smartcounter.store.schema import file_schema, partition_columns

FILE = "_file"
HASH = "_h"
ROW_GROUP_SIZE = 128 * 1024


@dataclass(frozen=True)
class IngestOptions:
    """How to import: replace conflicting event rows, the language of messages, waiting."""

    replace: bool = False
    lang: Lang = Lang.ZH
    wait_seconds: float = 300.0
    on_wait: Callable[[str], None] | None = None


@dataclass
class Source:
    """Rows of one table from one place, as text batches with record numbers."""

    label: str
    table: Table
    batches: Callable[[], Iterator[tuple[pl.DataFrame, list[BadRow]]]]
    size_hint: int = 0
    bytes_per_batch: int | None = None
    lines: Callable[[Sequence[int]], dict[int, int]] = field(default=lambda recs: {r: r for r in recs})
    encoding: str = "utf-8"
    ignored_columns: list[str] = field(default_factory=list)
    header_fields: int | None = None


def file_source(opened: OpenedFile) -> Source:
    """A Source over a checked CSV file."""
    detected = opened.detected

    def lines(recs: Sequence[int]) -> dict[int, int]:
        if not recs:
            return {}
        return physical_lines(opened, recs)

    return Source(
        label=str(opened.source.path),
        table=opened.source.table,
        batches=lambda: read_batches(opened),
        size_hint=opened.utf8_path.stat().st_size,
        bytes_per_batch=BLOCK_SIZE,
        lines=lines,
        encoding=detected.encoding + ("-sig" if detected.bom else ""),
        ignored_columns=opened.ignored_columns,
        header_fields=len(opened.header),
    )


def frame_source(label: str, table: Table, frame: pl.DataFrame) -> Source:
    """A Source over rows already in memory (generator, close of day); row 1 is record 2."""
    text = frame.select(
        *[
            (pl.col(c).cast(pl.String) if c in frame.columns else pl.lit(None, dtype=pl.String)).alias(c)
            for c in table.column_names
        ]
    ).with_row_index(REC, offset=2).with_columns(pl.col(REC).cast(pl.Int64))
    text = text.select([*table.column_names, REC])
    return Source(label=label, table=table, batches=lambda: iter([(text, [])]), size_hint=text.height)


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
    ordered = sorted(sources, key=lambda s: [t.name for t in TABLES].index(s.table.name))
    with store.writing("ingest", wait_seconds=options.wait_seconds, on_wait=options.on_wait) as tx:
        run = _ImportRun(store, tx, catalogue, options, progress or NullProgress())
        for table in TABLES:
            mine = [s for s in ordered if s.table.name == table.name]
            if table.kind is TableKind.REFERENCE:
                for source in mine:
                    run.import_reference(source)
            elif mine:
                run.import_events(table, mine)
        run.write_references()
        report = run.finish()
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
    ) -> None:
        self.store = store
        self.tx = tx
        self.options = options
        self.progress = progress
        self.t = Translator(options.lang)
        self.reports: list[FileReport] = []
        self.rejects: list[Reject] = []
        self.notes: list[str] = []
        self.references: dict[str, pl.DataFrame] = {}
        self.dirty: set[str] = set()
        for name in ("business_types", "branches", "staff"):
            self.references[name] = read_table(store, name)
        if self.references["business_types"].is_empty():
            self.references["business_types"] = _catalogue_frame(catalogue)
            self.dirty.add("business_types")
            self.notes.append(self.t("ingest.seeded_catalogue", count=len(catalogue)))
        self.new_visit_ids: list[pl.Series] = []

    # -- what rows may refer to ----------------------------------------------------------
    def known(self) -> Known:
        return Known(
            branches=frozenset(self.references["branches"].get_column("branch_id").to_list()),
            business_codes=frozenset(self.references["business_types"].get_column("code").to_list()),
            timezone=self.store.meta.timezone,
            buckets=self.store.meta.buckets,
        )

    # -- rejects -------------------------------------------------------------------------
    def _value_rejects(self, source: Source, typed: pl.DataFrame, raw: pl.DataFrame) -> list[tuple[int, str, str, str]]:
        """(record, column, value, reason) for rows failing a column check."""
        bad = typed.filter(pl.col(BAD_COL).is_not_null()).select(REC, BAD_COL, BAD_KIND)
        if bad.is_empty():
            return []
        raw_by_rec = raw.filter(pl.col(REC).is_in(bad.get_column(REC).implode()))
        values = {
            (rec, col): row[col]
            for row in raw_by_rec.iter_rows(named=True)
            for rec, col in [(row[REC], c) for c in source.table.column_names]
        }
        out = []
        for rec, col, kind in bad.iter_rows():
            value = values.get((rec, col)) or ""
            out.append((rec, col, value, self._reason(source.table, col, kind, value)))
        return out

    def _reason(self, table: Table, column: str, kind: str, value: str) -> str:
        spec = table.column(column)
        params: dict[str, object] = {"column": column, "value": value}
        if kind == "reject.choice":
            params["choices"] = " | ".join(spec.choices)
        if kind in ("reject.minimum", "reject.maximum"):
            params["limit"] = int(spec.minimum if kind == "reject.minimum" else spec.maximum or 0)
        return self.t(kind, **params)

    def _record(self, source: Source, rows: list[tuple[int, str, str, str]]) -> None:
        lines = source.lines([r[0] for r in rows]) if rows else {}
        for rec, col, value, reason in rows:
            self.rejects.append(Reject(source.label, lines.get(rec, rec), col, value, reason))

    def _structural(self, bad_rows: list[BadRow], expected: int) -> list[tuple[int, str, str, str]]:
        return [
            (b.rec, "", b.text[:200], self.t("reject.field_count", fields=b.fields, expected=expected))
            for b in bad_rows
        ]

    # -- reading and checking ------------------------------------------------------------
    def _checked(self, source: Source, report: FileReport) -> Iterator[pl.DataFrame]:
        """Yield each batch's good rows, typed; record the rejected ones."""
        known = self.known()
        task = self.progress.start(source.label, source.size_hint)
        expected = source.header_fields or len(source.table.columns)
        for raw, bad_rows in source.batches():
            report.read += raw.height + len(bad_rows)
            rejected = self._structural(bad_rows, expected)
            typed = check_batch(source.table, raw, known)
            rejected += self._value_rejects(source, typed, raw)
            report.rejected += len(rejected)
            self._record(source, rejected)
            self.progress.advance(task, source.bytes_per_batch or raw.height)
            yield typed.filter(pl.col(BAD_COL).is_null()).drop(BAD_COL, BAD_KIND)
        self.progress.finish(task)

    # -- reference tables: small, held in memory ---------------------------------------------
    def import_reference(self, source: Source) -> None:
        table = source.table
        report = FileReport(source.label, table.name, encoding=source.encoding, ignored_columns=source.ignored_columns)
        self.reports.append(report)
        self._note_ignored(source)
        good = pl.concat(list(self._checked(source, report)), how="vertical_relaxed")
        cols = list(table.column_names)
        ids = list(table.id_columns)
        good = good.with_columns(pl.struct(cols).hash().alias(HASH))
        first = good.select(pl.struct(ids).is_first_distinct()).to_series()
        firsts = good.filter(first)
        later = good.filter(~first).join(firsts.select([*ids, HASH, REC]), on=ids, suffix="_first")
        same_in_file = later.filter(pl.col(HASH) == pl.col(f"{HASH}_first"))
        conflicting = later.filter(pl.col(HASH) != pl.col(f"{HASH}_first"))
        report.skipped += same_in_file.height
        report.rejected += conflicting.height
        self._record(source, self._conflicts_in_import(table, conflicting, source.label))

        current = self.references[table.name]
        current_h = current.with_columns(pl.struct(cols).hash().alias(HASH)).select([*ids, HASH])
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
            keep = current.join(incoming.select(ids), on=ids, how="anti")
            self.references[table.name] = pl.concat([keep, incoming], how="vertical_relaxed")
            self.dirty.add(table.name)

    def write_references(self) -> None:
        for name in sorted(self.dirty):
            frame = self.references[name].sort(self._ids(name))
            for old in self.store.files(_table(name)):
                self.tx.remove(self.store.relpath(old))
            target = self.tx.stage(f"tables/{name}/part-{self.tx.txid}.parquet")
            _write_parquet(frame, _table(name), target)

    @staticmethod
    def _ids(name: str) -> list[str]:
        return list(_table(name).id_columns)

    # -- event tables: large, streamed through scratch files ---------------------------------
    def import_events(self, table: Table, sources: list[Source]) -> None:
        scratch = self.tx.staging / "_scratch" / table.name
        scratch.mkdir(parents=True, exist_ok=True)
        cols = list(table.column_names)
        ids = list(table.id_columns)
        reports: list[FileReport] = []
        key_parts: list[pl.DataFrame] = []
        chunk_files: list[Path] = []
        for file_no, source in enumerate(sources):
            report = FileReport(source.label, table.name, encoding=source.encoding, ignored_columns=source.ignored_columns)
            reports.append(report)
            self.reports.append(report)
            self._note_ignored(source)
            for good in self._checked(source, report):
                if good.is_empty():
                    continue
                good = good.with_columns(
                    pl.struct(cols).hash().alias(HASH), pl.lit(file_no, dtype=pl.Int32).alias(FILE)
                )
                path = scratch / f"{file_no:04d}-{len(chunk_files):06d}.arrow"
                good.write_ipc(path, compression="uncompressed")
                chunk_files.append(path)
                key_parts.append(good.select([*ids, HASH, FILE, REC]))
        if not key_parts:
            return
        keys = pl.concat(key_parts)
        del key_parts
        first = keys.select(pl.struct(ids).is_first_distinct()).to_series()
        firsts = keys.filter(first)
        later = keys.filter(~first).join(firsts.select([*ids, HASH, FILE, REC]), on=ids, suffix="_first")
        dup_same = later.filter(pl.col(HASH) == pl.col(f"{HASH}_first"))
        dup_conflict = later.filter(pl.col(HASH) != pl.col(f"{HASH}_first"))
        drop = [dup_same.select(FILE, REC), dup_conflict.select(FILE, REC)]
        self._count(reports, dup_same, "skipped")
        self._count(reports, dup_conflict, "rejected")
        for file_no, source in enumerate(sources):
            mine = dup_conflict.filter(pl.col(FILE) == file_no)
            self._record(source, self._conflicts_in_import(table, mine, None, sources))

        stored = self._stored_rows(table, firsts.select(ids))
        replaced_ids: pl.DataFrame | None = None
        if not stored.is_empty():
            stored_h = stored.with_columns(pl.struct(cols).hash().alias(f"{HASH}_stored")).select(
                [*ids, f"{HASH}_stored"]
            )
            hit = firsts.join(stored_h, on=ids)
            same = hit.filter(pl.col(HASH) == pl.col(f"{HASH}_stored"))
            other = hit.filter(pl.col(HASH) != pl.col(f"{HASH}_stored"))
            self._count(reports, same, "skipped")
            drop.append(same.select(FILE, REC))
            if self.options.replace:
                self._count(reports, other, "updated")
                replaced_ids = other.select(ids)
            else:
                self._count(reports, other, "rejected")
                drop.append(other.select(FILE, REC))
                for file_no, source in enumerate(sources):
                    mine = other.filter(pl.col(FILE) == file_no)
                    rows = [
                        (rec, ids[0], _id_text(row, ids), self.t("reject.conflict_store"))
                        for row in mine.iter_rows(named=True)
                        for rec in [row[REC]]
                    ]
                    self._record(source, rows)
        dropped = pl.concat(drop) if drop else pl.DataFrame(schema={FILE: pl.Int32, REC: pl.Int64})
        for report, imported in zip(reports, self._imported_counts(firsts, dropped, len(sources)), strict=True):
            report.imported = imported - report.updated
        if replaced_ids is not None and not replaced_ids.is_empty():
            self._remove_stored(table, replaced_ids)
        accepted = (
            pl.scan_ipc(chunk_files)
            .join(dropped.lazy(), on=[FILE, REC], how="anti")
        )
        self._count_unresolved(table, accepted, reports)
        if table.name == "visits":
            self.new_visit_ids.append(accepted.select("visit_id").collect().to_series())
        self._write_partitions(table, accepted.drop(HASH, FILE, REC))

    def _count(self, reports: list[FileReport], rows: pl.DataFrame, what: str) -> None:
        if rows.is_empty():
            return
        for file_no, n in rows.group_by(FILE).len().iter_rows():
            report = reports[file_no]
            setattr(report, what, getattr(report, what) + n)

    @staticmethod
    def _imported_counts(firsts: pl.DataFrame, dropped: pl.DataFrame, n_files: int) -> list[int]:
        kept = firsts.select(FILE, REC).join(dropped, on=[FILE, REC], how="anti")
        counts = dict(kept.group_by(FILE).len().iter_rows())
        return [int(counts.get(i, 0)) for i in range(n_files)]

    def _conflicts_in_import(
        self,
        table: Table,
        rows: pl.DataFrame,
        label: str | None,
        sources: list[Source] | None = None,
    ) -> list[tuple[int, str, str, str]]:
        ids = list(table.id_columns)
        out = []
        for row in rows.iter_rows(named=True):
            where = label
            if sources is not None and FILE + "_first" in row:
                where = sources[row[FILE + "_first"]].label
            first_rec = row[f"{REC}_first"]
            reason = self.t("reject.conflict_import", line=first_rec, file=where or "")
            out.append((row[REC], ids[0], _id_text(row, ids), reason))
        return out

    def _stored_rows(self, table: Table, wanted_ids: pl.DataFrame) -> pl.DataFrame:
        """Stored rows whose id is among ``wanted_ids`` (canonical columns only)."""
        files = self.store.files(table)
        if not files:
            return pl.DataFrame()
        cols = list(table.column_names)
        ids = list(table.id_columns)
        return (
            pl.scan_parquet(files, hive_partitioning=False)
            .select(cols)
            .join(wanted_ids.lazy(), on=ids, how="semi")
            .collect()
        )

    def _remove_stored(self, table: Table, ids_frame: pl.DataFrame) -> None:
        """Rewrite the stored files holding rows that this import replaces."""
        ids = list(table.id_columns)
        for path in self.store.files(table):
            frame = pl.read_parquet(path, hive_partitioning=False)
            keep = frame.join(ids_frame, on=ids, how="anti")
            if keep.height == frame.height:
                continue
            rel = self.store.relpath(path)
            self.tx.remove(rel)
            if keep.height:
                new_rel = str(Path(rel).parent / f"part-{self.tx.txid}-r{abs(hash(rel)) % 10**8:08d}.parquet")
                _write_parquet(keep, table, self.tx.stage(new_rel))

    def _count_unresolved(self, table: Table, accepted: pl.LazyFrame, reports: list[FileReport]) -> None:
        checks = [c for c in table.columns if c.references and c.on_unknown is OnUnknown.UNRESOLVED]
        for column in checks:
            known = self._known_ids(column.references or "", accepted, column.name)
            unknown = (
                accepted.select(FILE, column.name)
                .filter(pl.col(column.name).is_not_null())
                .join(known.lazy(), left_on=column.name, right_on="_id", how="anti")
                .group_by(FILE)
                .len()
                .collect()
            )
            for file_no, n in unknown.iter_rows():
                reports[file_no].unresolved += n

    def _known_ids(self, table_name: str, accepted: pl.LazyFrame, column: str) -> pl.DataFrame:
        wanted = accepted.select(pl.col(column).alias("_id")).drop_nulls().unique().collect()
        if table_name == "staff":
            pool = self.references["staff"].select(pl.col("staff_id").alias("_id"))
            return wanted.join(pool, on="_id", how="semi")
        files = self.store.files(_table(table_name))
        found = [wanted.head(0)]
        if files:
            found.append(
                pl.scan_parquet(files, hive_partitioning=False)
                .select(pl.col("visit_id").alias("_id"))
                .join(wanted.lazy(), on="_id", how="semi")
                .collect()
            )
        for new in self.new_visit_ids:
            found.append(wanted.join(new.alias("_id").to_frame(), on="_id", how="semi"))
        return pl.concat(found).unique()

    def _write_partitions(self, table: Table, accepted: pl.LazyFrame) -> None:
        keys = list(partition_columns(table))
        parts = accepted.select(keys).unique().collect().sort(keys)
        base = f"tables/{table.name}"
        for n, part in enumerate(parts.iter_rows(named=True)):
            rows = accepted.filter(*[pl.col(k) == v for k, v in part.items()]).collect()
            if rows.is_empty():
                continue
            folder = "/".join(f"{k}={part[k]}" for k in keys)
            target = self.tx.stage(f"{base}/{folder}/part-{self.tx.txid}-{n:05d}.parquet")
            _write_parquet(rows, table, target)

    def _note_ignored(self, source: Source) -> None:
        if source.ignored_columns:
            self.notes.append(
                self.t("ingest.ignored_columns", file=source.label, columns=", ".join(source.ignored_columns))
            )

    # -- the end ------------------------------------------------------------------------------
    def finish(self) -> ImportReport:
        report = ImportReport(self.reports, notes=self.notes, txid=self.tx.txid)
        if self.rejects:
            rel = f"rejects/{self.tx.txid}.csv"
            self.tx.stage(rel).write_bytes(rejects_csv(self.rejects))
            report.rejects_path = str(self.store.root / rel)
        log = {
            "txid": self.tx.txid,
            "files": [r.as_json() for r in self.reports],
            "rejects": report.rejects_path,
        }
        self.tx.stage(f"imports/{self.tx.txid}.json").write_text(json.dumps(log, ensure_ascii=False, indent=2), "utf-8")
        shutil.rmtree(self.tx.staging / "_scratch", ignore_errors=True)
        return report


def _table(name: str) -> Table:
    return next(t for t in TABLES if t.name == name)


def _id_text(row: dict[str, object], ids: Iterable[str]) -> str:
    return "/".join(str(row[i]) for i in ids)


def _catalogue_frame(catalogue: Catalogue) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "code": [e.code for e in catalogue.values()],
            "name_zh": [e.name_zh for e in catalogue.values()],
            "name_en": [e.name_en for e in catalogue.values()],
            "migratable": [e.migratable for e in catalogue.values()],
            "cash": [e.cash for e in catalogue.values()],
        },
        schema={"code": pl.String, "name_zh": pl.String, "name_en": pl.String, "migratable": pl.Boolean, "cash": pl.Boolean},
    )


def _write_parquet(frame: pl.DataFrame, table: Table, target: Path) -> None:
    """Write rows of ``table`` with exactly the store's file schema."""
    schema = file_schema(table)
    arrow = frame.select(schema.names).to_arrow().cast(schema)
    pq.write_table(arrow, target, compression="zstd", row_group_size=ROW_GROUP_SIZE)
