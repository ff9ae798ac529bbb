"""The lobby pages carry what their scripts need: the print layout, the voice, the messages."""

from __future__ import annotations

import json
import re

from testkit import Lobby


def _messages(html: str) -> dict[str, str]:
    found = re.search(r'<script type="application/json" id="messages">(.*?)</script>', html, re.S)
    assert found is not None
    return dict(json.loads(found.group(1)))


class TestKioskPage:
    def test_has_the_printed_ticket_with_the_branch_name(self, lobby: Lobby) -> None:
        html = lobby.device("kiosk").get("/branches/B1/kiosk").text
        assert 'id="print-ticket"' in html and "丹阳新市口支行" in html
        assert "/static/js/kiosk.js" in html and 'id="kiosk-print"' in html

    def test_the_chime_is_served_from_the_package(self, lobby: Lobby) -> None:
        answer = lobby.client().get("/static/audio/chime.wav")
        assert answer.status_code == 200 and answer.content[:4] == b"RIFF"


class TestDisplayPage:
    def test_speaks_chinese_by_default_and_english_on_request(self, lobby: Lobby) -> None:
        display = lobby.device("display")
        zh = _messages(display.get("/branches/B1/display").text)
        en = _messages(display.get("/branches/B1/display?lang=en").text)
        assert zh["voice_call"] == "请 {no} 号到 {point}"
        assert en["voice_call"].startswith("Number {no}")


class TestStaffPages:
    def test_offline_banner_and_validation_messages_in_the_page_language(
        self, lobby: Lobby
    ) -> None:
        html = lobby.client("greeter-b1").get("/branches/B1/tablet").text
        assert 'id="offline-banner"' in html and "与服务器的连接已断开" in html
        found = _messages(html)
        assert found["field_customer_id"] == "客户号/卡号"
        assert found["invalid_field"] == "{field}{problem}。"
        assert found["stage2_decline"] != "客户不愿意"
