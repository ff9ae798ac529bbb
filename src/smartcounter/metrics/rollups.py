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

``rollup_sql()`` is the one definition: the import runs it on the week's final files and
writes the answer to ``tables/tx_rollup/week=W/``, in the same transaction as the rows
(``stage_rollups``); an engine reading a week that has no rollup yet (a store written by an
older version) runs the very same SQL over the rows instead (``rollup_files`` returns
None). Either way the figures' SQL in ``definitions.py`` reads one relation, ``tx_rollup``.
Distinct customers and visits are not additive and keep reading rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from smartcounter.canonical.tables import TRANSACTIONS, Column, Kind, Table, TableKind
from smartcounter.metrics.period import shift_week

if TYPE_CHECKING:
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
    """The set that answers a figure grouped by ``by_columns`` (None: read the rows).

    ``by_columns`` are the transaction-level columns the figure groups or slices by
    (branch-level ones — branch, type, region, week, month, quarter — are in every set);
    ``day_filter``: the period is cut by date, which only the totals set can follow.
    """
    wanted = {c for c in by_columns if c not in ("branch_id", "week", "month", "quarter")}
    if not wanted or wanted == {"day"}:
        return ""
    if day_filter:
        return None
    for dim, sliced in SETS.items():
        if dim and wanted <= set(sliced):
            return dim
    return None


# -- on disk ---------------------------------------------------------------------------------
def rollup_files(store: Store, weeks: Iterable[str] | None) -> list[Path] | None:
    """The rollup files covering ``weeks`` (None: all), or None if a week has none yet."""
    have = set(store.weeks(TX_ROLLUP))
    with_rows = set(store.weeks(TRANSACTIONS))
    needed = with_rows if weeks is None else with_rows & set(weeks)
    if not needed <= have:
        return None
    return store.files(TX_ROLLUP, sorted(needed))


def _final_files(store: Store, tx: Transaction, table: Table, week: str | None = None) -> list[str]:
    """The files of ``table`` (of its week ``week``, for an event table) once ``tx`` commits:
    committed − removed + staged."""
    prefix = f"tables/{table.name}/" + (f"week={week}/" if week is not None else "")
    removed = set(tx.removed)
    committed = store.files(table, None if week is None else [week])
    out = [str(f) for f in committed if store.relpath(f) not in removed]
    out += [str(tx.staged_path(rel)) for rel in tx.staged if rel.startswith(prefix)]
    return out


def weeks_to_roll(store: Store, tx: Transaction) -> list[str]:
    """The weeks whose rollup ``tx`` changes: weeks with changed transactions, and the
    weeks beside weeks with changed visits (a ticket may be a week before its business);
    every week when the business catalogue changes."""
    changed = [*tx.staged, *tx.removed]
    if any(rel.startswith("tables/business_types/") for rel in changed):
        weeks = set(store.weeks(TRANSACTIONS))
    else:
        weeks = set()
    for rel in changed:
        parts = rel.split("/")
        if len(parts) < 4 or not parts[2].startswith("week="):
            continue
        week = parts[2].split("=", 1)[1]
        if parts[1] == "transactions":
            weeks.add(week)
        elif parts[1] == "visits":
            weeks |= {shift_week(week, -1), week, shift_week(week, 1)}
    return sorted(weeks)


def _listed(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def stage_rollups(store: Store, tx: Transaction, weeks: list[str] | None = None) -> list[str]:
    """Rewrite, inside ``tx``, the rollup of ``weeks`` (default: those ``tx`` changes).

    Called by the import just before it commits; returns the weeks rolled up.
    """
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from smartcounter.canonical.tables import BUSINESS_TYPES, VISITS
    from smartcounter.store.schema import file_schema

    if weeks is None:
        weeks = weeks_to_roll(store, tx)
    if not weeks:
        return []
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    schema = file_schema(TX_ROLLUP)
    bt_files = _final_files(store, tx, BUSINESS_TYPES)
    if not bt_files:
        return []
    con.execute(f"CREATE VIEW business_types AS SELECT * FROM read_parquet({_listed(bt_files)})")
    rolled: list[str] = []
    for n, week in enumerate(weeks):
        for old in store.files(TX_ROLLUP, [week]):
            tx.remove(store.relpath(old))
        tx_files = _final_files(store, tx, TRANSACTIONS, week)
        if not tx_files:
            continue
        visit_files = [
            f
            for w in (shift_week(week, -1), week, shift_week(week, 1))
            for f in _final_files(store, tx, VISITS, w)
        ]
        con.execute(
            "CREATE OR REPLACE VIEW transactions AS "
            f"SELECT *, '{week}' AS week FROM read_parquet({_listed(tx_files)})"
        )
        if visit_files:
            con.execute(
                "CREATE OR REPLACE VIEW visits AS SELECT visit_id, age_band, customer_tier "
                f"FROM read_parquet({_listed(visit_files)})"
            )
        else:
            con.execute(
                "CREATE OR REPLACE VIEW visits AS SELECT CAST(NULL AS VARCHAR) AS visit_id, "
                "CAST(NULL AS VARCHAR) AS age_band, CAST(NULL AS VARCHAR) AS customer_tier "
                "WHERE 1 = 0"
            )
        table = con.sql(rollup_sql()).to_arrow_table()
        table = pa.Table.from_arrays(
            [table.column(f.name).cast(f.type) for f in schema], schema=schema
        )
        rel = f"tables/{ROLLUP}/week={week}/part-{tx.txid}-r{n:04d}.parquet"
        pq.write_table(table, tx.stage(rel), compression="zstd")
        rolled.append(week)
    con.close()
    return rolled


def rebuild_rollups(store: Store, *, missing_only: bool = False) -> list[str]:
    """Roll up every week of the store again, or only weeks without a rollup (a store
    written before rollups existed); returns the weeks rolled up."""
    with store.writing("rollups") as tx:
        weeks = store.weeks(TRANSACTIONS)
        if missing_only:
            have = set(store.weeks(TX_ROLLUP))
            weeks = [w for w in weeks if w not in have]
        return stage_rollups(store, tx, weeks) if weeks else []
