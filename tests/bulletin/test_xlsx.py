"""The workbook read back as an analyst's Excel would: sheets, numbers, formats, charts,
and as the channel centre prints it: colours, widths, page setup."""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook

from smartcounter.bulletin import BulletinFormat
from smartcounter.bulletin.xlsx.book import Book
from smartcounter.bulletin.xlsx.layout import MAX_WIDTH, TONE_COLOURS, Col, PageTexts
from smartcounter.i18n import Lang
from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.period import weeks_back
from smartcounter.programme.status import Status, target_rate
from smartcounter.settings import Settings
from tests.bulletin.conftest import WEEK, BuildBulletin, Built

ZH_SHEETS = [
    "概览",
    "各类网点迁移率",
    "网点排名",
    "各周迁移率",
    "标杆与帮扶",
    "未迁业务",
    "分流",
    "分流深度",
    "趋势",
]
EN_SHEETS = [
    "Summary",
    "Migration rate by peer group",
    "Ranking",
    "Weekly rates",
    "Benchmarks and help",
]


@pytest.fixture(scope="module")
def book(zh: Built) -> Workbook:
    return load_workbook(zh.xlsx)


MATRIX = "各周迁移率"
RANKING = "网点排名"
# Sheets wider than a portrait page: they print landscape.
LANDSCAPE = {RANKING, MATRIX, "标杆与帮扶", "未迁业务", "各类网点迁移率"}


def _column(ws: object, heading: str) -> int:
    return _headings(ws).index(heading) + 1


