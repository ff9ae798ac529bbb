"""The dashboards in a real browser (Debian's Chromium): the analyst's week, the director's scores.

Screenshots go to ``test-artifacts/dashboards/``, desktop and phone sizes, to be looked at.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcounter.metrics import open_metrics
from smartcounter.programme import service as programme
from tests.browser_kit import launch, needs_chromium
from tests.dashboards.kit import BRANCH_A, Site, build_site
from tests.store_database_kit import save_pairs_of

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboards"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    needs_chromium,
]


def _server_class():  # type: ignore[no-untyped-def]
    """``smartcounter serve`` in a subprocess, from the lobby tests' kit (loaded by path)."""
    if "testkit" not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "lobby" / "testkit.py"
        spec = importlib.util.spec_from_file_location("testkit", path)
        assert spec is not None and spec.loader is not None
        sys.modules["testkit"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["testkit"])
    return sys.modules["testkit"].Server


@pytest.fixture(scope="module")
def served(
    network_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Site, str]]:
    root = tmp_path_factory.mktemp("dash-browser") / "store"
    shutil.copytree(network_root, root)
    site = build_site(root)
    # The centre confirmed last week's proposed pairs: this week shows their progress.
    with open_metrics(site.store, site.settings) as m:
        report = programme.propose_pairs(metrics=m, settings=site.settings, week="2018-W10")
        save_pairs_of(site.store, report)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    server = _server_class()(root, env)
    server.start()
    try:
        yield site, server.url
    finally:
        server.stop()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_analyst_and_the_director_at_work(served: tuple[Site, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    site, url = served
    problems: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:

            def login(who: str, size: dict[str, int]):  # type: ignore[no-untyped-def]
                context = browser.new_context(viewport=size, locale="zh-CN")
                page = context.new_page()
                # A blocked asset or a script error shows in the console: none is expected
                # (but the refused score's answer, 422 on purpose).
                page.on(
                    "console",
                    lambda m: (
                        problems.append(m.text)
                        if m.type in ("error", "warning") and "422" not in m.text
                        else None
                    ),
                )
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.goto(f"{url}/login")
                username, password = site.logins[who]
                page.fill("#username", username)
                page.fill("#password", password)
                page.click("#login-submit")
                page.wait_for_load_state("networkidle")
                return page

            # The analyst lands on the network's week.
            analyst = login("analyst", DESKTOP)
            assert analyst.url.endswith("/dashboards/network")
            expect(analyst.locator('[data-figure="network-rate"]')).to_contain_text("%")
            shot(analyst, "01-analyst-network")

            # Sorting the urban ranking by rate puts the lowest first on the second click.
            table = analyst.locator('table.ranking[data-group="urban"]')
            header = table.locator("th", has_text="迁移率").first
            header.click()
            header.click()
            rates = [
                float(v)
                for v in table.locator("tbody td[data-rate]").evaluate_all(
                    "cells => cells.map(c => c.dataset.v)"
                )
            ]
            assert rates == sorted(rates) and len(rates) > 3

            # Filtering by peer group applies as soon as it is chosen.
            with analyst.expect_navigation():
                analyst.select_option("#filter-group", "micro")
            assert "group=micro" in analyst.url
            expect(analyst.locator("table.ranking")).to_have_count(1)
            analyst.context.close()

            phone = login("analyst", PHONE)
            shot(phone, "02-analyst-network-phone")
            phone.context.close()

            # The director lands on the branch and scores a teller for the quarter.
            director = login("director-A", DESKTOP)
            assert director.url.endswith(f"/branches/{BRANCH_A}/dashboard")
            expect(director.locator('[data-figure="branch-rate"]')).to_contain_text("%")
            shot(director, "03-director-branch")
            first_input = director.locator("#score-form input.score-input").first
            first_input.fill("88")
            director.locator("#score-form input.note-input").first.fill("厅堂引导积极")
            with director.expect_navigation():
                director.click("#scores-submit")
            expect(director.locator("#scores-saved")).to_be_visible()
            expect(director.locator("#score-form input.score-input").first).to_have_value("88")
            director.locator("#scorecards").scroll_into_view_if_needed()
            director.locator("#scorecards").screenshot(
                path=str(ARTIFACTS / "04-director-scores-saved.png")
            )

            # A number out of range is shown back, with nothing saved.
            director.locator("#score-form input.score-input").first.fill("120")
            with director.expect_navigation():
                director.click("#scores-submit")
            expect(director.locator("#scores-error")).to_be_visible()
            director.locator("#scorecards").screenshot(
                path=str(ARTIFACTS / "05-director-score-refused.png")
            )
            director.context.close()

            phone = login("director-A", PHONE)
            shot(phone, "06-director-branch-phone")
            phone.context.close()

            english = login("director-A", DESKTOP)
            english.goto(f"{url}/branches/{BRANCH_A}/dashboard?lang=en")
            english.wait_for_load_state("networkidle")
            shot(english, "07-director-branch-en")
            english.context.close()
        finally:
            browser.close()
    assert problems == []
