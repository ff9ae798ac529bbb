"""The bulletin as an Excel workbook: a sheet per section, real numbers, native charts.

Rates are fractions with a percentage format, changes are numbers of percentage points,
counts are integers: an analyst can sort, filter and recompute. Each sheet has a frozen
header row and a filter; the charts are Excel's own (bar and line), drawn from the cells.
The file is byte-for-byte reproducible: fixed document dates and zip entry times.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from io import BytesIO
from operator import itemgetter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from smartcounter.bulletin.content import BranchRow, BulletinContent, Pareto, Series, Triage
from smartcounter.bulletin.formats import Formats, capital
from smartcounter.bulletin.sections import CellKind, SectionTable
from smartcounter.bulletin.words import Words
from smartcounter.i18n import Lang
from smartcounter.settings import BulletinSettings

PERCENT = "0.0%"
POINTS = "+0.0;-0.0;0.0"
COUNT = "#,##0"
DECIMAL = "#,##0.0"
TEXT = "@"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_ALIGN = Alignment(vertical="center", wrap_text=True)
TITLE_FONT = Font(bold=True, size=14, color="1F4E79")
RULE = Border(bottom=Side(style="thin", color="1D2733"))
# Zip entries carry a time; one fixed time keeps equal content equal bytes.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
SHEET_NAME_LIMIT = 31


@dataclass(frozen=True)
class Col:
    """A column: heading, number format, width, and how to read a value from a row."""

    heading: str
    fmt: str | None
    width: float
    get: Callable[[Any], Any]


# openpyxl's write-only sheet borrows most of its attributes from the ordinary one at run
# time; its type stubs do not know that, so sheets are typed loosely here.
Sheet = Any


def _header(ws: Sheet, headings: Sequence[str]) -> list[Any]:
    out = []
    for h in headings:
        c = WriteOnlyCell(ws, h)
        c.font, c.fill, c.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        out.append(c)
    return out


_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _row_xml(number: int, values: Sequence[Any], styles: Sequence[int]) -> str:
    """One sheet row as SpreadsheetML, as openpyxl's write-only mode writes it.

    Written here because openpyxl spends some fifteen microseconds on every cell: seven
    of the nine seconds of a 1,000-branch workbook. Numbers carry the style number of
    their format; text is an inline string; None and NaN leave the cell empty.
    """
    cells = []
    for col, (value, style) in enumerate(zip(values, styles, strict=True)):
        if value is None:
            continue
        ref = f"{_LETTERS[col]}{number}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            text = _ILLEGAL.sub("", str(value))
            space = ' xml:space="preserve"' if text != text.strip() else ""
            cells.append(
                f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(text, quote=False)}</t></is></c>'
            )
        elif isinstance(value, float) and not math.isfinite(value):
            continue
        else:
            s_attr = f' s="{style}"' if style else ""
            cells.append(f'<c r="{ref}"{s_attr} t="n"><v>{value!r}</v></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


_LETTERS = [get_column_letter(i) for i in range(1, 61)]


class _Writer:
    """Writes one content model as sheets of a write-only workbook."""

    def __init__(self, content: BulletinContent, config: BulletinSettings) -> None:
        self.c = content
        self.config = config
        self.f = Formats(content.lang)
        self.t = self.f.t
        self.words = Words(content, self.f)
        self.wb = Workbook(write_only=True)
        self.names: set[str] = set()
        # Data rows as sheet XML by sheet title, written into the saved file (see _row_xml).
        self.rows: dict[str, list[str]] = {}
        self.styles: dict[str, int] = {}

    def sheet(self, title: str) -> Sheet:
        name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:SHEET_NAME_LIMIT]
        base, n = name, 2
        while name in self.names:
            suffix = f" ({n})"
            name = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
            n += 1
        self.names.add(name)
        ws: Sheet = self.wb.create_sheet(name)
        return ws

    def table(
        self,
        ws: Sheet,
        cols: Sequence[Col],
        rows: Sequence[Any],
        *,
        freeze: str = "A2",
    ) -> int:
        """Header, rows, widths, frozen header and a filter; returns the number of rows."""
        for i, col in enumerate(cols, 1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.freeze_panes = freeze
        last = get_column_letter(len(cols))
        ws.auto_filter.ref = f"A1:{last}{max(1, len(rows)) + 1}"
        ws.append(_header(ws, [c.heading for c in cols]))
        styles = [self.style_id(ws, c.fmt) for c in cols]
        out = self.rows.setdefault(ws.title, [])
        for number, row in enumerate(rows, 2):
            out.append(_row_xml(number, [c.get(row) for c in cols], styles))
        return len(rows)

    def style_id(self, ws: Sheet, fmt: str | None) -> int:
        """The workbook's style number of a number format (registered on first use)."""
        if fmt is None:
            return 0
        if fmt not in self.styles:
            cell = WriteOnlyCell(ws, 0)
            cell.number_format = fmt
            self.styles[fmt] = cell.style_id
        return self.styles[fmt]

    # -- sheets --------------------------------------------------------------------------
    def summary(self) -> None:
        c, h, t, f = self.c, self.c.headline, self.t, self.f
        ws = self.sheet(t("bulletin.sheet.summary"))
        items: list[tuple[str, Any, str | None]] = [
            (t("bulletin.title.document"), self.words.scope_title(), None),
            (t("bulletin.sheet.week_label"), c.week, None),
            (t("bulletin.sheet.dates"), f.date_range(c.week_start, c.week_end), None),
            (t("bulletin.sheet.target"), c.target, PERCENT),
            (t("bulletin.kpi.rate"), h.rate.rate, PERCENT),
            (t("bulletin.sheet.ci_low"), h.rate.ci_low, PERCENT),
            (t("bulletin.sheet.ci_high"), h.rate.ci_high, PERCENT),
            (t("bulletin.sheet.previous_rate"), h.previous_rate, PERCENT),
            (t("bulletin.col.change"), h.change_pp, POINTS),
            (t("bulletin.sheet.branches_listed"), h.branches_listed, COUNT),
            (t("bulletin.sheet.branches_reporting"), h.branches_reporting, COUNT),
            (t("bulletin.col.at_target"), h.at_target, COUNT),
            (t("bulletin.kpi.at_target", target=f.pct(c.target, 0)), h.share_at_target, PERCENT),
            (t("bulletin.sheet.shortfall"), h.shortfall, COUNT),
            (t("bulletin.kpi.migratable"), h.rate.migratable, COUNT),
            (t("bulletin.sheet.migrated"), h.rate.migrated, COUNT),
            (t("bulletin.kpi.tickets"), h.tickets, COUNT),
            (t("bulletin.col.daily_tickets"), h.daily_tickets, DECIMAL),
            (t("bulletin.sheet.visit_rate"), h.visit_rate.rate if h.visit_rate else None, PERCENT),
            (t("bulletin.sheet.generated"), f.moment(c.generated_at), None),
        ]
        cols = [
            Col(t("bulletin.sheet.item"), None, 34, lambda r: r[0]),
            Col(t("bulletin.sheet.value"), None, 22, lambda r: r[1]),
        ]
        for i, col in enumerate(cols, 1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:B{len(items) + 1}"
        ws.append(_header(ws, [col.heading for col in cols]))
        out = self.rows.setdefault(ws.title, [])
        for number, (label, value, fmt) in enumerate(items, 2):
            out.append(_row_xml(number, [label, value], [0, self.style_id(ws, fmt)]))
        # The key messages, below the figures (after an empty row), as a reader's summary.
        first = len(items) + 3
        for number, sentence in enumerate(self.words.key_messages(), first):
            out.append(_row_xml(number, [sentence], [0]))

    def groups(self) -> None:
        t = self.t
        ws = self.sheet(t("bulletin.title.groups"))
        cols = [
            Col(t("bulletin.col.group"), None, 18, lambda g: g.label),
            Col(t("bulletin.col.rate"), PERCENT, 10, lambda g: g.rate.rate),
            Col(t("bulletin.sheet.ci_low"), PERCENT, 10, lambda g: g.rate.ci_low),
            Col(t("bulletin.sheet.ci_high"), PERCENT, 10, lambda g: g.rate.ci_high),
            Col(t("bulletin.sheet.previous_rate"), PERCENT, 10, lambda g: g.previous_rate),
            Col(t("bulletin.col.change"), POINTS, 10, lambda g: g.change_pp),
            Col(t("bulletin.col.branches"), COUNT, 9, lambda g: g.branches_reporting),
            Col(t("bulletin.col.at_target"), COUNT, 9, lambda g: g.at_target),
            Col(
                t("bulletin.kpi.at_target", target=self.f.pct(self.c.target, 0)),
                PERCENT,
                12,
                lambda g: g.share_at_target,
            ),
            Col(t("bulletin.col.migratable"), COUNT, 11, lambda g: g.rate.migratable),
            Col(t("bulletin.sheet.migrated"), COUNT, 11, lambda g: g.rate.migrated),
        ]
        n = self.table(ws, cols, self.c.groups)
        if n:
            chart = BarChart()
            chart.type = "bar"
            chart.title = t("bulletin.title.groups")
            chart.add_data(
                Reference(ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True
            )
            chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
            _axes(chart, y_format="0%")
            chart.y_axis.scaling.min = 0
            chart.y_axis.scaling.max = 1
            chart.legend = None
            chart.height, chart.width = 7, 16
            ws.add_chart(chart, "B9")

    def ranking(self) -> None:
        t, words = self.t, self.words
        ws = self.sheet(t("bulletin.sheet.ranking"))
        rows = sorted(
            self.c.branches,
            key=lambda r: (r.network_rank is None, r.network_rank or 0, r.branch_id),
        )
        cols = [
            Col(t("bulletin.col.network_rank"), COUNT, 9, lambda r: r.network_rank),
            Col(t("bulletin.col.group"), None, 14, lambda r: t(f"bulletin.group.{r.branch_type}")),
            Col(t("bulletin.col.rank"), COUNT, 9, lambda r: r.peer_rank),
            Col(t("bulletin.sheet.branch_id"), None, 12, lambda r: r.branch_id),
            Col(t("bulletin.col.branch"), None, 28, lambda r: r.name),
            Col(t("bulletin.sheet.region"), None, 10, lambda r: r.region),
            Col(t("bulletin.col.rate"), PERCENT, 9, lambda r: r.rate.rate),
            Col(t("bulletin.sheet.ci_low"), PERCENT, 9, lambda r: r.rate.ci_low),
            Col(t("bulletin.sheet.ci_high"), PERCENT, 9, lambda r: r.rate.ci_high),
            Col(t("bulletin.col.shrunk"), PERCENT, 10, lambda r: r.shrunk_rate),
            Col(t("bulletin.sheet.shrunk_low"), PERCENT, 10, lambda r: r.shrunk_low),
            Col(t("bulletin.sheet.shrunk_high"), PERCENT, 10, lambda r: r.shrunk_high),
            Col(t("bulletin.sheet.previous_rate"), PERCENT, 10, lambda r: r.previous_rate),
            Col(t("bulletin.col.change"), POINTS, 10, lambda r: r.change_pp),
            Col(t("bulletin.col.migratable"), COUNT, 10, lambda r: r.rate.migratable),
            Col(t("bulletin.sheet.migrated"), COUNT, 10, lambda r: r.rate.migrated),
            Col(t("bulletin.sheet.shortfall"), COUNT, 10, lambda r: r.shortfall),
            Col(t("bulletin.sheet.tickets"), COUNT, 9, lambda r: r.tickets),
            Col(t("bulletin.col.daily_tickets"), DECIMAL, 9, lambda r: r.daily_tickets),
            Col(t("bulletin.col.staff"), COUNT, 7, lambda r: r.staff_count),
            Col(t("bulletin.col.smart_counters"), COUNT, 9, lambda r: r.smart_counters),
            Col(t("bulletin.col.standing"), None, 16, words.standing),
        ]
        self.table(ws, cols, rows, freeze="F2")

    def named(self) -> None:
        t, words = self.t, self.words
        ws = self.sheet(t("bulletin.sheet.named"))
        rows: list[tuple[str, BranchRow, bool | None, str]] = []
        for g in self.c.groups:
            rows += [
                (t("bulletin.sheet.kind_benchmark"), r, None, words.how_sure_above(r))
                for r in g.benchmarks
            ]
        for g in self.c.groups:
            rows += [
                (t("bulletin.sheet.kind_help"), r, None, words.how_sure_below(r))
                for r in g.needs_help
            ]
        rows += [
            (t("bulletin.sheet.kind_riser"), m.row, m.beyond_noise, "") for m in self.c.movers_up
        ]
        rows += [
            (t("bulletin.sheet.kind_faller"), m.row, m.beyond_noise, "") for m in self.c.movers_down
        ]
        yes, no = t("bulletin.label.yes"), t("bulletin.label.within_noise")
        cols = [
            Col(t("bulletin.sheet.kind"), None, 12, lambda x: x[0]),
            Col(
                t("bulletin.col.group"), None, 14, lambda x: t(f"bulletin.group.{x[1].branch_type}")
            ),
            Col(t("bulletin.sheet.branch_id"), None, 12, lambda x: x[1].branch_id),
            Col(t("bulletin.col.branch"), None, 28, lambda x: x[1].name),
            Col(t("bulletin.col.rate"), PERCENT, 9, lambda x: x[1].rate.rate),
            Col(t("bulletin.sheet.ci_low"), PERCENT, 9, lambda x: x[1].rate.ci_low),
            Col(t("bulletin.sheet.ci_high"), PERCENT, 9, lambda x: x[1].rate.ci_high),
            Col(t("bulletin.col.shrunk"), PERCENT, 10, lambda x: x[1].shrunk_rate),
            Col(t("bulletin.col.migratable"), COUNT, 10, lambda x: x[1].rate.migratable),
            Col(t("bulletin.sheet.previous_rate"), PERCENT, 10, lambda x: x[1].previous_rate),
            Col(t("bulletin.col.change"), POINTS, 10, lambda x: x[1].change_pp),
            Col(
                t("bulletin.sheet.beyond_noise"),
                None,
                10,
                lambda x: None if x[2] is None else (yes if x[2] else no),
            ),
            Col(t("bulletin.col.how_sure"), None, 60, lambda x: x[3] or None),
        ]
        self.table(ws, cols, rows, freeze="E2")

    def unmigrated(self) -> None:
        t = self.t
        ws = self.sheet(t("bulletin.sheet.unmigrated"))
        scope = self.words.scope_title()
        rows: list[tuple[str, str, Pareto, int]] = []
        blocks: list[tuple[Pareto, int]] = []
        for p in self.c.unmigrated:
            blocks.append((p, len(rows) + 2))
            rows += [(scope, "", p, i) for i in range(len(p.rows))]
        for page in self.c.pages:
            for p in page.unmigrated:
                rows += [(page.row.branch_id, page.row.name, p, i) for i in range(len(p.rows))]
        cols = [
            Col(t("bulletin.sheet.scope"), None, 12, lambda x: x[0]),
            Col(t("bulletin.col.branch"), None, 26, lambda x: x[1] or None),
            Col(
                t("bulletin.sheet.dimension"),
                None,
                12,
                lambda x: capital(t(f"bulletin.dimension.{x[2].dimension}")),
            ),
            Col(t("bulletin.sheet.position"), COUNT, 6, lambda x: x[3] + 1),
            Col(t("bulletin.sheet.item_code"), None, 20, lambda x: x[2].rows[x[3]].value),
            Col(t("bulletin.sheet.item"), None, 22, lambda x: x[2].rows[x[3]].label),
            Col(t("bulletin.sheet.item_note"), None, 22, lambda x: x[2].rows[x[3]].note),
            Col(t("bulletin.col.unmigrated"), COUNT, 10, lambda x: x[2].rows[x[3]].count),
            Col(t("bulletin.col.share"), PERCENT, 9, lambda x: x[2].rows[x[3]].share),
            Col(
                t("bulletin.col.cumulative"),
                PERCENT,
                10,
                lambda x: x[2].rows[x[3]].cumulative_share,
            ),
        ]
        self.table(ws, cols, rows, freeze="D2")
        anchor_row = 2
        for p, first in blocks:
            shown = min(len(p.rows), self.config.pareto_rows)
            if not shown:
                continue
            last = first + shown - 1
            bars = BarChart()
            bars.title = t(
                "bulletin.chart.pareto_label", dimension=t(f"bulletin.dimension.{p.dimension}")
            )
            bars.add_data(
                Reference(ws, min_col=8, min_row=first, max_row=last), titles_from_data=False
            )
            bars.set_categories(Reference(ws, min_col=6, min_row=first, max_row=last))
            bars.series[0].tx = None
            _axes(bars, y_format="#,##0")
            line = LineChart()
            line.add_data(
                Reference(ws, min_col=10, min_row=first, max_row=last), titles_from_data=False
            )
            line.y_axis.axId = 200
            line.y_axis.number_format = "0%"
            line.y_axis.scaling.min = 0
            line.y_axis.scaling.max = 1
            line.y_axis.crosses = "max"
            line.y_axis.delete = False
            bars += line
            bars.legend = None
            bars.height, bars.width = 7.5, 18
            ws.add_chart(bars, f"L{anchor_row}")
            anchor_row += 16

    def triage(self) -> None:
        t = self.t
        ws = self.sheet(t("bulletin.sheet.triage"))
        scope = self.words.scope_title()
        scoped: list[tuple[str, str, Triage]] = [(scope, "", self.c.triage)]
        scoped += [(p.row.branch_id, p.row.name, p.triage) for p in self.c.pages]
        rows = [(s, name, tri, i) for s, name, tri in scoped for i in range(len(tri.stages))]

        def reason(x: Any, i: int) -> Any:
            stage = x[2].stages[x[3]]
            return stage.reasons[i] if len(stage.reasons) > i else None

        cols = [
            Col(t("bulletin.sheet.scope"), None, 12, lambda x: x[0]),
            Col(t("bulletin.col.branch"), None, 26, lambda x: x[1] or None),
            Col(
                t("bulletin.col.stage"),
                None,
                24,
                lambda x: t(f"bulletin.stage.{x[2].stages[x[3]].stage}"),
            ),
            Col(t("bulletin.col.touches"), COUNT, 9, lambda x: x[2].stages[x[3]].touches),
            Col(t("bulletin.col.accepted"), COUNT, 9, lambda x: x[2].stages[x[3]].accepted),
            Col(t("bulletin.col.declined"), COUNT, 9, lambda x: x[2].stages[x[3]].declined),
            Col(
                t("bulletin.col.acceptance"),
                PERCENT,
                9,
                lambda x: x[2].stages[x[3]].acceptance_rate,
            ),
            Col(t("bulletin.col.top_reason"), None, 20, lambda x: (r := reason(x, 0)) and r.label),
            Col(t("bulletin.col.share"), PERCENT, 8, lambda x: (r := reason(x, 0)) and r.share),
        ]
        self.table(ws, cols, rows, freeze="D2")
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = t("bulletin.chart.funnel_label")
        chart.add_data(
            Reference(ws, min_col=5, max_col=6, min_row=1, max_row=4), titles_from_data=True
        )
        chart.set_categories(Reference(ws, min_col=3, min_row=2, max_row=4))
        _axes(chart, y_format="#,##0")
        chart.x_axis.scaling.orientation = "maxMin"
        chart.height, chart.width = 7, 18
        ws.add_chart(chart, "K2")

    def depth(self) -> None:
        t = self.t
        ws = self.sheet(t("bulletin.sheet.depth"))
        scope = self.words.scope_title()
        scoped: list[tuple[str, str, Triage]] = [(scope, "", self.c.triage)]
        scoped += [(p.row.branch_id, p.row.name, p.triage) for p in self.c.pages]
        rows = [(s, name, d) for s, name, tri in scoped for d in tri.depth]
        cols = [
            Col(t("bulletin.sheet.scope"), None, 12, lambda x: x[0]),
            Col(t("bulletin.col.branch"), None, 26, lambda x: x[1] or None),
            Col(t("bulletin.col.depth"), None, 14, lambda x: t(f"bulletin.depth.{x[2].depth}")),
            Col(t("bulletin.col.visits"), COUNT, 10, lambda x: x[2].visits),
            Col(t("bulletin.col.share"), PERCENT, 9, lambda x: x[2].share),
        ]
        self.table(ws, cols, rows, freeze="D2")

    def trend(self) -> None:
        t = self.t
        ws = self.sheet(t("bulletin.sheet.trend"))
        series = self.c.trend
        cols = [Col(t("bulletin.sheet.week"), None, 12, lambda i: self.c.trend_weeks[i])]
        for s in series:
            cols.append(Col(s.label, PERCENT, 14, _point_rate(s)))
        n = self.table(ws, cols, range(len(self.c.trend_weeks)), freeze="B2")
        chart = LineChart()
        chart.title = t("bulletin.chart.trend_label", weeks=n)
        chart.add_data(
            Reference(ws, min_col=2, max_col=len(cols), min_row=1, max_row=n + 1),
            titles_from_data=True,
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        _axes(chart, y_format="0%")
        chart.height, chart.width = 8, 18
        ws.add_chart(chart, f"{get_column_letter(len(cols) + 2)}2")

    def extra(self, table: SectionTable, section_title: str) -> None:
        ws = self.sheet(table.title or section_title)
        fmt = {
            CellKind.TEXT: None,
            CellKind.COUNT: COUNT,
            CellKind.DECIMAL: DECIMAL,
            CellKind.RATE: PERCENT,
            CellKind.POINTS: POINTS,
        }
        cols = [
            Col(
                col.label,
                fmt[col.kind],
                max(10.0, min(40.0, len(col.label) * 1.6)),
                itemgetter(i),
            )
            for i, col in enumerate(table.columns)
        ]
        self.table(ws, cols, table.rows)

    def write(self, target: Path) -> Path:
        self.summary()
        self.groups()
        self.ranking()
        self.named()
        for section in self.c.sections:
            for table in section.tables:
                self.extra(table, section.title)
        self.unmigrated()
        self.triage()
        self.depth()
        self.trend()
        # The document's dates: the week's Monday, the same on every run.
        fixed = datetime(self.c.week_start.year, self.c.week_start.month, self.c.week_start.day)
        self.wb.properties.created = fixed
        self.wb.properties.modified = fixed
        self.wb.properties.creator = "smartcounter"
        self.wb.properties.title = self.t("bulletin.title.document")
        self.wb.properties.language = "en" if self.c.lang is Lang.EN else "zh-CN"
        buffer = BytesIO()
        self.wb.save(buffer)
        target.write_bytes(_finish_archive(buffer.getvalue(), fixed, self.rows))
        return target


def _point_rate(series: Series) -> Callable[[int], float | None]:
    """The rate of ``series`` in the i-th week (a column getter of the trend sheet)."""
    return lambda i: series.points[i].rate


def _axes(chart: BarChart | LineChart, *, y_format: str) -> None:
    """Show both axes (openpyxl hides them by default for newer Excel) with a number format."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.number_format = y_format
    chart.y_axis.majorGridlines = chart.y_axis.majorGridlines


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's title and the archive path of its XML."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", ns)}
    out = {}
    for sheet in book.findall("m:sheets/m:sheet", ns):
        target = targets[sheet.get(f"{{{ns['r']}}}id")].lstrip("/")
        out[sheet.get("name", "")] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def _finish_archive(data: bytes, moment: datetime, rows: dict[str, list[str]]) -> bytes:
    """Put the data rows into their sheets and date every entry alike (reproducible).

    openpyxl stamps the save time as the document's "modified" date whatever it was set
    to; it is set back to ``moment`` here, and every zip entry gets one fixed time.
    """
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    out = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        by_path = {path: rows.get(title, []) for title, path in _sheet_paths(src).items()}
        for info in src.infolist():
            body = src.read(info.filename)
            if by_path.get(info.filename):
                body = body.replace(
                    b"</sheetData>",
                    "".join(by_path[info.filename]).encode("utf-8") + b"</sheetData>",
                    1,
                )
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    body,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, body)
    return out.getvalue()


def write_xlsx(content: BulletinContent, config: BulletinSettings, target: Path) -> Path:
    """Write the bulletin's workbook to ``target``."""
    return _Writer(content, config).write(target)
