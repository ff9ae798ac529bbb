"""The workbook's mechanics: sheets, tables of rows, styles, names, and the saved file."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from smartcounter.bulletin.xlsx.archive import finish_archive, row_xml
from smartcounter.bulletin.xlsx.layout import (
    FRAME,
    HEADER_ALIGN,
    HEADER_FILL,
    HEADER_FONT,
    LINE_HEIGHT,
    MAX_WIDTH,
    PADDING,
    TOP,
    WRAP,
    Col,
    PageTexts,
    column_width,
    heading_height,
    lines,
    print_setup,
    prose_width,
    shown,
    tint_by_target,
    tone_style,
)

SHEET_NAME_LIMIT = 31

# openpyxl's write-only sheet borrows most of its attributes from the ordinary one at run
# time; its type stubs do not know that, so sheets are typed loosely here.
Sheet = Any


@dataclass(frozen=True)
class Table:
    """Where a table landed: its range with the heading row, and its data rows."""

    ref: str
    first_row: int
    last_row: int  # equals first_row - 1 for a table without rows

    @property
    def rows(self) -> int:
        """The number of data rows."""
        return self.last_row - self.first_row + 1


class Book:
    """A write-only workbook whose data rows are written as XML (see ``row_xml``)."""

    def __init__(self, page: PageTexts, target: float) -> None:
        self.wb = Workbook(write_only=True)
        self.page = page
        self.target = target
        self.names: set[str] = set()
        # Data rows as sheet XML by sheet title, written into the saved file.
        self.rows: dict[str, list[str]] = {}
        self.styles: dict[tuple[str | None, str | None, bool, bool], int] = {}

    def sheet(self, title: str) -> Sheet:
        """A new sheet named ``title`` (cut to Excel's limit, made unique)."""
        name = _sheet_name(title)
        base, n = name, 2
        while name in self.names:
            suffix = f" ({n})"
            name = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
            n += 1
        self.names.add(name)
        ws: Sheet = self.wb.create_sheet(name)
        return ws

    def style(
        self,
        ws: Sheet,
        fmt: str | None,
        tone: str | None = None,
        wrap: bool = False,
        framed: bool = True,
    ) -> int:
        """The workbook's style number of a table cell: number format, a status tone's
        fill, wrapping, and a thin frame (the printed grid of a table, and only of it)."""
        key = (fmt, tone, wrap, framed)
        if key not in self.styles:
            cell = WriteOnlyCell(ws, 0)
            if fmt is not None:
                cell.number_format = fmt
            if tone is not None:
                cell.fill, cell.font = tone_style(tone)
            cell.alignment = WRAP if wrap else TOP
            if framed:
                cell.border = FRAME
            self.styles[key] = cell.style_id
        return self.styles[key]

    def table(
        self,
        ws: Sheet,
        cols: Sequence[Col],
        rows: Sequence[Any],
        *,
        freeze: str = "A2",
        name: str | None = None,
        print_table_only: bool = False,
        least: Sequence[float] = (),
    ) -> Table:
        """Heading and rows, fitted widths, a frozen heading, a filter, colours and print setup.

        ``name``: a workbook-wide name for the table's range. ``print_table_only``: the
        printed page holds the table, not the charts beside it. ``least``: the least
        widths of the first columns.
        """
        values = [[c.get(r) for c in cols] for r in rows]
        fmts = [[c.fmt_of(r) for r in rows] if c.fmt_of else None for c in cols]
        texts = [_texts([v[i] for v in values], c.fmt, fmts[i]) for i, c in enumerate(cols)]
        widths = [column_width(c.heading, texts[i]) for i, c in enumerate(cols)]
        widths = [max(w, m) for w, m in zip(widths, least, strict=False)] + widths[len(least) :]
        # A column cut short of its longest text wraps rather than hides the rest.
        wraps = [max(map(prose_width, t), default=0) + PADDING > MAX_WIDTH for t in texts]
        last_col = get_column_letter(len(cols))
        last_row = len(rows) + 1
        ref = f"A1:{last_col}{max(2, last_row)}"
        self.lay_out(ws, [c.heading for c in cols], widths, freeze=freeze, ref=ref)
        if print_table_only:
            ws.print_area = ref
        out = self.rows.setdefault(ws.title, [])
        # Rows with a wrapped cell are as high as its lines: not every reader recomputes it.
        wrapped = [(i, widths[i] - PADDING) for i, w in enumerate(wraps) if w]
        plain = [self.style(ws, c.fmt, wrap=w) for c, w in zip(cols, wraps, strict=True)]
        # Columns whose style differs by row: a status's tone, or a format of its own.
        varied = [i for i, c in enumerate(cols) if c.tone is not None or c.fmt_of is not None]
        for j, (row, vals) in enumerate(zip(rows, values, strict=True)):
            styles = list(plain)
            for i in varied:
                col, f = cols[i], fmts[i]
                tone = col.tone(row) if col.tone is not None else None
                styles[i] = self.style(ws, f[j] if f else col.fmt, tone, wraps[i])
            most = max(
                (lines(shown(vals[i], cols[i].fmt), width, prose_width) for i, width in wrapped),
                default=1,
            )
            height = LINE_HEIGHT * most + 4 if most > 1 else None
            out.append(row_xml(j + 2, vals, styles, height))
        if rows:
            tinted = [i for i, c in enumerate(cols) if c.against_target]
            for first, last in _runs(tinted):
                start, end = get_column_letter(first + 1), get_column_letter(last + 1)
                tint_by_target(ws, f"{start}2:{end}{last_row}", f"{start}2", self.target)
        if name:
            self.define(name, ws, ref)
        return Table(ref=ref, first_row=2, last_row=last_row)

    def lay_out(
        self, ws: Sheet, headings: Sequence[str], widths: Sequence[float], *, freeze: str, ref: str
    ) -> None:
        """Widths, frozen panes, filter, print setup and the heading row of a sheet."""
        for i, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = freeze
        ws.auto_filter.ref = ref
        print_setup(ws, sum(widths), self.page, title_rows="1:1")
        ws.row_dimensions[1].height = heading_height(headings, widths)
        ws.append([self._heading(ws, h) for h in headings])

    def notes(
        self, ws: Sheet, first_row: int, texts: Sequence[str], width: float, span: int
    ) -> None:
        """Sentences below a table, each wrapped over the first ``span`` columns."""
        out = self.rows.setdefault(ws.title, [])
        style = self.style(ws, None, wrap=True, framed=False)
        last = get_column_letter(span)
        for number, text in enumerate(texts, first_row):
            height = LINE_HEIGHT * lines(text, width - PADDING, prose_width) + 4
            out.append(row_xml(number, [text], [style], height=height))
            ws.merged_cells.add(f"A{number}:{last}{number}")

    def define(self, name: str, ws: Sheet, ref: str) -> None:
        """A workbook-wide name for a range of ``ws`` (for formulas and Go To)."""
        start, end = ref.split(":")
        absolute = ":".join(_absolute(part) for part in (start, end))
        self.wb.defined_names.add(
            DefinedName(name, attr_text=f"{quote_sheetname(ws.title)}!{absolute}")
        )

    def save(self, target: Path, moment: datetime, *, title: str, language: str) -> Path:
        """Write the workbook to ``target``, dated ``moment`` (the same on every run)."""
        props = self.wb.properties
        props.created = props.modified = moment
        props.creator = "smartcounter"
        props.title = title
        props.language = language
        buffer = BytesIO()
        self.wb.save(buffer)
        target.write_bytes(finish_archive(buffer.getvalue(), moment, self.rows))
        return target

    @staticmethod
    def _heading(ws: Sheet, text: str) -> Cell:
        cell = WriteOnlyCell(ws, text)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        cell.border = FRAME
        return cell


def _texts(values: Sequence[Any], fmt: str | None, fmts: Sequence[str | None] | None) -> set[str]:
    """The texts a column shows that may be its widest: every distinct text, and of its
    numbers only the largest and the smallest (the widest of each sign), for speed."""
    if fmts is not None:
        return {shown(v, f) for v, f in zip(values, fmts, strict=True)}
    out: set[str] = set()
    numbers: list[float] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float):
            if v is not None:
                out.add(str(v))
        elif math.isfinite(v):
            numbers.append(v)
    if numbers:
        out |= {shown(min(numbers), fmt), shown(max(numbers), fmt)}
    return out


