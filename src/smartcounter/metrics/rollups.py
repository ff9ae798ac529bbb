"""Weekly rollups: the additive counts of the transactions, kept beside the rows.

A week's rows never change once imported, yet every figure used to be recomputed from
them. The rollup of a week holds, per branch, the counts every additive figure needs —
transactions, migratable, migrated (at a smart counter) and un-migrated (migratable, at a
teller window) — in *grouping sets*: one set per way of slicing a branch's week.

=============== ===============================================================
set (``dim``)   rows per branch and week
=============== ===============================================================
``""``          one per day (``day``, ``month``, ``quarter``): totals
``hour``        one per hour of day
``business``    one per business type
``staff``       one per staff member (``role`` is joined from staff.csv when read)
``reason``      one per recorded reason
``visit``       one per age band and tier of the customer (from the visit)
``channel``     one per channel
=============== ===============================================================

``rollup_sql()`` is the one definition: the import runs it on the final files of the weeks
it changes (a few weeks in one query, which then read the weeks beside them once) and
writes each week's answer to ``tables/tx_rollup/week=W/``, in the same transaction as the
rows (``stage_rollups``); an engine reading a week that has no rollup yet (a store written
by an older version) runs the very same SQL over the rows instead (``rollup_files``
returns None). Either way the figures' SQL in ``definitions.py`` reads one relation, ``tx_rollup``.
Distinct customers and visits are not additive and keep reading rows.

The triage has its rollup too (``triage_rollup.py``: the funnel and the triage depth).
Both are kept the same way, described by a ``Rollup`` each (``ROLLUPS``): which tables'
weeks need one, which views the SQL reads (and how many weeks beside), which changes
make a week roll up again. Each rollup has a format ``version``, written in its files'
names (``part-…-v2-….parquet``; a name without one is version 1): a week whose files are
of another version counts as having no rollup — the engine computes it from the rows,
never a wrong answer — until the next import of that week or ``store compact`` rewrites it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from smartcounter.canonical.tables import (
    BUSINESS_TYPES,
    TRANSACTIONS,
    TRIAGE,
    VISITS,
    Column,
    Kind,
    Table,
    TableKind,
)
from smartcounter.metrics.period import shift_week
from smartcounter.metrics.triage_rollup import TRI_ROLLUP, tri_rollup_sql

if TYPE_CHECKING:
    import pyarrow as pa

    from smartcounter.store.journal import Transaction
    from smartcounter.store.layout import Store

ROLLUP = "tx_rollup"

TX_ROLLUP = Table(
    name=ROLLUP,
    kind=TableKind.EVENT,
    id_columns=(),
    columns=(
        Column("dim", Kind.TEXT),
        Column("branch_id", Kind.TEXT),
        Column("business_code", Kind.TEXT),
        Column("staff_id", Kind.TEXT),
        Column("channel", Kind.TEXT),
        Column("reason", Kind.TEXT),
        Column("age_band", Kind.TEXT),
        Column("customer_tier", Kind.TEXT),
        Column("transactions", Kind.INTEGER),
        Column("migratable", Kind.INTEGER),
        Column("migrated", Kind.INTEGER),
        Column("unmigrated", Kind.INTEGER),
    ),
    # Partitioned by week like the rows; ``day``, ``hour``, ``month`` and ``quarter`` are
    # carried as the store's derived columns (null where a set does not slice by them).
    time_column="day",
)

# The columns a set slices by, beyond branch, week, month and quarter (which every set has).
SETS: dict[str, tuple[str, ...]] = {
    "": ("day",),
    "hour": ("hour",),
    "business": ("business_code",),
    "staff": ("staff_id",),
    "reason": ("reason",),
    # One set for both columns of the visit: a single join with the visits.
    "visit": ("age_band", "customer_tier"),
    "channel": ("channel",),
}
# Columns that come from the visit, not the transaction.
_FROM_VISIT = {"age_band", "customer_tier"}
_TYPES = {"day": "DATE", "hour": "INT"}
_SLICES = ("day", "hour", "business_code", "staff_id", "channel", "reason")

# The one definition of a transaction's flags (metrics.md, Migration rate): migratable by
# the catalogue; migrated when done at a smart counter; un-migrated at a teller window.
MIGRATABLE = "CASE WHEN bt.migratable THEN 1 ELSE 0 END"
MIGRATED = "CASE WHEN bt.migratable AND t.channel = 'stm' THEN 1 ELSE 0 END"
UNMIGRATED_CONDITION = "bt.migratable AND t.channel = 'teller'"
UNMIGRATED = f"CASE WHEN {UNMIGRATED_CONDITION} THEN 1 ELSE 0 END"


def _set_sql(dim: str, week_filter: str) -> str:
    sliced = SETS[dim]
    cols = []
    for name in ("day", "hour", "business_code", "staff_id", "channel", "reason"):
        if name in sliced:
            cols.append(f"t.{name} AS {name}")
        else:
            cols.append(f"CAST(NULL AS {_TYPES.get(name, 'STRING')}) AS {name}")
    for name in ("age_band", "customer_tier"):
        cols.append(f"v.{name} AS {name}" if name in sliced else f"CAST(NULL AS STRING) AS {name}")
    group = ["t.branch_id", "t.week", "t.month", "t.quarter"]
    group += [f"{'v' if n in _FROM_VISIT else 't'}.{n}" for n in sliced]
    visit_join = (
        "LEFT JOIN visits v ON v.visit_id = t.visit_id" if set(sliced) & _FROM_VISIT else ""
    )
    return f"""
    SELECT '{dim}' AS dim, t.branch_id AS branch_id, t.week AS week, t.month AS month,
           t.quarter AS quarter, {", ".join(cols)},
           CAST(COUNT(*) AS BIGINT) AS transactions,
           CAST(SUM({MIGRATABLE}) AS BIGINT) AS migratable,
           CAST(SUM({MIGRATED}) AS BIGINT) AS migrated,
           CAST(SUM({UNMIGRATED}) AS BIGINT) AS unmigrated
    FROM transactions t
    LEFT JOIN business_types bt ON bt.code = t.business_code
    {visit_join}
    {week_filter}
    GROUP BY {", ".join(group)}"""


def rollup_sql(weeks: Iterable[str] | None = None) -> str:
    """The rollup of the transactions (of ``weeks``, else all): every set, one relation.

    Each set is its own SELECT, so that an engine reading ``tx_rollup WHERE dim = 'hour'``
    from this SQL (no rollup on disk) runs only that set's query.
    """
    week_filter = ""
    if weeks is not None:
        listed = ", ".join(f"'{w}'" for w in sorted(set(weeks)))
        week_filter = f"WHERE t.week IN ({listed})" if listed else "WHERE 1 = 0"
    return "\nUNION ALL\n".join(_set_sql(dim, week_filter) for dim in SETS)


def plan(by_columns: Iterable[str], *, day_filter: bool) -> str | None:
    """The set of the transactions' rollup that answers a figure grouped by ``by_columns``
    (None: read the rows); see ``plan_set``."""
    return plan_set(SETS, by_columns, day_filter=day_filter)


def plan_set(
    sets: dict[str, tuple[str, ...]], by_columns: Iterable[str], *, day_filter: bool
) -> str | None:
    """The first of a rollup's ``sets`` that answers a figure grouped by ``by_columns``
    (None: read the rows).

    ``by_columns`` are the row-level columns the figure groups or slices by (branch-level
    ones — branch, type, region, week, month, quarter — are in every set); ``day_filter``:
    the period is cut by date, which only a set sliced by day can follow.
    """
    wanted = {c for c in by_columns if c not in ("branch_id", "week", "month", "quarter")}
    if day_filter:
        wanted.add("day")
    for dim, sliced in sets.items():
        if wanted <= set(sliced):
            return dim
    return None


# -- the rollups, described ------------------------------------------------------------------
EVERY_WEEK = -1  # a change of this table rolls every week up again


@dataclass(frozen=True)
class Source:
    """A view the rollup's SQL reads while a week is rolled up: ``table``'s files of the
    week and of ``spread`` weeks either side (all of a reference table), ``columns`` only."""

    table: Table
    spread: int = 0
    columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Rollup:
    """One rollup: its table, its SQL, what it reads and what makes a week roll up again."""

    table: Table
    version: int
    sql: Callable[[Iterable[str] | None], str]
    rows: tuple[Table, ...]  # a week needs a rollup when one of these holds rows in it
    sources: tuple[Source, ...]
    triggers: tuple[tuple[Table, int], ...]  # a change of the table in week W: W ± spread


TRANSACTIONS_ROLLUP = Rollup(
    table=TX_ROLLUP,
    version=1,
    sql=rollup_sql,
    rows=(TRANSACTIONS,),
    sources=(
        Source(TRANSACTIONS),
        Source(VISITS, 1, ("visit_id", "age_band", "customer_tier")),
        Source(BUSINESS_TYPES),
    ),
    triggers=((TRANSACTIONS, 0), (VISITS, 1), (BUSINESS_TYPES, EVERY_WEEK)),
)
TRIAGE_ROLLUP = Rollup(
    table=TRI_ROLLUP,
    version=1,
    sql=tri_rollup_sql,
    rows=(TRIAGE, VISITS),
    sources=(
        Source(TRIAGE, 1),
        Source(
            VISITS,
            1,
            (
                "visit_id",
                "branch_id",
                "age_band",
                "customer_tier",
                "day",
                "hour",
                "month",
                "quarter",
            ),
        ),
    ),
    triggers=((TRIAGE, 1), (VISITS, 1)),
)
ROLLUPS: tuple[Rollup, ...] = (TRANSACTIONS_ROLLUP, TRIAGE_ROLLUP)
_BY_TABLE = {r.table.name: r for r in ROLLUPS}


def rollup_of(table: Table) -> Rollup | None:
    """The rollup whose table is ``table`` (None: ``table`` holds rows)."""
    return _BY_TABLE.get(table.name)


# -- on disk ---------------------------------------------------------------------------------
_VERSION = re.compile(r"-v(\d+)-")


def file_version(path: Path | str) -> int:
    """The format version a rollup file was written in (1: its name says none)."""
    found = _VERSION.search(Path(path).name)
    return int(found.group(1)) if found else 1


def _file_name(rollup: Rollup, txid: str, n: int) -> str:
    tag = f"-v{rollup.version}" if rollup.version > 1 else ""
    return f"part-{txid}{tag}-r{n:04d}.parquet"


def _needed_weeks(store: Store, rollup: Rollup) -> set[str]:
    return {w for t in rollup.rows for w in store.weeks(t)}


def current_weeks(store: Store, rollup: Rollup) -> set[str]:
    """The weeks whose rollup on disk is of the current format."""
    weeks: dict[str, bool] = {}
    for f in store.files(rollup.table):
        week = f.parent.name.split("=", 1)[1]
        weeks[week] = weeks.get(week, True) and file_version(f) == rollup.version
    return {w for w, ok in weeks.items() if ok}


def rollup_files(
    store: Store, weeks: Iterable[str] | None, table: Table = TX_ROLLUP
) -> list[Path] | None:
    """The files of the rollup ``table`` covering ``weeks`` (None: all), or None if a week
    has none yet, or one of an older format."""
    rollup = _BY_TABLE[table.name]
    needed = _needed_weeks(store, rollup)
    if weeks is not None:
        needed &= set(weeks)
    if not needed <= current_weeks(store, rollup):
        return None
    return store.files(rollup.table, sorted(needed))


def _final_files(store: Store, tx: Transaction, table: Table, week: str | None = None) -> list[str]:
    """The files of ``table`` (of its week ``week``, for an event table) once ``tx`` commits:
    committed − removed + staged."""
    prefix = f"tables/{table.name}/" + (f"week={week}/" if week is not None else "")
    removed = set(tx.removed)
    committed = store.files(table, None if week is None else [week])
    out = [str(f) for f in committed if store.relpath(f) not in removed]
    out += [str(tx.staged_path(rel)) for rel in tx.staged if rel.startswith(prefix)]
    return out


def weeks_to_roll(store: Store, tx: Transaction, rollup: Rollup = TRANSACTIONS_ROLLUP) -> list[str]:
    """The weeks whose ``rollup`` ``tx`` changes, by its triggers: for the transactions'
    rollup the weeks with changed transactions and the weeks beside weeks with changed
    visits (a ticket may be a week before its business), and every week when the business
    catalogue changes."""
    changed = [*tx.staged, *tx.removed]
    weeks: set[str] = set()
    for table, spread in rollup.triggers:
        prefix = f"tables/{table.name}/"
        hits = [rel for rel in changed if rel.startswith(prefix)]
        if not hits:
            continue
        if spread == EVERY_WEEK:
            weeks |= _needed_weeks(store, rollup)
            continue
        for rel in hits:
            parts = rel.split("/")
            if len(parts) < 4 or not parts[2].startswith("week="):
                continue
            week = parts[2].split("=", 1)[1]
            weeks |= {shift_week(week, k) for k in range(-spread, spread + 1)}
    return sorted(weeks)


def _read(files: list[str]) -> str:
    """DuckDB's reading of ``files``, committed or staged alike: the week is given, never
    taken from a committed file's path (``week=…``), which a staged file's path lacks."""
    listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    return f"read_parquet({listed}, hive_partitioning = false)"


@dataclass
class _Job:
    """Weeks of one rollup to stage in one query: the views its SQL reads, and where each
    week's rows go."""

    rollup: Rollup
    weeks: list[str]
    views: list[str]  # CREATE VIEW statements, in order
    empties: dict[str, pa.Table]  # empty relations the views read, by name
    targets: dict[str, Path]  # by week


