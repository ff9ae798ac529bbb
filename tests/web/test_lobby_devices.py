"""The hardware a lobby has, in a real browser (Debian's Chromium) against a real ``serve``.

The kiosk issues a ticket and its print view renders on 80 mm paper (the PDF's text is read
back); the calling display rings the chime and speaks the call made through the API, and its
recent calls list the last calls after they are served; the tablet shows when the server cannot
be reached and retries with the same idempotency key; at 1024 px no top bar wraps.
PDFs and screenshots go to ``test-artifacts/lobby-devices/``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
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

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "lobby-devices"
BRANCH = "ZJ001"
BRANCH_NAME = "丹阳新市口支行"
# Record what the page says and plays: speech synthesis has no voice in a headless browser,
# so the recording stands in for the loudspeaker.
# The server "down" for what a tap sends and for the page's reachability probe; the live stream
# already open stays up, so that the moment the fault is seen is the tap's, not the stream's.
DOWN = ["**/api/branches/*/tickets?*", "**/static/img/logo.svg?probe=*"]
RECORDER = """
window.__spoken = [];
window.__played = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = (u) => {
    window.__spoken.push({ text: u.text, lang: u.lang });
    setTimeout(() => u.onend && u.onend(new Event("end")), 10);
  };
  window.speechSynthesis.getVoices = () => [{ lang: "zh-CN", name: "recorder" }];
}
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  window.__played.push(this.src);
  return play.call(this).catch(() => undefined);
};
"""

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
            "name": [BRANCH_NAME],
            "region": ["镇江"],
            "branch_type": ["urban"],
            "staff_count": ["6"],
            "smart_counters": ["1"],
            "teller_windows": ["2"],
        }
    )
    staff = pl.DataFrame(
        {
            "staff_id": [f"{BRANCH}-0{i}" for i in range(1, 6)],
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
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("devices") / "store"
    store = make_store(root)
    settings = Settings(store=root)
    logins = {role: (u, p) for role, u, p in seed_demo(store, BRANCH, settings=settings)}
    devices = dict(demo_device_links(store, BRANCH, settings=settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    server = Server(root, env)
    server.start()
    try:
        yield {"url": server.url, "logins": logins, "devices": devices}
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch(p, "--autoplay-policy=no-user-gesture-required")
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _pages_closed_after_each_test(browser: Any) -> Iterator[None]:
    """Close every page a test opened: each open lobby page holds a live stream (and so a
    server thread), and the next test's pages must not queue behind them."""
    yield
    for context in list(browser.contexts):
        context.close()


