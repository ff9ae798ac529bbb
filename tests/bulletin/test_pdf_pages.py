"""The PDF's pages read back as a reader sees them: running heads, margins.

The content streams are read with pypdf; where each run of text stands and how wide it
is come from the page itself (its ``Tm`` and the embedded font's widths), not from the
layout that wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import cast

import pytest
from pypdf import PageObject, PdfReader
from pypdf.generic import ArrayObject, ContentStream, Destination, DictionaryObject

from smartcounter.bulletin import BulletinFormat, BulletinPaths, build_bulletin
from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.i18n import Lang
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.settings import load_settings
from smartcounter.store.layout import Store
from tests.bulletin.conftest import GENERATED, WEEK, WEEKS, Built
from tests.bulletin.network import BRANCHES, monday_weeks_before, write_network

WIDTH, HEIGHT = 595.276, 841.89
MARGIN_X = 42.0
HEAD_ZONE = 58.0  # the top margin: only the running head is drawn in it
# Names longer than any of the source's, and a Latin one with a word longer than a cell.
LONG_NAMES = {
    "NT-KFQ": "南通经济技术开发区星湖大道国际商务中心小微特色支行营业部（原开发区支行）",
    "CZ-XB": "Changzhou Xinbei International Financial Centre Sub-branch (Headquarters-Operations-Department)",
    "NT-HM": "南通海门江海大道东段国际家纺城综合金融服务中心小微支行",
}


@dataclass(frozen=True)
class Run:
    """A run of text as drawn: where it starts, how wide and how big it is."""

    x: float
    y: float
    width: float
    size: float


def _widths(font: DictionaryObject) -> tuple[dict[int, float], float]:
    """A Type 0 font's glyph widths (thousandths of the size) and its default width."""
    descendants = font["/DescendantFonts"]
    assert isinstance(descendants, ArrayObject)
    descendant = descendants[0].get_object()
    assert isinstance(descendant, DictionaryObject)
    table: dict[int, float] = {}
    w = cast(ArrayObject, descendant["/W"])
    for i in range(0, len(w), 2):
        for k, value in enumerate(cast(ArrayObject, w[i + 1])):
            table[int(w[i]) + k] = float(value)
    return table, float(descendant.get("/DW", 1000))


def runs(reader: PdfReader, page: PageObject) -> Iterator[Run]:
    """The page's runs of text, as its content stream draws them."""
    resources = cast(DictionaryObject, page["/Resources"])
    fonts = {
        name: _widths(cast(DictionaryObject, ref.get_object()))
        for name, ref in cast(DictionaryObject, resources["/Font"]).items()
    }
    font, size, x, y = next(iter(fonts.values())), 0.0, 0.0, 0.0
    for operands, op in ContentStream(page.get_contents(), reader).operations:
        if op == b"Tf":
            font, size = fonts[operands[0]], float(operands[1])
        elif op == b"Tm":
            x, y = float(operands[4]), float(operands[5])
        elif op == b"Tj":
            raw = getattr(operands[0], "original_bytes", None) or bytes(operands[0])
            cids = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
            yield Run(x, y, sum(font[0].get(c, font[1]) for c in cids) * size / 1000, size)


def shapes(reader: PdfReader, page: PageObject) -> Iterator[tuple[float, float]]:
    """The left and right ends of the page's rectangles and path points."""
    for operands, op in ContentStream(page.get_contents(), reader).operations:
        if op == b"re":
            x, w = float(operands[0]), float(operands[2])
            yield min(x, x + w), max(x, x + w)
        elif op in (b"m", b"l"):
            yield float(operands[0]), float(operands[0])


