"""The layout review's defects, each checked: no figure cut off (key-figure boxes, bar
labels), headings kept with what follows, axis ticks printed exactly and value labels
clear of the target line, and sheet names that are names, not titles cut short."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from io import BytesIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from smartcounter.bulletin import BulletinFormat, BulletinPaths, charts
from smartcounter.bulletin.formats import Formats
from smartcounter.bulletin.pdf.fonts import BOLD, REGULAR, Font, find_font
from smartcounter.bulletin.pdf.layout import KPI_MIN, Flow
from smartcounter.bulletin.pdf.writer import write_document
from smartcounter.bulletin.sections import Column, Section, SectionContext, SectionTable
from smartcounter.bulletin.xlsx.book import SHEET_NAME_LIMIT, Book
from smartcounter.bulletin.xlsx.layout import PageTexts
from smartcounter.i18n import Lang, Translator
from tests.bulletin.conftest import BuildBulletin, Built

# A word with an ellipsis in or next to it that holds a digit: a figure cut off.
CUT_FIGURE = re.compile(r"\S*\d\S*…|…\S*\d")


@pytest.fixture(scope="module")
def fonts() -> tuple[Font, Font]:
    return Font(find_font(REGULAR), "F1"), Font(find_font(BOLD), "F2")


def _texts(flow: Flow, fonts: tuple[Font, Font]) -> list[str]:
    pages = flow.finish()
    data = write_document(pages, list(fonts), flow.targets, flow.bookmarks, title="t", lang="en")
    return [p.extract_text() for p in PdfReader(BytesIO(data)).pages]


def _flat(text: str) -> str:
    """Extracted text with its line breaks read as spaces (a wrapped note is one note)."""
    return " ".join(text.split())


class TestNothingCutInTheEnglishPdf:
    @pytest.mark.parametrize("which", ["pdf", "volume_pdf"])
    def test_no_figure_is_shortened_with_an_ellipsis(self, en: Built, which: str) -> None:
        reader = PdfReader(getattr(en, which))
        for number, page in enumerate(reader.pages, 1):
            cut = CUT_FIGURE.findall(page.extract_text())
            assert not cut, (which, number, cut)

    def test_the_headline_boxes_are_whole(self, en: Built) -> None:
        page = PdfReader(en.pdf).pages[1].extract_text()
        assert "…" not in page
        flat = _flat(page)
        assert re.search(r"95% interval \d+\.\d–\d+\.\d%", flat), flat
        assert re.search(r"Quarter to date: \d+\.\d%", flat), flat
        assert re.search(r"[\d,]+ at smart counters", flat), flat

    def test_every_branch_page_names_its_staff_and_counters_whole(self, en: Built) -> None:
        reader = PdfReader(en.volume_pdf)
        seen = 0
        for page in reader.pages:
            flat = _flat(page.extract_text())
            if "Daily tickets" not in flat:
                continue
            seen += 1
            assert re.search(r"\d+ staff · \d+ smart counter", flat), flat
            assert "…" not in flat
        assert seen >= 10


class TestKeyFigureBoxes:
    def test_a_long_label_and_note_wrap_or_shrink_but_are_never_shortened(
        self, fonts: tuple[Font, Font]
    ) -> None:
        flow = Flow(*fonts, running="test")
        long_note = "39,270 at smart counters out of 47,660 migratable transactions"
        items = [
            ("Migratable transactions this week", "47,660", long_note, "#000000"),
            ("Rate", "83.4%", "95% interval 83.1–83.7%", "#000000"),
            ("Quarter", "83.5%", "Quarter to date: 83.5%", "#000000"),
            ("Staff", "88", "6 staff · 1 smart counter", "#000000"),
            ("Tickets", "64,233", "80 a day per branch", "#000000"),
            ("Change (pp)", "-0.4", "Last week 83.9%", "#000000"),
        ]
        flow.kpis(items)
        flat = _flat(_texts(flow, fonts)[0])
        assert "…" not in flat
        for label, value, note, _ in items:
            assert label in flat and value in flat and note in flat, (label, flat)

    def test_text_is_set_no_smaller_than_legible(self, fonts: tuple[Font, Font]) -> None:
        flow = Flow(*fonts, running="test")
        size, lines = flow._card_text("95% interval 83.1–83.7%", 7.0, 68.0)
        assert size >= KPI_MIN and " ".join(lines) == "95% interval 83.1–83.7%"
        assert all(flow.text_width(line, size) <= 68.0 + 0.01 for line in lines)


class TestHeadingsKeptWithWhatFollows:
    def test_a_heading_goes_to_the_next_page_with_its_chart(self, fonts: tuple[Font, Font]) -> None:
        flow = Flow(*fonts, running="test")
        flow.paragraph("Before.")
        # Room for the heading and a few lines, not for the chart under it.
        flow.y = flow.bottom + 120
        flow.subheading("By reason", target="reason")
        chart = charts.Drawing(640, 262, "chart")
        chart.text(10, 20, "CHART-TEXT")
        flow.drawing(chart, caption="Bars: un-migrated transactions.")
        texts = _texts(flow, fonts)
        assert len(texts) == 2
        assert "By reason" not in texts[0]
        assert "By reason" in texts[1] and "CHART-TEXT" in texts[1]
        assert flow.targets["reason"][0] == 1

    def test_a_heading_stays_where_what_follows_fits(self, fonts: tuple[Font, Font]) -> None:
        flow = Flow(*fonts, running="test")
        flow.paragraph("Before.")
        flow.subheading("By reason", target="reason")
        flow.paragraph("A short paragraph under it.")
        texts = _texts(flow, fonts)
        assert len(texts) == 1 and "By reason" in texts[0]

    def test_the_english_unmigrated_headings_share_a_page_with_their_charts(
        self, en: Built
    ) -> None:
        t = Translator(Lang.EN)
        headings = {
            t("bulletin.title.by_dimension", dimension=t(f"bulletin.dimension.{d}"))
            for d in ("role", "business", "reason", "staff", "hour", "age_band")
        }
        seen = 0
        for page in PdfReader(en.pdf).pages:
            lines = [line.strip() for line in page.extract_text().splitlines()]
            for i, line in enumerate(lines):
                if line in headings:
                    seen += 1
                    # The Pareto chart's axis note follows its heading on the same page.
                    assert any("cumulative" in x for x in lines[i + 1 :]), (line, lines[-4:])
        assert seen >= 4


def _tick_labels(d: charts.Drawing) -> list[str]:
    """The labels of a chart's percentage axis, top to bottom (or left to right)."""
    return [
        op.content
        for op in d.ops
        if isinstance(op, charts.TextOp) and re.fullmatch(r"\d+(\.\d+)?%", op.content)
    ]


