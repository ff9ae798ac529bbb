"""The bulletin's sheets, each drawn from the content model (no figure is computed here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import get_column_letter, quote_sheetname

from smartcounter.bulletin.content import BranchPage, BranchRow, BulletinContent
from smartcounter.bulletin.formats import Formats, capital
from smartcounter.bulletin.sections import CellKind, SectionTable
from smartcounter.bulletin.words import Words
from smartcounter.bulletin.xlsx.book import Book, Sheet
from smartcounter.bulletin.xlsx.layout import COUNT, DECIMAL, PERCENT, POINTS, Col, PageTexts
from smartcounter.i18n import Lang
from smartcounter.programme.status import status_name
from smartcounter.settings import BulletinSettings
from smartcounter.views import Pareto, Rate, Triage

# The least widths of the summary's two columns.
SUMMARY_WIDTHS = (40.0, 30.0)


class _Writer:
    """Writes one content model as the sheets of a workbook."""

    def __init__(self, content: BulletinContent, config: BulletinSettings) -> None:
        self.c = content
        self.config = config
        self.f = Formats(content.lang)
        self.t = self.f.t
        self.words = Words(content, self.f)
        self.title = self.t("bulletin.title.document")
        dates = self.f.date_range(content.week_start, content.week_end)
        page = PageTexts(
            title=f"{self.title} · {self.words.scope_title()}",
            week=self.t(
                "bulletin.sheet.page_week", week=capital(self.f.week(content.week)), dates=dates
            ),
            page=self.t("bulletin.sheet.page", page="&P", pages="&N"),
        )
        self.book = Book(page, content.target)

    # -- sheets --------------------------------------------------------------------------
    def summary(self) -> None:
        c, h, t, f = self.c, self.c.headline, self.t, self.f
        ws = self.book.sheet(t("bulletin.sheet.summary"))
        items: list[tuple[str, Any, str | None]] = [
            (t("bulletin.title.document"), self.words.scope_title(), None),
            (t("bulletin.sheet.issue"), self.words.issue_line(), None),
            (t("bulletin.sheet.week_label"), c.week, None),
            (t("bulletin.sheet.dates"), f.date_range(c.week_start, c.week_end), None),
            (t("bulletin.sheet.target"), c.target, PERCENT),
            (t("bulletin.kpi.rate"), h.rate.rate, PERCENT),
            (t("bulletin.sheet.ci_low"), h.rate.ci_low, PERCENT),
            (t("bulletin.sheet.ci_high"), h.rate.ci_high, PERCENT),
            (t("bulletin.sheet.previous_rate"), h.previous_rate, PERCENT),
            (t("bulletin.col.change"), h.change_pp, POINTS),
            (
                t("bulletin.kpi.month_to_date", month=f.month(c.month_start)),
                h.month_rate.rate,
                PERCENT,
            ),
            (
                t("bulletin.sheet.quarter_to_date", quarter=f.quarter(c.quarter_start)),
                h.quarter_rate.rate,
                PERCENT,
            ),
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
            Col(t("bulletin.sheet.item"), None, itemgetter(0)),
            Col(t("bulletin.sheet.value"), None, itemgetter(1), fmt_of=itemgetter(2)),
        ]
        # Wide enough for the key messages below to read as sentences, not as a column.
        table = self.book.table(ws, cols, items, name="Summary", least=SUMMARY_WIDTHS)
        # The key messages, below the figures (after an empty row), as a reader's summary.
        width = sum(ws.column_dimensions[get_column_letter(i)].width for i in (1, 2))
        self.book.notes(ws, table.last_row + 2, self.words.key_messages(), width, span=2)

    def groups(self) -> None:
        t = self.t
        ws = self.book.sheet(t("bulletin.title.groups"))
        cols = [
            Col(t("bulletin.col.group"), None, lambda g: g.label),
            Col(t("bulletin.col.rate"), PERCENT, lambda g: g.rate.rate),
            Col(t("bulletin.sheet.ci_low"), PERCENT, lambda g: g.rate.ci_low),
            Col(t("bulletin.sheet.ci_high"), PERCENT, lambda g: g.rate.ci_high),
            Col(t("bulletin.sheet.previous_rate"), PERCENT, lambda g: g.previous_rate),
            Col(t("bulletin.col.change"), POINTS, lambda g: g.change_pp),
            Col(t("bulletin.col.branches"), COUNT, lambda g: g.branches_reporting),
            Col(t("bulletin.col.at_target"), COUNT, lambda g: g.at_target),
            Col(
                t("bulletin.kpi.at_target", target=self.f.pct(self.c.target, 0)),
                PERCENT,
                lambda g: g.share_at_target,
            ),
            Col(t("bulletin.col.migratable"), COUNT, lambda g: g.rate.migratable),
            Col(t("bulletin.sheet.migrated"), COUNT, lambda g: g.rate.migrated),
        ]
        table = self.book.table(ws, cols, self.c.groups, name="PeerGroups")
        n = table.rows
        if n:
            chart = BarChart()
            chart.type = "bar"
            chart.title = t("bulletin.chart.groups_label")
            chart.add_data(
                Reference(ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True
            )
            chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
            _axes(chart, y_format="0%")
            chart.y_axis.scaling.min = 0
            chart.y_axis.scaling.max = 1
            # The groups from top to bottom, as in the table.
            chart.x_axis.scaling.orientation = "maxMin"
            chart.legend = None
            chart.height, chart.width = 7, 16
            # Below the table, so that it prints with it.
            ws.add_chart(chart, f"A{n + 3}")

    def ranking(self) -> None:
        t, words = self.t, self.words
        ws = self.book.sheet(t("bulletin.sheet.ranking"))
        rows = sorted(
            self.c.branches,
            key=lambda r: (r.network_rank is None, r.network_rank or 0, r.branch_id),
        )
        cols = [
            Col(t("bulletin.col.network_rank"), COUNT, lambda r: r.network_rank),
            Col(t("bulletin.col.group"), None, lambda r: t(f"bulletin.group.{r.branch_type}")),
            Col(t("bulletin.col.rank"), COUNT, lambda r: r.peer_rank),
            Col(t("bulletin.sheet.branch_id"), None, lambda r: r.branch_id),
            Col(t("bulletin.col.branch"), None, lambda r: r.name),
            Col(t("bulletin.sheet.region"), None, lambda r: r.region),
            Col(t("bulletin.col.rate"), PERCENT, lambda r: r.rate.rate, against_target=True),
            Col(t("bulletin.sheet.ci_low"), PERCENT, lambda r: r.rate.ci_low),
            Col(t("bulletin.sheet.ci_high"), PERCENT, lambda r: r.rate.ci_high),
            Col(t("bulletin.col.shrunk"), PERCENT, lambda r: r.shrunk_rate),
            Col(t("bulletin.sheet.shrunk_low"), PERCENT, lambda r: r.shrunk_low),
            Col(t("bulletin.sheet.shrunk_high"), PERCENT, lambda r: r.shrunk_high),
            Col(t("bulletin.sheet.previous_rate"), PERCENT, lambda r: r.previous_rate),
            Col(t("bulletin.col.change"), POINTS, lambda r: r.change_pp),
            Col(t("bulletin.sheet.month_rate"), PERCENT, lambda r: _rate_of(r.month_rate)),
            Col(t("bulletin.sheet.quarter_rate"), PERCENT, lambda r: _rate_of(r.quarter_rate)),
            Col(t("bulletin.col.migratable"), COUNT, lambda r: r.rate.migratable),
            Col(t("bulletin.sheet.migrated"), COUNT, lambda r: r.rate.migrated),
            Col(t("bulletin.sheet.shortfall"), COUNT, lambda r: r.shortfall),
            Col(t("bulletin.sheet.tickets"), COUNT, lambda r: r.tickets),
            Col(t("bulletin.col.daily_tickets"), DECIMAL, lambda r: r.daily_tickets),
            Col(t("bulletin.col.staff"), COUNT, lambda r: r.staff_count),
            Col(t("bulletin.col.smart_counters"), COUNT, lambda r: r.smart_counters),
            Col(t("bulletin.col.standing"), None, words.standing, tone=_tone),
        ]
        self.book.table(ws, cols, rows, freeze="F2", name="Ranking")

    def matrix(self) -> None:
        """Each branch's rate in each week of the trend, with this week's status."""
        t = self.t
        ws = self.book.sheet(t("bulletin.sheet.matrix"))
        cols = [
            Col(t("bulletin.sheet.branch_id"), None, lambda p: p.row.branch_id),
            Col(t("bulletin.col.branch"), None, lambda p: p.row.name),
            Col(t("bulletin.sheet.region"), None, lambda p: p.row.region),
            Col(t("bulletin.col.group"), None, lambda p: t(f"bulletin.group.{p.row.branch_type}")),
            Col(
                t("bulletin.sheet.status"),
                None,
                lambda p: status_name(p.row.status, t),
                tone=lambda p: _tone(p.row),
            ),
        ]
        cols += [
            Col(week, PERCENT, _week_rate(week), against_target=True) for week in self.c.trend_weeks
        ]
        self.book.table(ws, cols, self.c.pages, freeze="C2", name="WeeklyRates")

    def named(self) -> None:
        t, words = self.t, self.words
        ws = self.book.sheet(t("bulletin.sheet.named"))
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
            Col(t("bulletin.sheet.kind"), None, lambda x: x[0]),
            Col(t("bulletin.col.group"), None, lambda x: t(f"bulletin.group.{x[1].branch_type}")),
            Col(t("bulletin.sheet.branch_id"), None, lambda x: x[1].branch_id),
            Col(t("bulletin.col.branch"), None, lambda x: x[1].name),
            Col(t("bulletin.col.rate"), PERCENT, lambda x: x[1].rate.rate),
            Col(t("bulletin.sheet.ci_low"), PERCENT, lambda x: x[1].rate.ci_low),
            Col(t("bulletin.sheet.ci_high"), PERCENT, lambda x: x[1].rate.ci_high),
            Col(t("bulletin.col.shrunk"), PERCENT, lambda x: x[1].shrunk_rate),
            Col(t("bulletin.col.migratable"), COUNT, lambda x: x[1].rate.migratable),
            Col(t("bulletin.sheet.previous_rate"), PERCENT, lambda x: x[1].previous_rate),
            Col(t("bulletin.col.change"), POINTS, lambda x: x[1].change_pp),
            Col(
                t("bulletin.sheet.beyond_noise"),
                None,
                lambda x: None if x[2] is None else (yes if x[2] else no),
            ),
            Col(t("bulletin.col.how_sure"), None, lambda x: x[3] or None),
            Col(t("bulletin.sheet.status"), None, lambda x: words.standing(x[1]), tone=_tone_of),
        ]
        self.book.table(ws, cols, rows, freeze="E2", name="Named")

    def unmigrated(self) -> None:
        t = self.t
        ws = self.book.sheet(t("bulletin.sheet.unmigrated"))
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
            Col(t("bulletin.sheet.scope"), None, lambda x: x[0]),
            Col(t("bulletin.col.branch"), None, lambda x: x[1] or None),
            Col(
                t("bulletin.sheet.dimension"),
                None,
                lambda x: capital(t(f"bulletin.dimension.{x[2].dimension}")),
            ),
            Col(t("bulletin.sheet.position"), COUNT, lambda x: x[3] + 1),
            Col(t("bulletin.sheet.item_code"), None, lambda x: x[2].rows[x[3]].value),
            Col(t("bulletin.sheet.item"), None, lambda x: x[2].rows[x[3]].label),
            Col(t("bulletin.sheet.item_note"), None, lambda x: x[2].rows[x[3]].note),
            Col(t("bulletin.col.unmigrated"), COUNT, lambda x: x[2].rows[x[3]].count),
            Col(t("bulletin.col.share"), PERCENT, lambda x: x[2].rows[x[3]].share),
            Col(t("bulletin.col.cumulative"), PERCENT, lambda x: x[2].rows[x[3]].cumulative_share),
        ]
        # The charts sit beside a long table: the printed pages hold the table.
        self.book.table(ws, cols, rows, freeze="D2", print_table_only=True)
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
            bars.series[0].tx = _heading_ref(ws, 8)
            bars.set_categories(Reference(ws, min_col=6, min_row=first, max_row=last))
            _axes(bars, y_format="#,##0")
            line = LineChart()
            line.add_data(
                Reference(ws, min_col=10, min_row=first, max_row=last), titles_from_data=False
            )
            line.series[0].tx = _heading_ref(ws, 10)
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
        ws = self.book.sheet(t("bulletin.sheet.triage"))
        scope = self.words.scope_title()
        scoped: list[tuple[str, str, Triage]] = [(scope, "", self.c.triage)]
        scoped += [(p.row.branch_id, p.row.name, p.triage) for p in self.c.pages]
        rows = [(s, name, tri, i) for s, name, tri in scoped for i in range(len(tri.stages))]

        def reason(x: Any, i: int) -> Any:
            stage = x[2].stages[x[3]]
            return stage.reasons[i] if len(stage.reasons) > i else None

        cols = [
            Col(t("bulletin.sheet.scope"), None, lambda x: x[0]),
            Col(t("bulletin.col.branch"), None, lambda x: x[1] or None),
            Col(
                t("bulletin.col.stage"),
                None,
                lambda x: t(f"bulletin.stage.{x[2].stages[x[3]].stage}"),
            ),
            Col(t("bulletin.col.touches"), COUNT, lambda x: x[2].stages[x[3]].touches),
            Col(t("bulletin.col.accepted"), COUNT, lambda x: x[2].stages[x[3]].accepted),
            Col(t("bulletin.col.declined"), COUNT, lambda x: x[2].stages[x[3]].declined),
            Col(t("bulletin.col.acceptance"), PERCENT, lambda x: x[2].stages[x[3]].acceptance_rate),
            Col(t("bulletin.col.top_reason"), None, lambda x: (r := reason(x, 0)) and r.label),
            Col(t("bulletin.col.share"), PERCENT, lambda x: (r := reason(x, 0)) and r.share),
        ]
        self.book.table(ws, cols, rows, freeze="D2", print_table_only=True)
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
        ws = self.book.sheet(t("bulletin.sheet.depth"))
        scope = self.words.scope_title()
        scoped: list[tuple[str, str, Triage]] = [(scope, "", self.c.triage)]
        scoped += [(p.row.branch_id, p.row.name, p.triage) for p in self.c.pages]
        rows = [(s, name, d) for s, name, tri in scoped for d in tri.depth]
        cols = [
            Col(t("bulletin.sheet.scope"), None, lambda x: x[0]),
            Col(t("bulletin.col.branch"), None, lambda x: x[1] or None),
            Col(t("bulletin.col.depth"), None, lambda x: t(f"bulletin.depth.{x[2].depth}")),
            Col(t("bulletin.col.visits"), COUNT, lambda x: x[2].visits),
            Col(t("bulletin.col.share"), PERCENT, lambda x: x[2].share),
        ]
        self.book.table(ws, cols, rows, freeze="D2")

    def trend(self) -> None:
        t = self.t
        ws = self.book.sheet(t("bulletin.sheet.trend"))
        series = self.c.trend
        cols = [Col(t("bulletin.sheet.week"), None, lambda i: self.c.trend_weeks[i])]
        cols += [Col(s.label, PERCENT, _point_rate(s.points)) for s in series]
        table = self.book.table(ws, cols, range(len(self.c.trend_weeks)), freeze="B2", name="Trend")
        n = table.rows
        chart = LineChart()
        chart.title = t("bulletin.chart.trend_label", weeks=n)
        # One series per column, each titled by its heading: the scope or the peer group.
        chart.add_data(
            Reference(ws, min_col=2, max_col=len(cols), min_row=1, max_row=n + 1),
            titles_from_data=True,
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        _axes(chart, y_format="0%")
        chart.height, chart.width = 8, 18
        # Below the table, so that it prints with it.
        ws.add_chart(chart, f"A{n + 3}")

    def extra(self, table: SectionTable, section_title: str) -> None:
        ws = self.book.sheet(table.sheet or table.title or section_title)
        fmt = {
            CellKind.TEXT: None,
            CellKind.COUNT: COUNT,
            CellKind.DECIMAL: DECIMAL,
            CellKind.RATE: PERCENT,
            CellKind.POINTS: POINTS,
        }
        cols = [Col(col.label, fmt[col.kind], itemgetter(i)) for i, col in enumerate(table.columns)]
        self.book.table(ws, cols, table.rows)

    def write(self, target: Path) -> Path:
        self.summary()
        self.groups()
        self.ranking()
        self.matrix()
        self.named()
        for section in self.c.sections:
            for table in section.tables:
                self.extra(table, section.title)
        self.unmigrated()
        self.triage()
        self.depth()
        self.trend()
        # The document's dates: the week's Monday, the same on every run.
        start = self.c.week_start
        return self.book.save(
            target,
            datetime(start.year, start.month, start.day),
            title=self.title,
            language="en" if self.c.lang is Lang.EN else "zh-CN",
        )


def _rate_of(rate: Rate | None) -> float | None:
    return rate.rate if rate is not None else None


def _tone(row: BranchRow) -> str:
    """The colour of a branch's status: its tone in the status model."""
    return row.status.tone


