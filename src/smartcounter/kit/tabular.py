"""Print rows as a terminal table, CSV or JSON: the three output formats of every command."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TextIO


class OutputFormat(StrEnum):
    """How a command prints its rows."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class ReportFormat(StrEnum):
    """How a command prints a report that is no list of rows (an import's counts)."""

    TABLE = "table"
    JSON = "json"


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def write_csv(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None
) -> None:
    """CSV with a header; undefined values are empty."""
    out = out or sys.stdout
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    rows = rows if isinstance(rows, list | tuple) else list(rows)  # read twice below
    if _written_as_they_are(rows):
        writer.writerows(rows)
    else:
        writer.writerows([_csv_cell(v) for v in row] for row in rows)


# Values the csv module writes as ``_csv_cell`` would: None as empty, a date as ISO text.
_AS_THEY_ARE = frozenset({str, int, bool, type(None), date})


def _written_as_they_are(rows: Sequence[Sequence[Any]]) -> bool:
    """Whether no cell of ``rows`` needs converting, judged a column at a time (in C, not
    cell by cell): the column's kinds are plain, and its floats, if any, are all finite (a
    sum of doubles is finite only if every one is; an overflow just takes the long way)."""
    if len(set(map(len, rows))) > 1:
        return False  # ragged rows: cell by cell
    for column in zip(*rows, strict=True):
        kinds = set(map(type, column))
        if float in kinds:
            kinds.discard(float)
            try:
                total = sum(filter(None, column))  # None and zeros left out
                if not math.isfinite(total):
                    return False
            except (TypeError, OverflowError):  # text among the numbers, or a vast integer
                return False
        if not kinds <= _AS_THEY_ARE:
            return False
    return True


def _csv_cell(value: Any) -> Any:
    """A value as CSV writes it: text and integers as they are (most cells), else plain."""
    kind = type(value)
    if kind is str or kind is int:
        return value
    plain = _plain(value)
    return "" if plain is None else plain


def write_json(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None
) -> None:
    """A JSON array of objects; undefined values are null."""
    out = out or sys.stdout
    body = [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    json.dump(body, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    headers: Sequence[str] | None = None,
    formatters: dict[str, Callable[[Any], str]] | None = None,
    title: str | None = None,
    out: TextIO | None = None,
) -> None:
    """A readable table for people; numbers right-aligned, undefined shown as —."""
    out = out or sys.stdout
    from rich.console import Console
    from rich.table import Table

    formatters = formatters or {}
    table = Table(title=title, show_lines=False, header_style="bold")
    for i in range(len(columns)):
        numeric = any(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in rows)
        table.add_column((headers or columns)[i], justify="right" if numeric else "left")
    for row in rows:
        cells = []
        for name, value in zip(columns, row, strict=True):
            if _plain(value) is None:
                cells.append("—")
            elif name in formatters:
                cells.append(formatters[name](value))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    Console(file=out, width=200 if not out.isatty() else None).print(table)


def write_rows(
    fmt: OutputFormat,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    **table_options: Any,
) -> None:
    """Print ``rows`` in ``fmt``."""
    if fmt is OutputFormat.CSV:
        write_csv(columns, rows)
    elif fmt is OutputFormat.JSON:
        write_json(columns, rows)
    else:
        write_table(columns, rows, **table_options)