class Api:
    """A member of staff calling the REST API directly, as the teller's window would."""

    def __init__(self, site: dict[str, Any], role: str) -> None:
        self.client = httpx.Client(base_url=site["url"], timeout=10)
        user, password = site["logins"][role]
        answer = self.client.post("/api/auth/login", json={"username": user, "password": password})
        answer.raise_for_status()
        self.client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        self.base = f"/api/branches/{BRANCH}"

    def post(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        answer = self.client.post(
            self.base + path, json=payload, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert answer.status_code < 300, answer.text
        return answer.json()

    def window(self) -> int:
        points = self.client.get(self.base).json()["points"]
        return next(p["id"] for p in points if p["kind"] == "teller" and p["active"])


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def pdf_text(page: Any, name: str, width: str, height: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    page.pdf(path=str(path), width=width, height=height, print_background=True)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout


def login(browser: Any, site: dict[str, Any], role: str, width: int = 1024) -> Any:
    page = browser.new_context(viewport={"width": width, "height": 768}, locale="zh-CN").new_page()
    page.goto(f"{site['url']}/login")
    user, password = site["logins"][role]
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    return page


class TestKioskAndDisplay:
    def test_ticket_printed_and_calls_spoken_and_listed(
        self, site: dict[str, Any], browser: Any
    ) -> None:
        from playwright.sync_api import expect

        url = site["url"]
        display = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
        display.add_init_script(RECORDER)
        display.goto(url + site["devices"]["display"])
        expect(display.locator("#now-point")).to_have_text("请留意叫号")

        kiosk = browser.new_context(viewport={"width": 1024, "height": 900}).new_page()
        kiosk.goto(url + site["devices"]["kiosk"])
        kiosk.click('.kiosk-btn[data-code="cash_deposit"]')
        kiosk.click("#kiosk-take")
        expect(kiosk.locator("#kiosk-number")).to_have_text("A001")
        expect(kiosk.locator("#kiosk-print")).to_be_visible()
        shot(kiosk, "kiosk-issued")
        text = pdf_text(kiosk, "ticket-80mm", "80mm", "100mm")
        for expected in ("A001", "柜面", BRANCH_NAME, "现金存款", "前面等候", "0 人", "取号时间"):
            assert expected in text, (expected, text)
        kiosk.goto(url + f"/branches/{BRANCH}/kiosk?paper=58")
        kiosk.click('.kiosk-btn[data-code="cash_deposit"]')
        kiosk.click("#kiosk-take")
        expect(kiosk.locator("#kiosk-number")).to_have_text("A002")
        narrow = pdf_text(kiosk, "ticket-58mm", "58mm", "100mm")
        assert "A002" in narrow and "1 人" in narrow

        teller = Api(site, "teller")
        point = teller.window()
        first = teller.post(f"/points/{point}/call-next")["ticket"]
        assert first["ticket_no"] == "A001"
        expect(display.locator("#now-number")).to_have_text("A001", timeout=10000)
        display.wait_for_function("() => window.__spoken.length >= 1", timeout=10000)
        spoken = display.evaluate("window.__spoken")
        assert spoken[0] == {"text": "请 A001 号到 1号窗口", "lang": "zh-CN"}
        played = display.evaluate("window.__played")
        assert played and played[0].endswith("/static/audio/chime.wav")

        # A recall is announced again.
        teller.post(f"/tickets/{first['id']}/recall")
        display.wait_for_function("() => window.__spoken.length >= 2", timeout=10000)
        assert display.evaluate("window.__spoken[1].text") == "再次呼叫，请 A001 号到 1号窗口"

        # Four customers called and served: the recent calls still list them.
        teller.post(f"/tickets/{first['id']}/complete", {})
        kiosk_token = parse_qs(urlparse(site["devices"]["kiosk"]).query)["token"][0]
        device = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {kiosk_token}"}, timeout=10
        )
        for _ in range(2):
            assert (
                device.post(
                    f"/api/branches/{BRANCH}/tickets",
                    json={"business": ["cash_deposit"]},
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                ).status_code
                == 201
            )
        for _ in range(3):
            ticket = teller.post(f"/points/{point}/call-next")["ticket"]
            teller.post(f"/tickets/{ticket['id']}/complete", {})
        expect(display.locator("#now-number")).to_have_text("A004", timeout=10000)
        expect(display.locator("#calling-table tr.recent-call td.no")).to_have_text(
            ["A003", "A002", "A001"], timeout=10000
        )
        display.wait_for_function("() => window.__spoken.length >= 5", timeout=10000)
        assert display.evaluate("window.__spoken.map(s => s.text)")[2:] == [
            "请 A002 号到 1号窗口",
            "请 A003 号到 1号窗口",
            "请 A004 号到 1号窗口",
        ]
        shot(display, "display-1024-recent-calls")

        english = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
        english.add_init_script(RECORDER)
        english.goto(url + site["devices"]["display"])
        english.goto(f"{url}/branches/{BRANCH}/display?lang=en")
        expect(english.locator("#now-number")).to_have_text("A004")
        device.post(
            f"/api/branches/{BRANCH}/tickets",
            json={"business": ["cash_deposit"]},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        teller.post(f"/points/{point}/call-next")
        english.wait_for_function("() => window.__spoken.length >= 1", timeout=10000)
        assert english.evaluate("window.__spoken[0]") == {
            "text": "Number A005, please go to 1号窗口",
            "lang": "en-US",
        }


class TestFaults:
    def test_server_unreachable_shows_the_banner_and_retries_with_the_same_key(
        self, site: dict[str, Any], browser: Any
    ) -> None:
        from playwright.sync_api import expect

        page = login(browser, site, "greeter")
        page.goto(f"{site['url']}/branches/{BRANCH}/tablet")
        expect(page.locator("#waiting-count")).not_to_have_text("")

        # A bad customer number: the API's 422 becomes a sentence in the page's language.
        page.click('.chip[data-code="cash_deposit"]')
        page.fill("#customer_id", "<6222>")
        page.click("#issue-submit")
        expect(page.locator("#toast")).to_have_text(
            "客户号/卡号格式不正确：只能填写字母和数字，可用空格或“-”分隔（如 6222 0202 0011 3333）。"
        )
        page.fill("#customer_id", "")

        keys: list[str] = []
        page.on(
            "request",
            lambda r: (
                keys.append(r.headers.get("idempotency-key", ""))
                if r.method == "POST" and r.url.split("?")[0].endswith("/tickets")
                else None
            ),
        )
        for pattern in DOWN:
            page.route(pattern, lambda route: route.abort())
        page.click("#issue-submit")
        expect(page.locator("#offline-banner")).to_be_visible()
        expect(page.locator("#offline-banner")).to_have_text(
            "与服务器的连接已断开，正在重试…（操作按钮暂不可用，恢复后自动继续）"
        )
        expect(page.locator("#issue-submit")).to_be_disabled()
        shot(page, "tablet-offline")
        for pattern in DOWN:
            page.unroute(pattern)
        expect(page.locator("#offline-banner")).to_be_hidden(timeout=10000)
        expect(page.locator("#issued-number")).to_be_visible(timeout=10000)
        expect(page.locator("#issue-submit")).to_be_enabled()
        assert len(keys) >= 2 and len(set(keys)) == 1 and keys[0]

    def test_the_kiosk_says_so_too_and_issues_one_ticket_when_back(
        self, site: dict[str, Any], browser: Any
    ) -> None:
        from playwright.sync_api import expect

        page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
        page.goto(site["url"] + site["devices"]["kiosk"])
        page.click('.kiosk-btn[data-code="cash_deposit"]')
        for pattern in DOWN:
            page.route(pattern, lambda route: route.abort())
        page.click("#kiosk-take")
        expect(page.locator("#offline-banner")).to_be_visible()
        expect(page.locator('.kiosk-btn[data-code="cash_withdrawal"]')).to_be_disabled()
        shot(page, "kiosk-offline")
        for pattern in DOWN:
            page.unroute(pattern)
        expect(page.locator("#kiosk-number")).to_be_visible(timeout=10000)
        expect(page.locator("#offline-banner")).to_be_hidden()


class TestAt1024:
    @pytest.mark.parametrize(
        ("role", "page_name"),
        [
            ("greeter", "tablet"),
            ("teller", "window"),
            ("director", "setup"),
            ("director", "tablet"),
            ("director", "tablet?lang=en"),
            ("teller", "window?lang=en"),
            ("device", "kiosk"),
            ("device", "display"),
        ],
    )
    def test_no_top_bar_wraps(
        self, site: dict[str, Any], browser: Any, role: str, page_name: str
    ) -> None:
        if role == "device":
            page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
            page.goto(site["url"] + site["devices"][page_name])
        else:
            page = login(browser, site, role)
            page.goto(f"{site['url']}/branches/{BRANCH}/{page_name}")
        page.wait_for_load_state("networkidle")
        bar = page.locator("header").first
        height = bar.evaluate("e => e.getBoundingClientRect().height")
        lines = bar.evaluate(
            "e => new Set([...e.children].filter(c => c.offsetParent !== null)"
            ".map(c => Math.round(c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2))).size"
        )
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        shot(page, f"1024-{page_name.replace('?lang=', '-')}-{role}")
        assert lines == 1, f"{page_name}: top bar items on {lines} lines"
        assert height <= 80
        assert overflow <= 0


class TestNoShowRecall:
    def test_the_window_puts_a_missed_customer_back_in_the_queue(
        self, site: dict[str, Any], browser: Any
    ) -> None:
        from playwright.sync_api import expect

        teller = Api(site, "teller")
        kiosk_token = parse_qs(urlparse(site["devices"]["kiosk"]).query)["token"][0]
        issued = httpx.post(
            f"{site['url']}/api/branches/{BRANCH}/tickets",
            json={"business": ["cash_deposit"]},
            headers={
                "Authorization": f"Bearer {kiosk_token}",
                "Idempotency-Key": str(uuid.uuid4()),
            },
        ).json()
        point = teller.window()
        # The window may still hold an earlier test's customer: let them go first.
        view = teller.client.get(f"{teller.base}/lobby").json()
        held = next((e["ticket"] for e in view["points"] if e["point"]["id"] == point), None)
        if held is not None:
            teller.post(
                f"/tickets/{held['id']}/complete"
                if held["status"] == "serving"
                else f"/tickets/{held['id']}/no-show",
                {} if held["status"] == "serving" else None,
            )
        called = teller.post(f"/points/{point}/call-next")["ticket"]
        while called["ticket_no"] != issued["ticket_no"]:  # earlier customers of the module
            teller.post(f"/tickets/{called['id']}/no-show")
            called = teller.post(f"/points/{point}/call-next")["ticket"]
        teller.post(f"/tickets/{called['id']}/no-show")
        page = login(browser, site, "teller")
        page.goto(f"{site['url']}/branches/{BRANCH}/window")
        card = page.locator(f"[data-noshow='{issued['ticket_no']}']")
        expect(card).to_be_visible(timeout=10000)
        try:
            card.locator("button").click()
            expect(card).to_be_hidden(timeout=10000)
        finally:
            page.context.close()  # its live stream would hold a server thread
        back = teller.client.get(f"{teller.base}/tickets/{issued['id']}").json()
        assert back["status"] == "waiting" and back["visit_id"] == issued["visit_id"]


class TestDayClose:
    """Last in the module: it closes the day."""

    def test_confirmation_says_who_is_still_waiting(
        self, site: dict[str, Any], browser: Any
    ) -> None:
        from playwright.sync_api import expect

        kiosk_token = parse_qs(urlparse(site["devices"]["kiosk"]).query)["token"][0]
        issued = httpx.post(
            f"{site['url']}/api/branches/{BRANCH}/tickets",
            json={"business": ["cash_deposit"]},
            headers={
                "Authorization": f"Bearer {kiosk_token}",
                "Idempotency-Key": str(uuid.uuid4()),
            },
        )
        assert issued.status_code == 201, issued.text
        page = login(browser, site, "director")
        page.goto(f"{site['url']}/branches/{BRANCH}/setup")
        expect(page.locator("#audit-table tr[data-action='ticket.call'] td").nth(2)).to_have_text(
            "叫号"
        )
        page.click("#btn-close-day")
        expect(page.locator("#close-confirm-text")).to_contain_text("仍有")
        waiting = page.evaluate(
            "async () => (await (await fetch('/api/branches/ZJ001/lobby')).json()).waiting.length"
        )
        assert waiting >= 1
        shot(page, "setup-close-day-confirm")
        expect(page.locator("#btn-close-day")).to_be_hidden()
        requests: list[Any] = []
        page.on(
            "request",
            lambda r: requests.append(r) if r.url.split("?")[0].endswith("/close-day") else None,
        )
        page.click("#btn-close-confirm")
        expect(page.locator("#close-ok")).to_be_visible(timeout=30000)
        assert requests[0].post_data_json["confirm"] is True
        assert requests[0].headers.get("idempotency-key")
