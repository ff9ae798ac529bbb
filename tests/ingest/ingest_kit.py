"""Canonical rows for the import tests: files the way a bank's export script writes them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import polars as pl

from smartcounter.ingest.report import FileReport, ImportReport

# The fixtures' types (conftest.py makes them).
Ingest = Callable[..., ImportReport]
WriteFolder = Callable[..., Path]
ReadRejects = Callable[[str | Path], list[dict[str, str]]]
TableRows = Callable[[Path, str], pl.DataFrame]
Snapshot = Callable[[Path], dict[str, str]]
Stored = Callable[[str], pl.DataFrame]


class CliOutcome(Protocol):
    """What a run of the command line did (``run_cli``)."""

    exit_code: int
    stdout: str
    stderr: str


RunCli = Callable[..., CliOutcome]

BRANCHES = """branch_id,name,region,branch_type,staff_count,smart_counters,teller_windows
B001,丹阳新市口支行,镇江,urban,12,2,4
B002,句容支行,镇江,county,8,1,3
"""

STAFF = """staff_id,branch_id,name,role
S01,B001,张三,teller
S02,B001,李四,stm_specialist
S03,B002,王五,lobby_manager
"""

VISITS_HEADER = (
    "visit_id,branch_id,issued_at,ticket_no,intent,customer_id,age_band,customer_tier,"
    "called_at,finished_at\n"
)
TXN_HEADER = (
    "txn_id,branch_id,ts,business_code,channel,staff_id,visit_id,customer_id,reason,duration_s\n"
)
TRIAGE_HEADER = "visit_id,stage,staff_id,ts,outcome,reason\n"

# A transaction every check accepts; tests change one field of it at a time.
GOOD_TXN = {
    "txn_id": "T1",
    "branch_id": "B001",
    "ts": "2018-03-05 09:00:00",
    "business_code": "card_open",
    "channel": "stm",
    "staff_id": "S01",
    "visit_id": "",
    "customer_id": "C1",
    "reason": "",
    "duration_s": "120",
}


def txns(*rows: str) -> str:
    """A transactions.csv from rows written as CSV lines."""
    return TXN_HEADER + "".join(r + "\n" for r in rows)


def txn(**changes: str) -> str:
    """One transactions.csv line: ``GOOD_TXN`` with ``changes``."""
    row = {**GOOD_TXN, **changes}
    return ",".join(row[c] for c in GOOD_TXN)


def visits(*rows: str) -> str:
    """A visits.csv from rows written as CSV lines."""
    return VISITS_HEADER + "".join(r + "\n" for r in rows)


def triage(*rows: str) -> str:
    """A triage.csv from rows written as CSV lines."""
    return TRIAGE_HEADER + "".join(r + "\n" for r in rows)


def file_report(report: ImportReport, table: str, index: int = 0) -> FileReport:
    """The report of the ``index``-th file of ``table`` in an import."""
    return [f for f in report.files if f.table == table][index]


def accounted(report: FileReport) -> bool:
    """Whether every row read was imported, updated, skipped or rejected."""
    return report.read == report.imported + report.updated + report.skipped + report.rejected
