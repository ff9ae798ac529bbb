"""Run the simulation week by week and write as it goes: canonical CSVs, or the store.

Memory stays bounded by one flush of rows (a few hundred thousand) plus each branch's
customer pool; the files are byte-identical for the same spec whatever the flush size,
because rows come out in one fixed order (week, block, visit) and every block-week draws
from its own generator derived from the seed.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import polars as pl

from smartcounter.canonical.catalogue import Catalogue, load_catalogue
from smartcounter.canonical.tables import BRANCHES, STAFF, TRANSACTIONS, TRIAGE, VISITS, Table
from smartcounter.i18n import Translator
from smartcounter.kit.progress import NullProgress, Progress
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.synthetic.frames import Lookups
from smartcounter.synthetic.network import Network, NetworkSpec, build_network
from smartcounter.synthetic.simulate import Rows, simulate_network

if TYPE_CHECKING:
    from smartcounter.ingest.report import ImportReport
    from smartcounter.ingest.service import IngestOptions, Source
    from smartcounter.store.layout import Store

TRUTH_DIR = "_truth"
TRUTH_FILE = "branch_practices.csv"  # each branch's practice in the first week
TRUTH_BY_WEEK_FILE = "branch_practices_by_week.csv"  # …and in every week (dated changes)
EVENT_TABLES: tuple[Table, ...] = (VISITS, TRANSACTIONS, TRIAGE)
FLUSH_ROWS = 400_000
STORE_CHUNK_ROWS = 1_000_000


@dataclass
class GenerationSummary:
    """What a run produced."""

    branches: int
    staff: int
    weeks: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    out_dir: Path | None = None
    imports: list[ImportReport] = field(default_factory=list)

    @property
    def transactions(self) -> int:
        """Transactions generated."""
        return self.rows.get("transactions", 0)

    @property
    def rejected(self) -> int:
        """Rows the store's import rejected (none expected)."""
        return sum(r.rejected for r in self.imports)


def lookups_for(network: Network, catalogue: Catalogue) -> Lookups:
    """The lookup strings of ``network``'s rows."""
    spec = network.spec
    return Lookups(
        branch_ids=network.branch_ids,
        staff_ids=network.staff.get_column("staff_id"),
        codes=tuple(catalogue),
        start=spec.start,
        days=spec.weeks * 7,
        max_customers=int(network.practices.pool_size.max()),
    )


def generate_network(spec: NetworkSpec) -> Network:
    """Set up the network of ``spec`` (branches, practices, staff) without simulating it."""
    return build_network(spec)