def head_and_title(reader: PdfReader, index: int) -> tuple[str, str]:
    """The chapter named by the page's running head (its right-hand part) and the first
    line of the page's body, as text."""
    page = reader.pages[index]
    parts: list[tuple[float, float, str]] = []

    def visit(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
        if text.strip():
            parts.append((tm[5], tm[4], text.strip()))

    page.extract_text(visitor_text=visit)
    head = [(x, t) for y, x, t in parts if y > HEIGHT - HEAD_ZONE]
    body = [t for y, x, t in parts if 60 < y <= HEIGHT - HEAD_ZONE]
    chapter = max(head)[1] if len(head) > 1 else ""
    return chapter, body[0] if body else ""


def marks(reader: PdfReader) -> list[tuple[int, str, bool]]:
    """The outline in order: each entry's page index, title, and whether it is a branch's
    (a child of the branch pages' chapter) rather than a chapter's."""
    out: list[tuple[int, str, bool]] = []

    def add(item: Destination, branch: bool) -> None:
        page = reader.get_destination_page_number(item)
        assert page is not None and item.title is not None
        # A chapter's entry is numbered ("2 网点排名"); its running head is not.
        out.append((page, item.title if branch else re.sub(r"^\d+ ", "", item.title), branch))

    for item in reader.outline:
        if isinstance(item, list):
            for child in item:
                assert isinstance(child, Destination)
                add(child, True)
        else:
            add(item, False)
    return out


def expected_heads(reader: PdfReader) -> list[str]:
    """For each page, the chapter or branch in force on it by the outline: the first that
    starts on the page, or else the last that started before it."""
    starts = sorted((page, order, title) for order, (page, title, _) in enumerate(marks(reader)))
    out = []
    for page in range(len(reader.pages)):
        here = [title for p, _, title in starts if p == page]
        before = [title for p, _, title in starts if p < page]
        out.append(here[0] if here else before[-1] if before else "")
    return out


@pytest.fixture(scope="module")
def long_names(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The test network with a few very long branch names, one of them in Latin letters."""
    base = tmp_path_factory.mktemp("bulletin-long-names")
    branches = tuple(replace(b, name=LONG_NAMES.get(b.branch_id, b.name)) for b in BRANCHES)
    write_network(
        base / "csv",
        first_monday=monday_weeks_before(date(2018, 3, 5), WEEKS),
        weeks=WEEKS,
        seed=11,
        scale=0.5,
        branches=branches,
    )
    report = ingest_paths(
        base / "store",
        [base / "csv"],
        timezone="Asia/Shanghai",
        catalogue=load_catalogue(),
        options=IngestOptions(),
    )
    assert report.rejected == 0, report
    return Store.open(base / "store")


@pytest.fixture(scope="module", params=[Lang.ZH, Lang.EN], ids=["zh", "en"])
def long_built(
    request: pytest.FixtureRequest, long_names: Store, tmp_path_factory: pytest.TempPathFactory
) -> BulletinPaths:
    """The bulletin of the long-named network, with every branch's own PDF."""
    lang: Lang = request.param
    return build_bulletin(
        long_names,
        load_settings(store=long_names.root),
        WEEK,
        tmp_path_factory.mktemp(f"long-{lang.value}"),
        lang,
        None,
        sections=(),
        formats=(BulletinFormat.PDF,),
        branches=["all"],
        generated_at=GENERATED,
    )


def _pdfs(paths: BulletinPaths) -> list[Path]:
    assert paths.pdf is not None
    volume = [p for p in paths.volume if p.suffix == ".pdf"]
    return [paths.pdf, *(p for p in paths.branches if p.suffix == ".pdf"), *volume]


class TestRunningHead:
    def test_every_page_names_its_own_chapter_or_branch(self, zh: Built) -> None:
        reader = PdfReader(zh.pdf)
        expected = expected_heads(reader)
        wrong = [
            (number, head, expected[number - 1])
            for number in range(2, len(reader.pages) + 1)
            if (head := head_and_title(reader, number - 1)[0]) != expected[number - 1]
        ]
        assert wrong == []

    def test_a_branch_page_names_the_branch_whose_title_it_bears(
        self, zh: Built, en: Built
    ) -> None:
        for built in (zh, en):
            reader = PdfReader(built.volume_pdf)
            branches = [(page, name) for page, name, branch in marks(reader) if branch]
            assert len(branches) == len(BRANCHES)
            for index, name in branches:
                assert head_and_title(reader, index) == (name, name), index + 1

    def test_long_names_are_shortened_in_the_head_not_swapped(
        self, long_built: BulletinPaths
    ) -> None:
        reader = PdfReader(next(p for p in long_built.volume if p.suffix == ".pdf"))
        for index, name, branch in marks(reader):
            head = head_and_title(reader, index)[0].rstrip("…")
            assert not branch or (head and name.startswith(head)), name

    def test_a_branch_pdf_running_on_names_its_branch(self, long_built: BulletinPaths) -> None:
        branch_pdfs = [p for p in long_built.branches if p.suffix == ".pdf"]
        assert len(branch_pdfs) == len(BRANCHES)
        for pdf in branch_pdfs:
            reader = PdfReader(pdf)
            ((_, name, _),) = marks(reader)
            for index in range(1, len(reader.pages)):
                head = head_and_title(reader, index)[0].rstrip("…")
                assert head and name.startswith(head), (pdf.name, index + 1)


class TestMargins:
    def test_no_text_is_drawn_outside_the_margins(self, long_built: BulletinPaths) -> None:
        outside = []
        for pdf in _pdfs(long_built):
            reader = PdfReader(pdf)
            for number, page in enumerate(reader.pages, 1):
                for run in runs(reader, page):
                    if run.x < MARGIN_X - 0.5 or run.x + run.width > WIDTH - MARGIN_X + 0.5:
                        outside.append((pdf.name, number, round(run.x, 1), round(run.width, 1)))
                    assert 20 <= run.y <= HEIGHT - 20
        assert outside == []

    def test_no_rule_box_or_chart_passes_the_margins(self, long_built: BulletinPaths) -> None:
        outside = []
        for pdf in _pdfs(long_built):
            reader = PdfReader(pdf)
            for number, page in enumerate(reader.pages, 1):
                for left, right in shapes(reader, page):
                    if left < MARGIN_X - 0.5 or right > WIDTH - MARGIN_X + 0.5:
                        outside.append((pdf.name, number, round(left, 1), round(right, 1)))
        assert outside == []