def _week_views(
    store: Store, tx: Transaction, rollup: Rollup, weeks: list[str]
) -> tuple[list[str], dict[str, pa.Table], list[str]]:
    """Each source as a view of its final files around ``weeks``, and the weeks among
    ``weeks`` with rows to roll up (none: nothing to stage)."""
    views: list[str] = []
    empties: dict[str, pa.Table] = {}
    found: set[str] = set()
    for source in rollup.sources:
        name, table = source.table.name, source.table
        cols = ", ".join(source.columns) if source.columns else "*"
        if table.time_column is None:
            files = _final_files(store, tx, table)
            if not files:
                return [], {}, []
            views.append(f"CREATE OR REPLACE VIEW {name} AS SELECT {cols} FROM {_read(files)}")
            continue
        around = sorted(
            {shift_week(w, k) for w in weeks for k in range(-source.spread, source.spread + 1)}
        )
        parts = []
        for w in around:
            files = _final_files(store, tx, table, w)
            if files:
                parts.append(f"SELECT {cols}, '{w}' AS week FROM {_read(files)}")
                if table in rollup.rows and w in weeks:
                    found.add(w)
        if not parts:
            from smartcounter.store.schema import file_schema

            empty = file_schema(table).empty_table()
            if source.columns:
                empty = empty.select(list(source.columns))
            empties[f"_empty_{name}"] = empty
            parts.append(f"SELECT *, CAST(NULL AS VARCHAR) AS week FROM _empty_{name}")
        views.append(f"CREATE OR REPLACE VIEW {name} AS " + " UNION ALL ".join(parts))
    return views, empties, sorted(found)