def _sheet_name(title: str) -> str:
    """``title`` as a sheet's name: without the characters Excel forbids, and within its
    limit — a trailing aside in brackets dropped first, then what follows a colon (the
    name is what comes before it), and only then cut at a word's end. (The bulletin's
    own sheets have short names of their own: this is for a title no one shortened.)"""
    name = " ".join(title.split())
    if len(name) > SHEET_NAME_LIMIT:
        name = re.sub(r"\s*[(（][^()（）]*[)）]$", "", name)
    if len(name) > SHEET_NAME_LIMIT:
        head = re.split(r"\s*[:：]\s*", name, maxsplit=1)[0]
        name = head or name
    name = " ".join("".join(ch for ch in name if ch not in "[]:*?/\\").split())
    if len(name) > SHEET_NAME_LIMIT:
        cut = name[:SHEET_NAME_LIMIT]
        space = cut.rfind(" ")
        name = cut[:space] if space > SHEET_NAME_LIMIT // 2 else cut
    return name.rstrip(" ,;·-–—")


def _runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending numbers as runs of consecutive ones: [1, 2, 3, 6] -> [(1, 3), (6, 6)]."""
    out: list[tuple[int, int]] = []
    for n in numbers:
        if out and out[-1][1] == n - 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def _absolute(cell: str) -> str:
    letters = cell.rstrip("0123456789")
    return f"${letters}${cell[len(letters) :]}"
