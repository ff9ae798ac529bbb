"""The PDF engine's layout and the charts' helpers, on their own."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

from smartcounter.bulletin import charts
from smartcounter.bulletin.pdf.fonts import BOLD, REGULAR, Font, find_font
from smartcounter.bulletin.pdf.layout import Col, Flow, tokens, wrap
from smartcounter.bulletin.pdf.writer import write_document


@pytest.fixture(scope="module")
def fonts() -> tuple[Font, Font]:
    return Font(find_font(REGULAR), "F1"), Font(find_font(BOLD), "F2")


class TestWrap:
    def test_chinese_breaks_anywhere_latin_between_words(self) -> None:
        assert tokens("迁移率 is high") == ["迁", "移", "率", " ", "is ", "high"]

    def test_lines_fit_and_closing_punctuation_never_starts_a_line(
        self, fonts: tuple[Font, Font]
    ) -> None:
        regular = fonts[0]
        text = (
            "本周贵网点智能柜台迁移率为87.3%，比上周上升5.8个百分点。距90%的目标还差2.7个百分点，请继续努力。"
            * 3
        )
        lines = wrap(text, regular, 9, 120)
        assert "".join(lines) == text
        for line in lines:
            assert line[0] not in "，。、）%"
            # A hanging mark may pass the edge by itself, nothing more.
            assert regular.width(line.rstrip("，。、）"), 9) <= 120 + 0.01


class TestTable:
    def test_a_long_table_breaks_between_rows_and_repeats_its_header(
        self, fonts: tuple[Font, Font]
    ) -> None:
        flow = Flow(*fonts, running="测试")
        rows = [[f"网点{i}", f"{i}.0%"] for i in range(120)]
        flow.table([Col("网点", 2), Col("迁移率", 1, "r")], rows)
        pages = flow.finish()
        assert len(pages) >= 2
        data = write_document(
            pages, list(fonts), flow.targets, flow.bookmarks, title="t", lang="zh-CN"
        )

        texts = [p.extract_text() for p in PdfReader(BytesIO(data)).pages]
        assert all("网点迁移率" in t.replace("\n", "").replace(" ", "") for t in texts)
        joined = "".join(texts)
        assert all(f"网点{i}" in joined for i in range(120))


class TestCharts:
    def test_ticks_are_round_and_cover_the_range(self) -> None:
        assert charts.nice_ticks(0, 1777, 4) == [0, 500, 1000, 1500, 2000]
        ticks = charts.nice_ticks(0.62, 0.97, 4)
        assert ticks[0] <= 0.62 and ticks[-1] >= 0.97

    def test_svg_escapes_text_and_has_no_external_reference(self) -> None:
        d = charts.Drawing(100, 50, 'a "label" <b>')
        d.text(10, 10, "<script>&")
        svg = str(charts.to_svg(d))
        assert "<script>" not in svg and "&lt;script&gt;&amp;" in svg
        assert "http://www.w3.org/2000/svg" in svg and "href" not in svg