def _tone_of(named: tuple[str, BranchRow, bool | None, str]) -> str:
    return _tone(named[1])


def _week_rate(week: str) -> Callable[[BranchPage], float | None]:
    """A branch's rate in ``week`` (a column getter of the weekly-rates sheet)."""

    def get(page: BranchPage) -> float | None:
        return next((p.rate for p in page.trend.points if p.week == week), None)

    return get


def _point_rate(points: Any) -> Callable[[int], float | None]:
    """The rate of the i-th point of a series (a column getter of the trend sheet)."""
    return lambda i: points[i].rate


def _heading_ref(ws: Sheet, col: int) -> SeriesLabel:
    """A series title read from the heading cell of column ``col``."""
    letter = get_column_letter(col)
    return SeriesLabel(strRef=StrRef(f"{quote_sheetname(ws.title)}!${letter}$1"))


def _axes(chart: BarChart | LineChart, *, y_format: str) -> None:
    """Show both axes (openpyxl hides them by default for newer Excel) with a number format."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.number_format = y_format
    chart.y_axis.majorGridlines = chart.y_axis.majorGridlines


def write_xlsx(content: BulletinContent, config: BulletinSettings, target: Path) -> Path:
    """Write the bulletin's workbook to ``target``."""
    return _Writer(content, config).write(target)
