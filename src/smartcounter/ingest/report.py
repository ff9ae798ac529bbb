"""What an import did, file by file, and the rejected rows with their reasons."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FileReport:
    """Counts for one imported file; ``read = imported + updated + skipped + rejected``."""

    file: str
    table: str
    read: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    unresolved: int = 0
    encoding: str = "utf-8"
    ignored_columns: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        keys = ("file", "table", "read", "imported", "updated", "skipped", "rejected", "unresolved")
        body = asdict(self)
        return {k: body[k] for k in keys}


@dataclass(frozen=True)
class Reject:
    """One rejected row: where it is, the column at fault, its value and why."""

    file: str
    line: int
    column: str
    value: str
    reason: str


REJECT_HEADER = ("file", "line", "column", "value", "reason")


def rejects_csv(rejects: list[Reject]) -> bytes:
    """The rejects as CSV (UTF-8, header ``file,line,column,value,reason``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REJECT_HEADER)
    for r in sorted(rejects, key=lambda r: (r.file, r.line)):
        writer.writerow((r.file, r.line, r.column, r.value, r.reason))
    return buffer.getvalue().encode("utf-8")


@dataclass
class ImportReport:
    """The whole import: a report per file, the rejects file, notes for the user."""

    files: list[FileReport]
    rejects_path: str | None = None
    notes: list[str] = field(default_factory=list)
    txid: str | None = None

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def as_json(self) -> dict[str, Any]:
        return {"files": [f.as_json() for f in self.files], "rejects": self.rejects_path}
