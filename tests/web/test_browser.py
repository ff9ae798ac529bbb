"""The lobby in a real browser (Debian's Chromium): a morning with two customers, then close of day.

A greeter issues a ticket for a new card; the specialist sees it, the customer is served at
the smart counter after the specialist authorises; a second customer declines at stage 2 and
is served at a teller with the reason; the director closes the day and ``rates`` shows both.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from testkit import Server

from smartcounter.accounts.demo import demo_device_links, seed_demo
from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.canonical.tables import BRANCHES, STAFF
from smartcounter.ingest.service import IngestOptions, frame_source, ingest_sources
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from tests.browser_kit import launch, needs_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "lobby"
BRANCH = "ZJ001"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    needs_chromium,
]


def make_store(root: Path) -> Store:
    store = Store.open_or_create(root, timezone="Asia/Shanghai")
    branches = pl.DataFrame(
        {
            "branch_id": [BRANCH],
            "name": ["丹阳新市口支行"],
            "region": ["镇江"],
            "branch_type": ["urban"],
            "staff_count": ["8"],
            "smart_counters": ["1"],
            "teller_windows": ["2"],
        }
    )
    staff = pl.DataFrame(
        {
            "staff_id": ["ZJ001-01", "ZJ001-02", "ZJ001-03", "ZJ001-04", "ZJ001-05"],
            "branch_id": [BRANCH] * 5,
            "name": ["周敏", "陈晨", "刘洋", "王芳", "赵磊"],
            "role": ["director", "lobby_manager", "greeter", "stm_specialist", "teller"],
        }
    )
    ingest_sources(
        store,
        [frame_source("branches", BRANCHES, branches), frame_source("staff", STAFF, staff)],
        catalogue=load_catalogue(),
        options=IngestOptions(),
    )
    return store


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    root = tmp_path_factory.mktemp("browser") / "store"
    store = make_store(root)
    settings = Settings(store=root)
    logins = {
        role: (user, password)
        for role, user, password in seed_demo(store, BRANCH, settings=settings)
    }
    devices = dict(demo_device_links(store, BRANCH, settings=settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    server = Server(root, env)
    server.start()
    try:
        yield {"url": server.url, "logins": logins, "devices": devices, "store": root}
    finally:
        server.stop()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_morning_in_the_lobby(site: dict[str, object]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url = str(site["url"])
    logins: dict[str, tuple[str, str]] = site["logins"]  # type: ignore[assignment]
    devices: dict[str, str] = site["devices"]  # type: ignore[assignment]
    base = f"{url}/branches/{BRANCH}"
    with sync_playwright() as p:
        browser = launch(p)
        try:

            def login(role: str, size: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
                context = browser.new_context(
                    viewport=size or {"width": 1280, "height": 860}, locale="zh-CN"
                )
                page = context.new_page()
                page.goto(f"{url}/login")
                user, password = logins[role]
                page.fill("#username", user)
                page.fill("#password", password)
                page.click("#login-submit")
                page.wait_for_load_state("networkidle")
                return page

            page = browser.new_page()
            page.goto(f"{url}/login")
            shot(page, "00-login")
            page.close()

            # The greeter issues a ticket for a new card (tablet size).
            greeter = login("greeter", {"width": 1180, "height": 820})
            greeter.goto(f"{base}/tablet")
            greeter.click('.chip[data-code="card_open"]')
            greeter.fill("#customer_id", "C-1001")
            greeter.select_option("#age_band", "45-59")
            greeter.select_option("#has_mobile_banking", "false")
            greeter.click("#issue-submit")
            expect(greeter.locator("#issued-number")).to_have_text("B001")
            shot(greeter, "01-greeter-issued-new-card")

            # The specialist sees the customer waiting.
            specialist = login("stm_specialist")
            specialist.goto(f"{base}/tablet")
            expect(specialist.locator('#waiting-list [data-ticket="B001"]')).to_be_visible()
            shot(specialist, "02-specialist-sees-waiting")

            # At the smart counter: call, start; the step waits for authorisation.
            console = specialist.context.new_page()
            console.goto(f"{base}/window")
            console.select_option("#point-select", label="智能柜台1 (S1)")
            console.click("#btn-call")
            expect(console.locator("#current-number")).to_have_text("B001")
            console.click("#btn-start")
            expect(console.locator(".auth-state.pending")).to_be_visible()
            specialist.bring_to_front()
            auth = specialist.locator("#auth-list [data-authorisation]")
            expect(auth).to_have_count(1)
            shot(specialist, "03-specialist-authorisation-queue")
            auth.locator("button.btn-success").click()
            expect(specialist.locator("#auth-list [data-authorisation]")).to_have_count(0)
            console.bring_to_front()
            expect(console.locator(".auth-state.approved")).to_be_visible()
            shot(console, "04-smart-counter-authorised")
            console.click("#btn-complete")
            expect(console.locator("#current-number")).to_have_text("—")

            # A second customer: accepted by the greeter, declines in the hall (stage 2).
            greeter.bring_to_front()
            greeter.click('.chip[data-code="statement_print"]')
            greeter.select_option("#age_band", "60+")
            greeter.click("#issue-submit")
            expect(greeter.locator("#issued-number")).to_have_text("B002")
            specialist.bring_to_front()
            card = specialist.locator('#waiting-list [data-ticket="B002"]')
            expect(card).to_be_visible()
            card.locator("select.reason-select").select_option("elderly_unable")
            shot(specialist, "05-specialist-stage2-before-decline")
            card.locator("button", has_text="记录原因，转柜面").click()
            expect(
                specialist.locator('#waiting-list [data-ticket="B002"] .badge.teller')
            ).to_be_visible()

            # The teller serves them; the reason from the hall goes with the transaction.
            teller = login("teller")
            teller.goto(f"{base}/window")
            teller.select_option("#point-select", label="1号窗口 (W1)")
            teller.click("#btn-call")
            expect(teller.locator("#current-number")).to_have_text("B002")
            expect(teller.locator("#current-items .reason")).to_have_text("年长不会操作")
            shot(teller, "06-teller-window-serving")
            teller.click("#btn-complete")
            expect(teller.locator("#current-number")).to_have_text("—")

            # Kiosk and calling display, opened with their device links.
            kiosk = browser.new_page(viewport={"width": 1080, "height": 1000})
            kiosk.goto(url + devices["kiosk"])
            kiosk.click('.kiosk-btn[data-code="cash_deposit"]')
            kiosk.click("#kiosk-take")
            expect(kiosk.locator("#kiosk-ticket .num")).to_have_text("A001")
            shot(kiosk, "07-kiosk")
            display = browser.new_page(viewport={"width": 1600, "height": 900})
            display.goto(url + devices["display"])
            teller.bring_to_front()
            teller.click("#btn-call")
            expect(display.locator("#now-number")).to_have_text("A001", timeout=10000)
            shot(display, "08-calling-display")
            teller.click("#btn-noshow")

            # The director closes the day.
            director = login("director")
            director.goto(f"{base}/setup")
            director.click("#btn-close-day")
            director.click("#btn-close-confirm")
            expect(director.locator("#close-ok")).to_be_visible(timeout=30000)
            shot(director, "09-director-close-day")
            english = login("director")
            english.goto(f"{base}/tablet?lang=en")
            expect(english.locator("#issue-card h2")).to_have_text("Issue a ticket")
            shot(english, "10-tablet-english")
            phone = login("teller", {"width": 390, "height": 844})
            phone.goto(f"{base}/window")
            expect(phone.locator("#current-meta")).to_contain_text("空闲")
            shot(phone, "11-teller-window-phone")
        finally:
            browser.close()

    rates = subprocess.run(
        [
            str(Path(sys.executable).parent / "smartcounter"),
            "--store",
            str(site["store"]),
            "rates",
            "--by",
            "branch",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")},
    )
    body = json.loads(rates.stdout)
    rows = body if isinstance(body, list) else body.get("rows", body)
    (row,) = [r for r in rows if r["branch_id"] == BRANCH]
    assert (row["migratable"], row["migrated"]) == (2, 1)
    assert row["rate"] == 0.5