def _headings(ws: Any) -> list[Any]:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def _display_width(text: str) -> int:
    """Columns a text takes on screen: two for a wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@pytest.fixture(scope="module")
def bulletin_json(zh: Built) -> dict[str, Any]:
    """The JSON written beside the workbook, from the same content model."""
    assert zh.paths.json is not None
    data: dict[str, Any] = json.loads(zh.paths.json.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def weeks(settings: Settings) -> list[str]:
    return weeks_back(WEEK, settings.bulletin.trend_weeks)


class TestSheets:
    def test_a_sheet_per_section(self, book: Workbook) -> None:
        assert book.sheetnames == ZH_SHEETS

    def test_english_sheet_names(self, en: Built) -> None:
        assert load_workbook(en.xlsx, read_only=True).sheetnames[:5] == EN_SHEETS

    def test_long_titles_lose_their_aside_then_what_follows_a_colon(self) -> None:
        book = Book(PageTexts(title="t", week="w", page="&P"), target=0.9)
        titles = [
            "Actions (at most three per pair)",
            "Diagnosis: where the gap comes from (2018-W10–2018-W13)",
            "Pairs (2018-W13)",
            "Pairs (2018-W13)",
        ]
        assert [book.sheet(t).title for t in titles] == [
            "Actions",
            "Diagnosis",
            "Pairs (2018-W13)",
            "Pairs (2018-W13) (2)",
        ]

    def test_every_table_has_a_frozen_header_and_a_filter(self, book: Workbook) -> None:
        for ws in book.worksheets:
            assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2"), ws.title
            assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title


class TestNumbers:
    def test_rates_are_fractions_with_a_percentage_format(
        self, book: Workbook, metrics: Metrics
    ) -> None:
        ws = book["网点排名"]
        ids, rates = _column(ws, "网点编号"), _column(ws, "迁移率")
        api = {r["branch_id"]: r["rate"] for r in metrics.ranking(WEEK).iter_rows(named=True)}
        seen = 0
        for row in ws.iter_rows(min_row=2):
            cell = row[rates - 1]
            if cell.value is None:
                continue
            assert isinstance(cell.value, float) and cell.number_format == "0.0%"
            assert cell.value == api[row[ids - 1].value]
            seen += 1
        assert seen == sum(1 for v in api.values() if v is not None)

    def test_changes_are_points_and_counts_are_integers(self, book: Workbook) -> None:
        ws = book["网点排名"]
        change, migratable = _column(ws, "较上周（百分点）"), _column(ws, "可迁笔数")
        row = next(ws.iter_rows(min_row=2, max_row=2))
        assert row[change - 1].number_format == "+0.0;-0.0;0.0"
        assert (
            isinstance(row[migratable - 1].value, int)
            and row[migratable - 1].number_format == "#,##0"
        )

    def test_summary_rate_is_the_apis(self, book: Workbook, metrics: Metrics) -> None:
        values = {r[0].value: r[1] for r in book["概览"].iter_rows(min_row=2) if r[0].value}
        rate = metrics.week_over_week(WEEK, []).row(0, named=True)["rate"]
        assert values["迁移率"].value == rate and values["迁移率"].number_format == "0.0%"

    def test_month_and_quarter_to_date_are_the_apis(self, book: Workbook, metrics: Metrics) -> None:
        values = {r[0].value: r[1].value for r in book["概览"].iter_rows(min_row=2) if r[0].value}
        # 2018-W10 (5–11 March): the month and quarter to its Sunday.
        for label, first in (
            ("2018年3月累计迁移率", date(2018, 3, 1)),
            ("2018年一季度累计迁移率", date(2018, 1, 1)),
        ):
            api = metrics.rates([], Period.dates(first, date(2018, 3, 11))).row(0, named=True)
            assert values[label] == api["rate"], label
        ranking = book[RANKING]
        ids, month = _column(ranking, "网点编号"), _column(ranking, "本月累计迁移率")
        api_branches = {
            r["branch_id"]: r["rate"]
            for r in metrics.rates(
                ["branch"], Period.dates(date(2018, 3, 1), date(2018, 3, 11))
            ).iter_rows(named=True)
        }
        for row in ranking.iter_rows(min_row=2):
            assert row[month - 1].value == api_branches.get(row[ids - 1].value)

    def test_unmigrated_sheet_holds_the_network_and_every_branch(
        self, book: Workbook, metrics: Metrics
    ) -> None:
        scopes = {row[0].value for row in book["未迁业务"].iter_rows(min_row=2)}
        assert {"全辖"} | set(metrics.ranking(WEEK)["branch_id"].to_list()) <= scopes


class TestMatrix:
    """The branch × week sheet: each branch's rate in each week of the trend."""

    def test_one_row_per_branch_and_one_column_per_week(
        self, book: Workbook, metrics: Metrics, weeks: list[str]
    ) -> None:
        ws = book[MATRIX]
        assert _headings(ws) == ["网点编号", "网点", "地区", "网点类型", "本周状态", *weeks]
        ids = [row[0].value for row in ws.iter_rows(min_row=2)]
        assert sorted(ids) == sorted(metrics.ranking(WEEK)["branch_id"].to_list())

    def test_rates_are_the_apis_weekly_rates(
        self, book: Workbook, metrics: Metrics, weeks: list[str]
    ) -> None:
        ws = book[MATRIX]
        api = {
            (r["branch_id"], r["week"]): r["rate"]
            for r in metrics.trend(WEEK, len(weeks), ["branch"]).iter_rows(named=True)
        }
        seen = 0
        for row in ws.iter_rows(min_row=2):
            branch = row[0].value
            for week, cell in zip(weeks, row[5:], strict=True):
                assert cell.value == api.get((branch, week)), (branch, week)
                if cell.value is not None:
                    assert isinstance(cell.value, float) and cell.number_format == "0.0%"
                    seen += 1
        assert seen == sum(1 for v in api.values() if v is not None) > 0

    def test_status_and_names_are_the_jsons(
        self, book: Workbook, bulletin_json: dict[str, Any]
    ) -> None:
        branches = {b["branch_id"]: b for b in bulletin_json["branches"]}
        for row in book[MATRIX].iter_rows(min_row=2):
            branch = branches[row[0].value]
            assert (row[1].value, row[2].value, row[4].value) == (
                branch["name"],
                branch["region"],
                branch["status_label"],
            )

    def test_names_stay_in_view_and_every_column_filters(self, book: Workbook) -> None:
        ws = book[MATRIX]
        assert ws.freeze_panes == "C2"
        assert ws.auto_filter.ref == f"A1:{_last_letter(ws)}{ws.max_row}"


def _last_letter(ws: Any) -> str:
    return str(next(ws.iter_rows(min_row=1, max_row=1))[-1].column_letter)