def stage_rollups(
    store: Store,
    tx: Transaction,
    weeks: list[str] | None = None,
    rollups: Iterable[Rollup] = ROLLUPS,
) -> list[str]:
    """Rewrite, inside ``tx``, every rollup of the weeks ``tx`` changes (or of ``weeks``).

    Called by the import just before it commits; returns the weeks rolled up.
    """
    return start_rollups(store, tx, weeks, rollups).wait()


def ready_rollups(done: Iterable[Table]) -> list[Rollup]:
    """The rollups whose every source and trigger is among the tables ``done``: an import
    may stage them once those tables are imported, while it imports the others."""
    names = {t.name for t in done}
    return [
        r
        for r in ROLLUPS
        if {s.table.name for s in r.sources} | {t.name for t, _ in r.triggers} <= names
    ]


# Queries run at once, each in a DuckDB of its own with one thread: one query keeps
# DuckDB's threads on one core more than it keeps both busy.
ROLLUP_WORKERS = 2
# Weeks rolled up in one query at most. A week's rollup reads the weeks beside it too
# (the visits of a ticket a week before its business), so weeks rolled up together
# share those reads: 4 weeks at once cost about 20 % less than one at a time, each
# query's memory (its hash tables of visits) about 0.4 GB. The rows of a week are the
# same whichever weeks share its query (tested), as long as a ticket lies at most a week
# from its business, which is all the rollups follow anyway (``Rollup.triggers``).
WEEKS_PER_QUERY = 4
# Queries of every rollup being staged (the transactions' and the triage's) take turns
# for those places: each holds its hash tables until it ends.
_PLACES = threading.BoundedSemaphore(ROLLUP_WORKERS)