def _evenly_spaced(labels: Sequence[str]) -> bool:
    values = [float(label.rstrip("%")) for label in labels]
    steps = {round(b - a, 6) for a, b in itertools.pairwise(values)}
    return len(steps) == 1


class TestTicks:
    def test_exact_steps_are_never_two_and_a_half(self) -> None:
        for low, high in ((0.78, 0.93), (0.8, 0.92), (0.6, 0.71), (0.0, 9.0), (0.0, 23.0)):
            ticks = charts.nice_ticks(low, high, 4, steps=charts.EXACT_STEPS)
            step = ticks[1] - ticks[0]
            mantissa = step / 10 ** math.floor(math.log10(step))
            assert round(mantissa, 6) in (1.0, 2.0, 5.0, 10.0), (low, high, ticks)
            assert ticks[0] <= low and ticks[-1] >= high

    @pytest.mark.parametrize("lang", [Lang.EN, Lang.ZH])
    def test_trend_ticks_print_exactly(self, lang: Lang) -> None:
        f = Formats(lang)
        # A branch between 80% and 90%: what came out as 92/90/88/85/82/80.
        values = (0.861, 0.898, 0.889, 0.866, 0.897, 0.889, 0.894, 0.898)
        group = (0.832, 0.826, 0.829, 0.835, 0.829, 0.831, 0.843, 0.836)
        weeks = [f"2018-W{n:02d}" for n in range(3, 11)]
        lines = [charts.Line("branch", values, True), charts.Line("group", group)]
        d = charts.trend_chart(lines, weeks, 0.9, f, label="t", height=170)
        labels = [x for x in _tick_labels(d) if "target" not in x]
        assert len(labels) >= 3 and _evenly_spaced(labels), labels

    def test_caterpillar_and_group_ticks_print_exactly(self) -> None:
        f = Formats(Lang.EN)
        estimates = [
            charts.Estimate(0.8 + i / 100, 0.78 + i / 100, 0.83 + i / 100) for i in range(9)
        ]
        cat = charts.caterpillar_chart(estimates, 0.9, f, label="c")
        assert _evenly_spaced(_tick_labels(cat)), _tick_labels(cat)
        bars = [charts.GroupBar("a", 0.871, 0.865, 0.877), charts.GroupBar("b", 0.795, 0.787, 0.8)]
        group = charts.group_chart(bars, 0.9, f, label="g")
        ticks = [x for x in _tick_labels(group) if x not in ("87.1%", "79.5%")]
        assert _evenly_spaced(ticks), ticks

    def test_decimals_are_printed_when_a_step_needs_them(self) -> None:
        assert charts.pct_decimals([0.8, 0.85, 0.9]) == 0
        assert charts.pct_decimals([0.8, 0.825, 0.85]) == 1