class TestColours:
    """Rates tinted by the target, statuses coloured by the status model's tone."""

    def _rules(self, ws: Any) -> dict[str, list[Any]]:
        return {str(cf.sqref): cf.rules for cf in ws.conditional_formatting}

    def test_matrix_rates_are_tinted_by_the_target(
        self, book: Workbook, settings: Settings, weeks: list[str]
    ) -> None:
        ws = book[MATRIX]
        rules = self._rules(ws)
        first, last = _column(ws, weeks[0]), _column(ws, weeks[-1])
        ref = f"{_letter(first)}2:{_letter(last)}{ws.max_row}"
        assert list(rules) == [ref]
        target = target_rate(settings)
        formulas = [r.formula[0] for r in rules[ref]]
        start = f"{_letter(first)}2"
        assert formulas == [
            f"AND(ISNUMBER({start}),{start}<{target!r})",
            f"AND(ISNUMBER({start}),{start}>={target!r})",
        ]
        below, above = (r.dxf.fill.fgColor.rgb[-6:] for r in rules[ref])
        assert (below, above) == ("FFC7CE", "C6EFCE")

    def test_ranking_rates_are_tinted_by_the_target(self, book: Workbook) -> None:
        ws = book[RANKING]
        rate = _letter(_column(ws, "迁移率"))
        assert list(self._rules(ws)) == [f"{rate}2:{rate}{ws.max_row}"]

    @pytest.mark.parametrize(("sheet", "heading"), [(MATRIX, "本周状态"), (RANKING, "判断")])
    def test_status_cells_take_their_tones_colour(
        self, book: Workbook, bulletin_json: dict[str, Any], sheet: str, heading: str
    ) -> None:
        ws = book[sheet]
        col = _column(ws, heading) - 1
        ids = _column(ws, "网点编号") - 1
        status = {b["branch_id"]: Status(b["status"]) for b in bulletin_json["branches"]}
        tones = set()
        for row in ws.iter_rows(min_row=2):
            tone = status[row[ids].value].tone
            assert row[col].fill.fgColor.rgb[-6:] == TONE_COLOURS[tone][0], row[ids].value
            tones.add(tone)
        assert len(tones) > 1


def _letter(col: int) -> str:
    return get_column_letter(col)


class TestPrint:
    """Every sheet prints on A4 as a publication: fitted, titled, numbered."""

    def test_a4_fit_to_width_with_headings_on_every_page(self, book: Workbook) -> None:
        for ws in book.worksheets:
            setup = ws.page_setup
            assert setup.paperSize == 9, ws.title
            assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert ws.print_title_rows == "$1:$1", ws.title
            assert ws.page_margins.left < 0.7 and ws.page_margins.top >= ws.page_margins.header

    def test_wide_sheets_print_landscape(self, book: Workbook) -> None:
        landscape = {ws.title for ws in book.worksheets if ws.page_setup.orientation == "landscape"}
        assert landscape >= LANDSCAPE
        assert book["概览"].page_setup.orientation == "portrait"

    def test_every_page_carries_title_week_and_page_numbers(self, book: Workbook) -> None:
        for ws in book.worksheets:
            assert ws.oddHeader.left.text == "智能柜台迁移率每周通报 · 全辖", ws.title
            assert ws.oddHeader.right.text.startswith("2018年第10周"), ws.title
            assert ws.oddFooter.right.text == "第&P页，共&N页", ws.title
            assert ws.oddFooter.left.text == "&A", ws.title

    def test_english_pages(self, en: Built) -> None:
        ws = load_workbook(en.xlsx).worksheets[0]
        assert ws.oddHeader.right.text == "Week 10, 2018 (5–11 March 2018)"
        assert ws.oddFooter.right.text == "Page &P of &N"

    def test_charts_beside_long_tables_stay_off_the_printed_pages(self, book: Workbook) -> None:
        ws = book["未迁业务"]
        assert ws.print_area == f"'未迁业务'!$A$1:$J${ws.max_row}"