class StagingRollups:
    """Rollups being staged in background threads (``start_rollups``)."""

    def __init__(self, jobs: list[_Job], after: Callable[[], object] | None = None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.weeks = sorted({week for job in jobs for week in job.weeks})
        workers = max(1, min(ROLLUP_WORKERS, len(jobs)))
        # The cores shared out: DuckDB's threads on one small query cost more than they give.
        threads = max(1, (os.cpu_count() or 2) // workers)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="smartcounter-rollup")
        self._futures = [
            self._pool.submit(_run_job, job, threads=threads, after=after) for job in jobs
        ]

    def wait(self) -> list[str]:
        """Wait until every file is written (raise the first error); the weeks rolled up."""
        try:
            for future in self._futures:
                future.result()
        finally:
            self.cancel()
        return self.weeks

    def cancel(self) -> None:
        """Stop: drop what has not started, wait for what has (the files are the
        transaction's, thrown away with it)."""
        for future in self._futures:
            future.cancel()
        self._pool.shutdown(wait=True)


def start_rollups(
    store: Store,
    tx: Transaction,
    weeks: list[str] | None = None,
    rollups: Iterable[Rollup] = ROLLUPS,
    *,
    after: Callable[[], object] | None = None,
) -> StagingRollups:
    """Start staging ``rollups`` (see ``stage_rollups``) in background threads.

    What each week reads and where it goes is settled here, in the calling thread, from
    the transaction as it is now: the tables the rollups read must be final already
    (``ready_rollups``). Only the queries and the writing run in the background, each
    once ``after`` (if given) has returned: other background work of the caller that
    should not hold its memory at the same time.
    """
    jobs: list[_Job] = []
    for rollup in rollups:
        todo = weeks_to_roll(store, tx, rollup) if weeks is None else sorted(set(weeks))
        for week in todo:
            for old in store.files(rollup.table, [week]):
                tx.remove(store.relpath(old))
        for group in _groups(todo, WEEKS_PER_QUERY):
            views, empties, found = _week_views(store, tx, rollup, group)
            if not found:
                continue
            targets = {
                week: tx.stage(
                    f"tables/{rollup.table.name}/week={week}/" + _file_name(rollup, tx.txid, number)
                )
                for number, week in enumerate(todo)
                if week in found
            }
            jobs.append(_Job(rollup, found, views, empties, targets))
    return StagingRollups(jobs, after)


def _groups(weeks: list[str], most: int) -> list[list[str]]:
    """``weeks`` (sorted) in runs of about equal length, at most ``most`` each."""
    if not weeks:
        return []
    count = -(-len(weeks) // most)
    size, extra = divmod(len(weeks), count)
    out, first = [], 0
    for i in range(count):
        last = first + size + (1 if i < extra else 0)
        out.append(weeks[first:last])
        first = last
    return out


def _run_job(job: _Job, *, threads: int, after: Callable[[], object] | None = None) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from smartcounter.store.schema import file_schema

    if after is not None:
        after()
    with _PLACES:
        table = _query(job, threads=threads)
    schema = file_schema(job.rollup.table)
    weeks = table.column("week")
    for week, target in job.targets.items():
        rows = table.filter(pc.equal(weeks, week)) if len(job.targets) > 1 else table
        rows = pa.Table.from_arrays(
            [rows.column(f.name).cast(f.type) for f in schema], schema=schema
        )
        pq.write_table(rows, target, compression="zstd")


def _query(job: _Job, *, threads: int) -> pa.Table:
    import duckdb

    con = duckdb.connect(config={"threads": threads})
    try:
        con.execute("SET enable_progress_bar = false")
        for name, empty in job.empties.items():
            con.register(name, empty)
        for view in job.views:
            con.execute(view)
        return con.sql(job.rollup.sql(job.weeks)).to_arrow_table()
    finally:
        con.close()


def rebuild_rollups(store: Store, *, missing_only: bool = False) -> list[str]:
    """Roll up every week of the store again, or only weeks without a rollup of the current
    format (a store written by an older version); returns the weeks rolled up."""
    rolled: set[str] = set()
    with store.writing("rollups") as tx:
        for rollup in ROLLUPS:
            weeks = _needed_weeks(store, rollup)
            if missing_only:
                weeks -= current_weeks(store, rollup)
            rolled |= set(stage_rollups(store, tx, sorted(weeks), [rollup]))
    return sorted(rolled)