def write_network(
    out_dir: Path,
    spec: NetworkSpec,
    *,
    write_csv: bool = True,
    store: Store | None = None,
    behaviour: Behaviour | None = None,
    ingest_options: IngestOptions | None = None,
    progress: Progress | None = None,
    lang: str = "zh",
    flush_rows: int = FLUSH_ROWS,
    store_chunk_rows: int = STORE_CHUNK_ROWS,
) -> GenerationSummary:
    """Generate the network of ``spec``: CSVs into ``out_dir`` and/or straight into ``store``.

    The ground truth of each branch's practice goes to ``out_dir/_truth/`` either way.
    """
    started = time.perf_counter()
    catalogue = load_catalogue()
    network = build_network(spec)
    lookups = lookups_for(network, catalogue)
    progress = progress or NullProgress()
    out_dir.mkdir(parents=True, exist_ok=True)
    write_truth(network, out_dir)
    summary = GenerationSummary(
        branches=network.size, staff=network.staff.height, weeks=spec.weeks, out_dir=out_dir
    )
    csv_out = _CsvOut(out_dir, network) if write_csv else None
    store_out = (
        _StoreOut(store, network, catalogue, ingest_options, store_chunk_rows)
        if store is not None
        else None
    )
    sink = _Sink(lookups, csv_out, store_out, summary)
    buffers: dict[str, list[Rows]] = {t.name: [] for t in EVENT_TABLES}
    pending_rows = 0
    label = Translator(lang)("synthetic.progress", branches=network.size, weeks=spec.weeks)
    task = progress.start(label, spec.weeks * network.blocks)
    # Formatting and writing run on one worker thread while the next rows are simulated
    # (numpy and polars release the GIL); one flush at a time keeps memory bounded and
    # the output in order.
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synthetic-writer")
    pending: Future[None] | None = None
    try:
        for _week, block, rows in simulate_network(network, behaviour, catalogue):
            for table, part in zip(
                EVENT_TABLES, (rows.visits, rows.transactions, rows.triage), strict=True
            ):
                buffers[table.name].append(part)
            pending_rows += len(rows.transactions)
            last_of_week = block == network.blocks - 1
            if pending_rows >= flush_rows or (last_of_week and store_out is not None):
                if pending is not None:
                    pending.result()
                pending = worker.submit(sink.flush, buffers, end_of_week=last_of_week, final=False)
                buffers = {t.name: [] for t in EVENT_TABLES}
                pending_rows = 0
            progress.advance(task, 1)
        if pending is not None:
            pending.result()
        sink.flush(buffers, end_of_week=True, final=True)
    except BaseException:
        worker.shutdown(wait=True, cancel_futures=True)
        if csv_out is not None:
            csv_out.abandon()
        raise
    worker.shutdown(wait=True)
    progress.finish(task)
    if csv_out is not None:
        csv_out.close()
    summary.seconds = time.perf_counter() - started
    return summary


class _Sink:
    """Formats buffered rows and hands them to the CSV files and/or the store."""

    def __init__(
        self,
        lookups: Lookups,
        csv_out: _CsvOut | None,
        store_out: _StoreOut | None,
        summary: GenerationSummary,
    ) -> None:
        self.lookups = lookups
        self.csv_out = csv_out
        self.store_out = store_out
        self.summary = summary

    def flush(self, buffers: dict[str, list[Rows]], *, end_of_week: bool, final: bool) -> None:
        """Write (or import) the buffered rows, in order."""
        visits = buffers[VISITS.name]
        frames: dict[str, pl.DataFrame] = {}
        if visits:
            # Rows name their visit by position within their block-week; shift to the flush.
            starts = np.cumsum([0, *(len(part) for part in visits[:-1])])
            rows = {
                table.name: _concat(buffers[table.name], starts if table is not VISITS else None)
                for table in EVENT_TABLES
            }
            frames = self.lookups.frames(rows["visits"], rows["transactions"], rows["triage"])
        for name, frame in frames.items():
            self.summary.rows[name] = self.summary.rows.get(name, 0) + frame.height
            if self.csv_out is not None:
                self.csv_out.write(name, frame)
        if self.store_out is not None:
            self.store_out.add(frames, end_of_week=end_of_week, final=final, summary=self.summary)


def _concat(parts: list[Rows], visit_starts: np.ndarray | None) -> Rows:
    columns = {k: np.concatenate([p.columns[k] for p in parts]) for k in parts[0].columns}
    if visit_starts is not None:
        sizes = [len(p) for p in parts]
        columns["visit"] = columns["visit"] + np.repeat(visit_starts, sizes)
    return Rows(columns)


def staff_frame(network: Network) -> pl.DataFrame:
    """The canonical staff table; optional columns the generator does not fill stay empty."""
    staff = network.staff
    missing = [c for c in STAFF.column_names if c not in staff.columns]
    return staff.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing).select(
        STAFF.column_names
    )


def write_truth(network: Network, out_dir: Path) -> Path:
    """Write each branch's practice (the generator's ground truth) under ``out_dir/_truth``."""
    folder = out_dir / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TRUTH_FILE
    network.truth_frame().write_csv(path)
    spec = network.spec
    weeks = []
    for week in range(spec.weeks):
        year, number, _ = (spec.start + timedelta(days=7 * week)).isocalendar()
        frame = network.truth_frame(week)
        weeks.append(frame.select(pl.lit(f"{year}-W{number:02d}").alias("week"), pl.all()))
    pl.concat(weeks).write_csv(folder / TRUTH_BY_WEEK_FILE)
    return path


