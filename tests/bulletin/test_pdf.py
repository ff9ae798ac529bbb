"""The PDF read back as text (pypdf): Chinese names, the right figures, pages, contents."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from smartcounter.bulletin import BulletinFormat
from smartcounter.bulletin.content import build_content
from smartcounter.bulletin.formats import Formats
from smartcounter.bulletin.pdf import write_pdf
from smartcounter.i18n import Lang
from smartcounter.metrics import Metrics
from smartcounter.programme.status import judge
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from tests.bulletin.conftest import GENERATED, SOURCE_BRANCHES, WEEK, BuildBulletin, Built


@pytest.fixture(scope="module")
def reader(zh: Built) -> PdfReader:
    return PdfReader(zh.pdf)


@pytest.fixture(scope="module")
def pages(reader: PdfReader) -> list[str]:
    # A wrapped line splits a name in two; a reader's search does not care, nor does this.
    return [page.extract_text().replace("\n", "") for page in reader.pages]


@pytest.fixture(scope="module")
def volume(zh: Built) -> PdfReader:
    return PdfReader(zh.volume_pdf)


@pytest.fixture(scope="module")
def volume_pages(volume: PdfReader) -> list[str]:
    return [page.extract_text().replace("\n", "") for page in volume.pages]


class TestText:
    def test_the_headline_rate_is_the_apis(self, pages: list[str], metrics: Metrics) -> None:
        row = metrics.week_over_week(WEEK, []).row(0, named=True)
        f = Formats(Lang.ZH)
        headline = pages[1]
        assert "本周要点" in headline
        assert (
            f.pct(row["rate"]) in headline and f.interval(row["ci_low"], row["ci_high"]) in headline
        )

    def test_each_source_branch_has_a_page_with_its_figures(
        self, volume_pages: list[str], metrics: Metrics
    ) -> None:
        pages = volume_pages
        ranking = {r["branch_id"]: r for r in metrics.ranking(WEEK).iter_rows(named=True)}
        f = Formats(Lang.ZH)
        for branch_id, name in SOURCE_BRANCHES.items():
            own = [p for p in pages if p.startswith(name)]
            assert len(own) == 1, name
            r = ranking[branch_id]
            assert f.pct(r["rate"]) in own[0]
            assert f.interval(r["ci_low"], r["ci_high"]) in own[0]
            assert f"在{r['peers']}家" in own[0] and f"排第{r['peer_rank']}名" in own[0]

    def test_every_page_is_numbered(self, pages: list[str]) -> None:
        total = len(pages)
        for number, text in enumerate(pages, 1):
            assert f"{number} / {total}" in text

    def test_the_contents_list_chapters_with_their_pages(self, reader: PdfReader) -> None:
        cover = reader.pages[0].extract_text()
        assert "目录" in cover and "智能柜台迁移率每周通报" in cover
        outline = [o for o in reader.outline if not isinstance(o, list)]
        assert [o.title for o in outline][:3] == [
            "1 本周要点",
            "2 网点排名",
            "3 本周标杆与重点帮扶",
        ]
        for item in outline:
            page_number = reader.get_destination_page_number(item) + 1
            assert re.search(
                rf"{re.escape(item.title.split(' ', 1)[1])}\s*\.+\s*{page_number}(?!\d)", cover
            ), item.title

    def test_a_branch_page_bookmark_per_branch(self, volume: PdfReader, metrics: Metrics) -> None:
        children = next(o for o in volume.outline if isinstance(o, list))
        assert len(children) == metrics.ranking(WEEK).height


class TestFonts:
    def test_chinese_is_set_in_an_embedded_cjk_font_without_missing_glyphs(
        self, metrics: Metrics, store: Store, settings: Settings, tmp_path: Path
    ) -> None:
        content = build_content(
            metrics,
            store,
            settings.bulletin,
            board=judge(metrics=metrics, settings=settings, week=WEEK),
            lang=Lang.ZH,
            region=None,
            generated_at=GENERATED,
        )
        out = write_pdf(content, settings.bulletin, tmp_path / "b.pdf")
        assert out.missing == frozenset()
        fonts = set()
        for page in PdfReader(out.path).pages[:3]:
            for font in page["/Resources"]["/Font"].values():
                obj = font.get_object()
                descendant = obj["/DescendantFonts"][0].get_object()
                assert (
                    "/FontFile3" in descendant["/FontDescriptor"]
                    or "/FontFile2" in descendant["/FontDescriptor"]
                )
                fonts.add(str(obj["/BaseFont"]).split("+", 1)[1])
        assert any("CJK" in name for name in fonts)

    @pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
    def test_pages_render_as_images(self, zh: Built, artifacts: Path) -> None:
        prefix = artifacts / "bulletin-zh-page"
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "3", str(zh.pdf), str(prefix)],
            check=True,
        )
        assert len(list(artifacts.glob("bulletin-zh-page-*.png"))) >= 3


class TestLanguage:
    def test_english(self, en: Built) -> None:
        text = "".join(p.extract_text() for p in PdfReader(en.pdf).pages[:3])
        assert "Smart-Counter Migration Weekly Bulletin" in text
        assert "Week 10, 2018" in text and "5–11 March 2018" in text
        assert "Migration rate" in text


class TestReproducible:
    def test_same_content_same_bytes(self, build: BuildBulletin, zh: Built) -> None:
        again = build(Lang.ZH, sections=(), formats=(BulletinFormat.PDF,))
        assert again.pdf is not None and again.pdf.read_bytes() == zh.pdf.read_bytes()