class TestValueLabels:
    def test_a_bar_value_is_clear_of_the_target_line(self) -> None:
        f = Formats(Lang.EN)
        bars = [
            charts.GroupBar("Urban branches", 0.838, 0.833, 0.843),
            charts.GroupBar("Sub-branch offices", 0.871, 0.865, 0.877),
            charts.GroupBar("County branches", 0.795, 0.787, 0.802),
        ]
        d = charts.group_chart(bars, 0.9, f, label="g")
        target = next(
            op for op in d.ops if isinstance(op, charts.LineOp) and op.stroke == charts.TARGET
        )
        for op in d.ops:
            if isinstance(op, charts.TextOp) and op.content.endswith("%") and op.anchor == "start":
                end = op.x + charts.text_width(op.content, op.size)
                assert not (op.x - 2 <= target.x1 <= end + 2), (op.content, op.x, target.x1)


class TestBarLabels:
    def test_a_figure_is_never_shortened(self) -> None:
        assert charts.shorten("Up 12.5 pp in 2018-W10 and beyond", 60, 10).count("12.5") == 1
        out = charts.shorten("Transfers of 1,475 transactions over the counter", 80, 10)
        assert "1,475" in out and out.endswith("…")
        assert charts.shorten("1,475", 5, 10) == "1,475"

    def test_labels_are_whole_where_they_can_be(self) -> None:
        names = [
            "Transfer",
            "Wealth product purchase",
            "Open a debit card",
            "Replace a card",
            "Reprint a statement",
            "Mobile banking sign-up",
            "Reset a password",
            "Update personal details",
            "SMS alert sign-up",
            "Not supported by the device",
            "Elderly customer unable to operate",
        ]
        size, labels = charts.bar_labels(names, 50.8)
        assert size in charts.BAR_LABEL_SIZES
        for name, lines in zip(names, labels, strict=True):
            assert " ".join(lines) == name, lines

    def test_the_pareto_chart_of_the_review(self) -> None:
        f = Formats(Lang.EN)
        names = ["Wealth product purchase", "International FX remittance", "Reprint a statement"]
        bars = [charts.Bar(n, 100 - i, 0.3 * (i + 1)) for i, n in enumerate(names * 3 + ["x"])]
        d = charts.pareto_chart(bars, f, label="p", count_axis="txns")
        texts = [op.content for op in d.ops if isinstance(op, charts.TextOp)]
        assert "purchase" in texts and "statement" in texts
        assert not any(CUT_FIGURE.search(t) for t in texts)


def _visits(context: SectionContext) -> Sequence[Section]:
    """A chapter of a provider unknown to the bulletin, its table's title too long for a
    sheet's name and no short name given."""
    title = "Visits: what the regional team saw in the branches (2018-W10)"
    table = SectionTable(title=title, columns=(Column("Branch"),), rows=(("A branch",),))
    return [Section(key="visits", title="Visits", tables=(table,))]


@pytest.fixture(scope="module")
def with_sections(build: BuildBulletin) -> BulletinPaths:
    # The programme's chapter as the bulletin lays it out by default, and the unknown one.
    from smartcounter.programme.bulletin import programme_chapter

    def programme(context: SectionContext) -> Sequence[Section]:
        return programme_chapter(context)[1]

    return build(Lang.EN, sections=(programme, _visits), formats=(BulletinFormat.XLSX,))


class TestSheetNames:
    def test_section_sheets_have_short_names_of_their_own(
        self, with_sections: BulletinPaths
    ) -> None:
        assert with_sections.xlsx is not None
        names = load_workbook(with_sections.xlsx, read_only=True).sheetnames
        t = Translator(Lang.EN)
        own = [
            t(f"bulletin.sheet.{k}")
            for k in ("practices", "pairs", "diagnosis", "actions", "progress")
        ]
        # The programme's tables this network has (benchmarks at least), each by its name.
        present = [n for n in names if n in own]
        assert present and present == [n for n in own if n in present]
        assert not [n for n in names if n.startswith("Benchmark branches and")]
        assert "Visits" in names  # the title before its colon
        for name in names:
            assert len(name) <= SHEET_NAME_LIMIT
            assert not name.endswith(("and", "their", "the", "comes", "of")), name

    @pytest.mark.parametrize("lang", [Lang.EN, Lang.ZH])
    def test_the_short_names_fit_and_differ(self, lang: Lang) -> None:
        t = Translator(lang)
        keys = ("practices", "pairs", "diagnosis", "actions", "progress", "named", "matrix")
        names = [t(f"bulletin.sheet.{k}") for k in keys]
        assert len(set(names)) == len(names)
        assert all(0 < len(n) <= SHEET_NAME_LIMIT and not n.endswith("…") for n in names)

    def test_a_title_no_one_shortened_is_named_by_its_head(self) -> None:
        book = Book(PageTexts(title="t", week="w", page="&P"), target=0.9)
        assert book.sheet("Diagnosis: where the gap comes from in the end").title == "Diagnosis"
        # What fits once the aside is dropped keeps all its words.
        assert (
            book.sheet("Visits: what the team saw (2018-W10)").title == "Visits what the team saw"
        )
        # No colon and no aside that would make it fit: cut at a word's end, the last resort.
        title = "Branches the regional team visited this week and last"
        name = book.sheet(title).title
        assert len(name) <= SHEET_NAME_LIMIT and title.startswith(name + " ")