class _CsvOut:
    """The five canonical files, written under temporary names and renamed when complete."""

    def __init__(self, out_dir: Path, network: Network) -> None:
        self.out_dir = out_dir
        self.handles: dict[str, BinaryIO] = {}
        _write_whole(out_dir, BRANCHES, network.branches_frame())
        _write_whole(out_dir, STAFF, staff_frame(network))
        for table in EVENT_TABLES:
            handle = _partial(out_dir, table).open("wb")
            handle.write((",".join(table.column_names) + "\n").encode("utf-8"))
            self.handles[table.name] = handle

    def write(self, name: str, frame: pl.DataFrame) -> None:
        """Append ``frame`` to the file of table ``name``."""
        frame.write_csv(self.handles[name], include_header=False)

    def close(self) -> None:
        for name, handle in self.handles.items():
            handle.close()
            table = next(t for t in EVENT_TABLES if t.name == name)
            _partial(self.out_dir, table).replace(self.out_dir / table.file_name)

    def abandon(self) -> None:
        for name, handle in self.handles.items():
            handle.close()
            table = next(t for t in EVENT_TABLES if t.name == name)
            _partial(self.out_dir, table).unlink(missing_ok=True)


def _partial(out_dir: Path, table: Table) -> Path:
    # A dot name: ``ingest OUT`` skips it should a run be cut short.
    return out_dir / f".{table.file_name}.partial"


def _write_whole(out_dir: Path, table: Table, frame: pl.DataFrame) -> None:
    tmp = _partial(out_dir, table)
    frame.select(table.column_names).write_csv(tmp)
    tmp.replace(out_dir / table.file_name)


class _StoreOut:
    """Imports rows into the store through the one ingest path, a chunk of weeks at a time."""

    def __init__(
        self,
        store: Store,
        network: Network,
        catalogue: Catalogue,
        options: IngestOptions | None,
        chunk_rows: int,
    ) -> None:
        # Imported here: writing CSVs needs none of the import machinery.
        from smartcounter.ingest.service import IngestOptions, frame_source

        self.store = store
        self.catalogue = catalogue
        self.options = options or IngestOptions()
        self.chunk_rows = chunk_rows
        self.pending: dict[str, list[pl.DataFrame]] = {}
        self.pending_rows = 0
        self.references: list[Source] = [
            frame_source("synthetic:branches", BRANCHES, network.branches_frame()),
            frame_source("synthetic:staff", STAFF, staff_frame(network)),
        ]
        self.chunk = 0

    def add(
        self,
        frames: dict[str, pl.DataFrame],
        *,
        end_of_week: bool,
        final: bool,
        summary: GenerationSummary,
    ) -> None:
        for name, frame in frames.items():
            self.pending.setdefault(name, []).append(frame)
        self.pending_rows += frames["transactions"].height if "transactions" in frames else 0
        if final or (end_of_week and self.pending_rows >= self.chunk_rows):
            self._import(summary)

    def _import(self, summary: GenerationSummary) -> None:
        from smartcounter.ingest.service import frame_source, ingest_sources

        if not self.pending and not self.references:
            return
        self.chunk += 1
        sources = list(self.references)
        for table in EVENT_TABLES:
            parts = self.pending.get(table.name)
            if parts:
                sources.append(
                    frame_source(f"synthetic:{table.name}:{self.chunk}", table, pl.concat(parts))
                )
        summary.imports.append(
            ingest_sources(self.store, sources, catalogue=self.catalogue, options=self.options)
        )
        self.references = []
        self.pending = {}
        self.pending_rows = 0