class TestWidths:
    """Columns as wide as their text, a Chinese character counting as two."""

    @pytest.mark.parametrize("sheet", [RANKING, MATRIX, "标杆与帮扶"])
    def test_name_column_holds_the_longest_chinese_name(self, book: Workbook, sheet: str) -> None:
        ws = book[sheet]
        col = _column(ws, "网点")
        names = [row[col - 1].value for row in ws.iter_rows(min_row=2)]
        longest = max(_display_width(n) for n in names)
        assert any(_display_width(n) > len(n) for n in names)  # Chinese names, wide
        width = ws.column_dimensions[_letter(col)].width
        assert longest <= width <= min(MAX_WIDTH, longest + 4)

    def test_short_numbers_keep_narrow_columns(self, book: Workbook) -> None:
        ws = book[RANKING]
        for heading in ("全辖排名", "组内排名", "迁移率"):
            assert ws.column_dimensions[_letter(_column(ws, heading))].width <= 10, heading

    def test_widths_stay_within_bounds(self, book: Workbook) -> None:
        for ws in book.worksheets:
            for letter, dim in ws.column_dimensions.items():
                assert 8 <= dim.width <= MAX_WIDTH, (ws.title, letter)

    def test_long_text_wraps_in_a_row_high_enough(self, tmp_path: Path) -> None:
        book = Book(PageTexts(title="通报", week="第10周", page="&P"), target=0.9)
        ws = book.sheet("措施")
        long = "“设备暂不支持”造成11.2个百分点的差距：要求手机银行、外汇国际汇款、修改个人信息等可迁业务全部在智能柜台办理。"
        cols = [
            Col("网点", None, itemgetter(0)),
            Col("措施", None, itemgetter(1)),
        ]
        book.table(ws, cols, [("南京老街支行", long), ("南京城中支行", "短")])
        path = book.save(tmp_path / "t.xlsx", datetime(2018, 3, 5), title="t", language="zh-CN")
        back = load_workbook(path)["措施"]
        assert back.column_dimensions["B"].width == MAX_WIDTH
        assert back["B2"].alignment.wrap_text and back["B3"].alignment.wrap_text
        lines = -(-_display_width(long) // (MAX_WIDTH - 2))
        assert back.row_dimensions[2].height >= 15 * lines
        assert back.row_dimensions[3].height is None  # one line: the reader's own height


class TestNames:
    """The main tables are named ranges, for formulas and Go To."""

    def test_main_tables_are_named(self, book: Workbook) -> None:
        names = {n: d.attr_text for n, d in book.defined_names.items()}
        ranking = book[RANKING]
        assert names["Ranking"] == f"'网点排名'!$A$1:${_last_letter(ranking)}${ranking.max_row}"
        assert names["WeeklyRates"].startswith(f"'{MATRIX}'!$A$1:")
        assert {"Summary", "PeerGroups", "Named", "Trend"} <= set(names)


class TestCharts:
    def test_native_charts_on_their_sheets(self, zh: Built) -> None:
        with zipfile.ZipFile(zh.xlsx) as z:
            names = z.namelist()
            charts = [n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
            # Groups, six Paretos (business, reason, role, hour, age, tier), the funnel, the trend.
            assert len(charts) == 9
            kinds = "".join(z.read(n).decode("utf-8") for n in charts)
            assert re.search(r"<(c:)?barChart>", kinds) and re.search(r"<(c:)?lineChart>", kinds)
            assert sum(1 for n in names if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)) == 4

    def test_every_series_is_named_from_a_heading(self, zh: Built, book: Workbook) -> None:
        titles: list[str] = []
        with zipfile.ZipFile(zh.xlsx) as z:
            for name in z.namelist():
                if not re.fullmatch(r"xl/charts/chart\d+\.xml", name):
                    continue
                xml = z.read(name).decode("utf-8")
                for series in re.findall(r"<(?:c:)?ser>.*?</(?:c:)?ser>", xml, re.S):
                    ref = re.search(r"<(?:c:)?tx><(?:c:)?strRef><(?:c:)?f>([^<]+)<", series)
                    assert ref, f"an unnamed series in {name}"
                    titles.append(_cell(book, ref.group(1)))
        assert {"全辖", "城区网点", "未迁笔数", "累计占比", "接受", "未接受"} <= set(titles)
        assert not any(t is None or str(t).startswith("Series") for t in titles)


def _cell(book: Workbook, ref: str) -> Any:
    """The value of a cell reference such as 'Sheet'!$B$1."""
    sheet, cell = ref.rsplit("!", 1)
    col, row, _, _ = range_boundaries(cell.replace("$", ""))
    assert col is not None and row is not None
    return book[sheet.strip("'")].cell(row=row, column=col).value


class TestReproducible:
    def test_same_content_same_bytes(self, build: BuildBulletin, zh: Built) -> None:
        again = build(Lang.ZH, sections=(), formats=(BulletinFormat.XLSX,))
        assert again.xlsx is not None
        assert again.xlsx.read_bytes() == zh.xlsx.read_bytes()
