"""The director's what-if in a real browser (Debian's Chromium): fill the form, see the charts.

Screenshots go to ``test-artifacts/dashboards/``, to be looked at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_kit import launch, needs_chromium
from tests.dashboards.kit import BRANCH_A, Site, build_site
from tests.dashboards.test_browser import ARTIFACTS, DESKTOP, PHONE, _server_class

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    needs_chromium,
]


@pytest.fixture(scope="module")
def whatif_site(
    network_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Site, str]]:
    root = tmp_path_factory.mktemp("whatif-browser") / "store"
    shutil.copytree(network_root, root)
    site = build_site(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    # Fewer calibration rounds: the test is about the page, not the fit.
    env["SMARTCOUNTER_SIMULATION__CALIBRATION_ROUNDS"] = "2"
    env["SMARTCOUNTER_SIMULATION__CALIBRATION_VISITS"] = "500"
    server = _server_class()(root, env)
    server.start()
    try:
        yield site, server.url
    finally:
        server.stop()


def test_the_director_asks_what_if_and_sees_the_charts(whatif_site: tuple[Site, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    site, url = whatif_site
    problems: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
            page = context.new_page()
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
            username, password = site.logins["director-A"]
            page.fill("#username", username)
            page.fill("#password", password)
            page.click("#login-submit")
            page.wait_for_load_state("networkidle")
            page.click("#nav-whatif")
            page.wait_for_load_state("networkidle")
            assert page.url.endswith(f"/branches/{BRANCH_A}/whatif")

            # A number out of range is refused, in words.
            page.fill("#whatif-replications", "1")
            page.click("#whatif-run")
            expect(page.locator("#whatif-status.failed")).to_be_visible()
            assert "server_error" not in page.locator("#whatif-status").inner_text()

            page.fill("#whatif-smart_counters", "1")
            page.select_option("#whatif-cash_split", "true")
            page.fill("#whatif-replications", "3")
            page.click("#whatif-run")
            expect(page.locator("#whatif-run")).to_be_disabled()
            expect(page.locator("#whatif-status")).to_contain_text("正在计算")
            expect(page.locator("#whatif-rate-chart .whatif-wide svg")).to_be_visible(
                timeout=180_000
            )
            expect(page.locator("#whatif-wait-chart .whatif-wide svg")).to_be_visible()
            expect(page.locator("#whatif-rate-chart")).to_contain_text("各时段迁移率")
            expect(page.locator(".whatif-summary")).to_contain_text("迁移率")
            expect(page.locator("#whatif-run")).to_be_enabled()
            expect(page.locator("#toast")).to_be_hidden(timeout=15_000)  # the refusal's
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "08-director-whatif.png"), full_page=True)

            # The cheapest staffing by hour: the plans are counted while they are evaluated.
            page.fill("#optimise-target_rate", "80")
            page.fill("#optimise-max_wait_min", "15")
            page.fill("#optimise-replications", "2")
            page.click("#optimise-run")
            expect(page.locator("#optimise-run")).to_be_disabled()
            expect(page.locator("#optimise-status")).to_contain_text(
                "正在评估排班方案", timeout=120_000
            )
            expect(page.locator(".optimise-result svg").first).to_be_visible(timeout=300_000)
            assert page.locator(".optimise-result svg").count() == 3
            expect(page.locator(".optimise-result .verdict")).to_be_visible()
            expect(page.locator("#optimise-run")).to_be_enabled()
            page.screenshot(path=str(ARTIFACTS / "10-director-optimise.png"), full_page=True)
            page.set_viewport_size(PHONE)
            expect(page.locator("#whatif-rate-chart .whatif-narrow svg")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "09-director-whatif-phone.png"), full_page=True)
            context.close()
        finally:
            browser.close()
    assert problems == []
