"""The engine interface: run one SQL text over the store's tables, get Arrow back."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from smartcounter.canonical.tables import TABLES, Table
from smartcounter.metrics.period import shift_week
from smartcounter.metrics.rollups import ROLLUPS, rollup_files, rollup_of
from smartcounter.store.layout import Store

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Scan:
    """The files a query may read for one table (all of them when ``weeks`` is None)."""

    table: Table
    weeks: tuple[str, ...] | None


class Engine(Protocol):
    """Runs the metrics SQL; one implementation per engine (DuckDB, Spark)."""

    name: str
    store: Store

    def run(self, sql: str, weeks: Sequence[str] | None) -> pa.Table:
        """Run ``sql`` over the store, reading only ``weeks`` of the event tables (None: all)."""
        ...

    def close(self) -> None:
        """Release the engine's resources."""
        ...


def scans(weeks: Sequence[str] | None) -> list[Scan]:
    """What each table contributes to a query over ``weeks``.

    Visits and triage are joined to transactions by visit id; a ticket may be taken in the
    week before its transaction (Sunday evening), so they are read one week wider.
    """
    if weeks is None:
        return [*(Scan(t, None) for t in TABLES), *(Scan(r.table, None) for r in ROLLUPS)]
    wanted = tuple(sorted(set(weeks)))
    wider = tuple(
        sorted(
            set(wanted) | {shift_week(w, -1) for w in wanted} | {shift_week(w, 1) for w in wanted}
        )
    )
    out = []
    for table in TABLES:
        if table.time_column is None:
            out.append(Scan(table, None))
        elif table.name == "transactions":
            out.append(Scan(table, wanted))
        else:
            out.append(Scan(table, wider))
    # Last: where it must be computed, a rollup reads the views above.
    out += [Scan(r.table, wanted) for r in ROLLUPS]
    return out


def view_source(store: Store, scan: Scan) -> tuple[list[Path], str | None]:
    """How an engine makes the view of ``scan``: its files; for a rollup without one of the
    current format on disk for one of the weeks, the rollup's own SQL over the rows (run by
    the engine over the views made before it) instead."""
    rollup = rollup_of(scan.table)
    if rollup is None:
        return store.files(scan.table, scan.weeks), None
    files = rollup_files(store, scan.weeks, rollup.table)
    if files is None:
        return [], rollup.sql(scan.weeks)
    return files, None


# Every name a view may have: base tables and rollups.
_VIEW_NAME = re.compile(
    r"\b(" + "|".join(sorted({t.name for t in TABLES} | {r.table.name for r in ROLLUPS})) + r")\b"
)


def names_in(sql: str) -> set[str]:
    """The table and rollup names that ``sql`` mentions (a name in a comment or a string
    counts too: one view too many costs a little, one too few would fail)."""
    return set(_VIEW_NAME.findall(sql))


def views_for(
    store: Store, sql: str, weeks: Sequence[str] | None
) -> list[tuple[Scan, list[Path], str | None]]:
    """The views ``sql`` reads over ``weeks``, in the order to make them: each scan with its
    ``view_source``. Only tables the SQL names, and those that a rollup computed from rows
    reads in turn: making a view over files reads their footers, which costs more than a
    short query itself."""
    wanted = names_in(sql)
    plan: list[tuple[Scan, list[Path], str | None]] = []
    for scan in reversed(scans(weeks)):  # rollups come last and read what comes before
        if scan.table.name not in wanted:
            continue
        files, computed = view_source(store, scan)
        if computed is not None:
            wanted |= names_in(computed)
        plan.append((scan, files, computed))
    plan.reverse()
    return plan
