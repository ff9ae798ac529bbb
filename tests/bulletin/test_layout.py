"""The PDF engine's layout and the charts' helpers, on their own."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

from smartcounter.bulletin import charts
from smartcounter.bulletin.pdf.fonts import BOLD, REGULAR, Font, find_font
from smartcounter.bulletin.pdf.layout import Cell, Col, Flow, balanced, tokens, wrap
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
            # Not even a closing mark hangs past the edge.
            assert regular.width(line, 9) <= 120 + 0.01

    def test_two_closing_marks_take_the_character_before_them_down(
        self, fonts: tuple[Font, Font]
    ) -> None:
        regular = fonts[0]
        text = "未迁的58笔业务中最多的是补打流水（27笔，占47%）。"
        width = regular.width(text, 9) - 9
        lines = wrap(text, regular, 9, width)
        assert "".join(lines) == text and len(lines) == 2
        assert lines[1][0] not in "，。、）%" and all(regular.width(x, 9) <= width for x in lines)

    def test_a_word_longer_than_the_line_is_broken_to_fit(self, fonts: tuple[Font, Font]) -> None:
        regular = fonts[0]
        text = "Headquarters-Operations-Department-of-the-International-Centre branch"
        lines = wrap(text, regular, 8, 80)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert all(regular.width(line, 8) <= 80 for line in lines)

    def test_a_heading_is_broken_evenly_and_never_inside_a_word(
        self, fonts: tuple[Font, Font]
    ) -> None:
        bold = fonts[1]
        assert balanced("组内排名", bold, 7.5, bold.width("组内排", 7.5)) == ["组内", "排名"]
        assert balanced("Network rank", bold, 7.5, bold.width("Netwo", 7.5)) == [
            "Network",
            "rank",
        ]


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


class TestTableHeader:
    def test_a_header_never_stands_at_the_foot_of_a_page_without_its_first_row(
        self, fonts: tuple[Font, Font]
    ) -> None:
        flow = Flow(*fonts, running="测试")
        flow.paragraph("前文")
        # Room for the header and two lines, not for a first row of five lines.
        flow.y = flow.bottom + 45
        tall = "很长的说明文字" * 60
        flow.table([Col("网点", 1), Col("说明", 1)], [["第一行", tall], ["第二行", "短"]])
        texts = _texts(flow, fonts)
        assert len(texts) == 2
        assert "网点" not in texts[0] and "说明" not in texts[0]
        assert "网点" in texts[1] and "第一行" in texts[1]

    def test_columns_are_never_narrower_than_their_heading_words_or_figures(
        self, fonts: tuple[Font, Font]
    ) -> None:
        flow = Flow(*fonts, running="test")
        cols = [Col("Branch", 6), Col("Network rank", 0.3, "r"), Col("Interval", 0.3, "r")]
        flow.table(cols, [[Cell("A branch with a long name"), "12", "94.7–98.5%"]])
        text = _texts(flow, fonts)[0]
        assert "Network" in text and "94.7–98.5%" in text


class TestRunningHead:
    def test_each_page_keeps_the_chapter_it_was_started_in(self, fonts: tuple[Font, Font]) -> None:
        flow = Flow(*fonts, running="通报")
        flow.heading("网点页")
        flow.paragraph("索引")
        for name in ("甲支行", "乙支行", "丙支行"):
            # As the document does: the next branch is named before its page is started.
            flow.chapter = name
            flow.new_page()
            flow.paragraph(f"{name}的正文")
        heads = [t.split("\n") for t in _texts(flow, fonts)[1:]]
        for lines, own in zip(heads, ["甲支行", "乙支行", "丙支行"], strict=True):
            assert any(own in line for line in lines)
            assert not any(
                other in line for line in lines for other in {"甲支行", "乙支行", "丙支行"} - {own}
            )


def _texts(flow: Flow, fonts: tuple[Font, Font]) -> list[str]:
    pages = flow.finish()
    data = write_document(pages, list(fonts), flow.targets, flow.bookmarks, title="t", lang="zh-CN")
    return [p.extract_text() for p in PdfReader(BytesIO(data)).pages]


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
