"""The extension point: a provider's section appears in every format, numbered in the contents."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from smartcounter.bulletin import (
    BulletinPaths,
    CellKind,
    Column,
    Figure,
    Section,
    SectionContext,
    SectionTable,
    charts,
)
from smartcounter.bulletin.formats import Formats
from smartcounter.bulletin.sections import default_providers
from smartcounter.i18n import Lang
from tests.bulletin.conftest import WEEK, BuildBulletin


def pairs(context: SectionContext) -> Sequence[Section]:
    """A stand-in for the programme: one pair per peer group, from the core content."""
    rows = []
    for group in context.content.groups:
        ranked = [r for r in group.rows if r.rate.rate is not None]
        if len(ranked) >= 2:
            best, worst = ranked[0], ranked[-1]
            rows.append((best.name, worst.name, best.rate.rate, worst.rate.rate, worst.change_pp))
    table = SectionTable(
        title="结对帮扶进展",
        columns=(
            Column("先进网点"),
            Column("后进网点"),
            Column("先进迁移率", CellKind.RATE),
            Column("后进迁移率", CellKind.RATE),
            Column("后进较上周", CellKind.POINTS),
        ),
        rows=tuple(rows),
        note="示例：由测试提供。",
    )
    assert context.week == WEEK and context.lang is Lang.ZH
    bars = [
        charts.GroupBar(g.label, g.rate.rate, g.rate.ci_low, g.rate.ci_high)
        for g in context.content.groups
    ]
    drawing = charts.group_chart(bars, 0.9, Formats(context.lang), label="结对组别")
    return [
        Section(
            key="pairs",
            title="结对子",
            paragraphs=("先进与后进网点手拉手。",),
            tables=(table,),
            figures=(Figure("结对网点所在组的迁移率", drawing),),
        )
    ]


@pytest.fixture(scope="module")
def with_pairs(build: BuildBulletin) -> BulletinPaths:
    return build(Lang.ZH, sections=(pairs,))


class TestSection:
    def test_html_chapter_after_the_benchmarks(self, with_pairs: BulletinPaths) -> None:
        assert with_pairs.html is not None
        html = with_pairs.html.read_text("utf-8")
        assert '<section id="x-pairs" class="extra">' in html
        assert (
            html.index('id="h-benchmarks"')
            < html.index('id="h-x-pairs"')
            < html.index('id="h-unmigrated"')
        )
        assert '<span class="num">4</span>结对子' in html and "先进与后进网点手拉手。" in html
        chapter = html[html.index('id="x-pairs"') : html.index('id="unmigrated"')]
        assert (
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in chapter
            and "结对网点所在组的迁移率" in chapter
        )

    def test_workbook_sheet_with_typed_cells(self, with_pairs: BulletinPaths) -> None:
        assert with_pairs.xlsx is not None
        ws = load_workbook(with_pairs.xlsx)["结对帮扶进展"]
        assert [c.value for c in ws[1]] == [
            "先进网点",
            "后进网点",
            "先进迁移率",
            "后进迁移率",
            "后进较上周",
        ]
        assert ws["C2"].number_format == "0.0%" and isinstance(ws["C2"].value, float)
        assert ws.freeze_panes == "A2"

    def test_pdf_chapter_in_the_contents(self, with_pairs: BulletinPaths) -> None:
        assert with_pairs.pdf is not None
        reader = PdfReader(with_pairs.pdf)
        assert "4 结对子" in [o.title for o in reader.outline if not isinstance(o, list)]
        chapter = next(p.extract_text() for p in reader.pages if "结对帮扶进展" in p.extract_text())
        assert "结对网点所在组的迁移率" in chapter


class TestDefaultProviders:
    def test_the_programme_provider_is_found_when_installed(self) -> None:
        providers = default_providers()
        try:
            from smartcounter.programme import bulletin  # type: ignore[attr-defined]  # noqa: F401
        except ImportError:
            assert providers == ()
        else:
            assert len(providers) == 1
