"""The HTML file as a file: self-contained, reproducible, complete in each language."""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from smartcounter.bulletin.formats import Formats
from smartcounter.i18n import Lang
from smartcounter.metrics import Metrics
from tests.bulletin.conftest import SOURCE_BRANCHES, WEEK, BuildBulletin, Built

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")


class _Text(HTMLParser):
    """The page's text without style and script, and every element id."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.ids: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self._skip += 1
        self.ids += [v for k, v in attrs if k == "id" and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


class TestSelfContained:
    def test_no_reference_to_another_host(self, zh: Built) -> None:
        html = zh.html.read_text("utf-8")
        assert not EXTERNAL.search(html)
        assert "@import" not in html and "url(" not in html

    def test_no_script_and_an_inline_icon(self, zh: Built) -> None:
        html = zh.html.read_text("utf-8")
        assert "<script" not in html
        assert '<link rel="icon" href="data:,">' in html

    def test_ids_are_unique(self, zh: Built) -> None:
        ids = _parse(zh.html.read_text("utf-8")).ids
        assert len(ids) == len(set(ids))


class TestContent:
    def test_headline_rate_is_the_apis(self, zh: Built, metrics: Metrics) -> None:
        rate = metrics.week_over_week(WEEK, []).row(0, named=True)["rate"]
        html = zh.html.read_text("utf-8")
        kpi = re.search(r'id="kpi-rate".*?<div class="value">([^<]+)</div>', html, re.S)
        assert kpi is not None and kpi.group(1) == Formats(Lang.ZH).pct(rate)

    def test_every_branch_has_its_page_in_the_volume_the_bulletin_links_to(
        self, zh: Built, metrics: Metrics
    ) -> None:
        html = zh.html.read_text("utf-8")
        volume = zh.volume_html.read_text("utf-8")
        for branch_id in metrics.ranking(WEEK)["branch_id"].to_list():
            assert f'<article class="branch" id="b-{branch_id}"' in volume
            assert f'<article class="branch" id="b-{branch_id}"' not in html
            assert f'href="branches.html#b-{branch_id}"' in html
        for name in SOURCE_BRANCHES.values():
            assert name in html and name in volume

    def test_chapters_in_order(self, zh: Built) -> None:
        ids = _parse(zh.html.read_text("utf-8")).ids
        chapters = [i for i in ids if i.startswith("h-")]
        assert chapters == [
            "h-headline", "h-rankings", "h-benchmarks", "h-unmigrated", "h-triage", "h-trend", "h-branches", "h-method",
        ]  # fmt: skip


class TestLanguage:
    def test_english_has_no_chinese_but_the_names_in_the_data(
        self, en: Built, store_names: set[str]
    ) -> None:
        text = " ".join(_parse(en.html.read_text("utf-8")).parts)
        for name in sorted(store_names, key=len, reverse=True):
            text = text.replace(name, " ")
        assert CJK.findall(text) == []
        assert "Migration rate" in text and "Week 10, 2018" in text

    def test_chinese_dates_and_labels(self, zh: Built) -> None:
        html = zh.html.read_text("utf-8")
        assert "2018年第10周" in html and "2018年3月5日—11日" in html and "迁移率" in html
        assert '<html lang="zh-CN">' in html


class TestReproducible:
    def test_only_the_generated_at_line_differs(self, build: BuildBulletin, zh: Built) -> None:
        from smartcounter.bulletin import BulletinFormat

        later = datetime(2019, 1, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        other = build(Lang.ZH, sections=(), generated_at=later, formats=(BulletinFormat.HTML,))
        assert other.html is not None
        a = zh.html.read_text("utf-8").splitlines()
        b = other.html.read_text("utf-8").splitlines()
        assert len(a) == len(b)
        differing = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        assert len(differing) == 1 and 'class="generated"' in differing[0][0]
