"""The workbook read back as an analyst's Excel would: sheets, numbers, formats, charts."""

from __future__ import annotations

import re
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from smartcounter.bulletin import BulletinFormat
from smartcounter.i18n import Lang
from smartcounter.metrics import Metrics
from tests.bulletin.conftest import WEEK, BuildBulletin, Built

ZH_SHEETS = [
    "概览",
    "各类网点迁移率",
    "网点排名",
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
    "Benchmarks and help",
    "Un-migrated",
]


@pytest.fixture(scope="module")
def book(zh: Built) -> Workbook:
    return load_workbook(zh.xlsx)


def _column(ws: object, heading: str) -> int:
    header = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]  # type: ignore[attr-defined]
    return header.index(heading) + 1


class TestSheets:
    def test_a_sheet_per_section(self, book: Workbook) -> None:
        assert book.sheetnames == ZH_SHEETS

    def test_english_sheet_names(self, en: Built) -> None:
        assert load_workbook(en.xlsx, read_only=True).sheetnames[:5] == EN_SHEETS

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

    def test_unmigrated_sheet_holds_the_network_and_every_branch(
        self, book: Workbook, metrics: Metrics
    ) -> None:
        scopes = {row[0].value for row in book["未迁业务"].iter_rows(min_row=2)}
        assert {"全辖"} | set(metrics.ranking(WEEK)["branch_id"].to_list()) <= scopes


class TestCharts:
    def test_native_charts_on_their_sheets(self, zh: Built) -> None:
        with zipfile.ZipFile(zh.xlsx) as z:
            names = z.namelist()
            charts = [n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
            # Groups, five Paretos, the funnel and the trend.
            assert len(charts) == 8
            kinds = "".join(z.read(n).decode("utf-8") for n in charts)
            assert re.search(r"<(c:)?barChart>", kinds) and re.search(r"<(c:)?lineChart>", kinds)
            assert sum(1 for n in names if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)) == 4


class TestReproducible:
    def test_same_content_same_bytes(self, build: BuildBulletin, zh: Built) -> None:
        again = build(Lang.ZH, sections=(), formats=(BulletinFormat.XLSX,))
        assert again.xlsx is not None
        assert again.xlsx.read_bytes() == zh.xlsx.read_bytes()
