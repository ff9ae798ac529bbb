"""The HTML as a reader opens it: Debian's Chromium, offline, on a desktop and on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartcounter.bulletin.formats import Formats
from smartcounter.i18n import Lang
from smartcounter.metrics import Metrics
from tests.browser_kit import launch, needs_chromium
from tests.bulletin.conftest import WEEK, Built

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Debian's own Chromium: tests never download a browser.
        b = launch(p)
        yield b
        b.close()


class Reader:
    """A page that records console errors and every request, and allows only local ones."""

    def __init__(self, browser: Any, width: int, height: int) -> None:
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            route.abort()

    def open(self, path: Path) -> Any:
        self.page.goto(path.as_uri(), wait_until="load")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Reader]:
    reader = Reader(browser, 1280, 900)
    yield reader
    reader.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Reader]:
    reader = Reader(browser, 390, 844)
    yield reader
    reader.close()


class TestDesktop:
    def test_opens_offline_without_errors(
        self, desktop: Reader, zh: Built, artifacts: Path
    ) -> None:
        page = desktop.open(zh.html)
        page.screenshot(path=str(artifacts / "bulletin-zh-desktop.png"))
        page.locator("#h-rankings").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "bulletin-zh-rankings.png"))
        assert desktop.errors == []
        assert [u for u in desktop.requests if not u.startswith(("file:", "data:"))] == []

    def test_the_headline_rate_a_reader_sees_is_the_apis(
        self, desktop: Reader, zh: Built, metrics: Metrics
    ) -> None:
        page = desktop.open(zh.html)
        rate = metrics.week_over_week(WEEK, []).row(0, named=True)["rate"]
        assert page.locator("#kpi-rate .value").inner_text() == Formats(Lang.ZH).pct(rate)
        assert page.locator("svg.chart").count() > 10
        volume = desktop.open(zh.volume_html)
        assert volume.locator("article.branch").count() == metrics.ranking(WEEK).height

    def test_english_branch_page(self, desktop: Reader, en: Built, artifacts: Path) -> None:
        page = desktop.open(en.volume_html)
        article = page.locator("#b-CZ-LJL")
        article.scroll_into_view_if_needed()
        article.screenshot(path=str(artifacts / "bulletin-en-branch.png"))
        assert "Your branch's smart-counter migration rate" in article.inner_text()
        assert desktop.errors == []


class TestPhone:
    def test_fits_the_screen_and_tables_scroll_inside(
        self, phone: Reader, zh: Built, artifacts: Path
    ) -> None:
        page = phone.open(zh.html)
        page.screenshot(path=str(artifacts / "bulletin-zh-phone.png"))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        page = phone.open(zh.volume_html)
        page.locator("#b-DY-XSK").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "bulletin-zh-phone-branch.png"))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        assert phone.errors == []
