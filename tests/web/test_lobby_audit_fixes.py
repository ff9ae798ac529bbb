"""Defects found by the lobby audit: what the tablet, display and errors say.

The authorisation queue names the waiting smart counter; a split ticket's smart-counter
leg is a first call, not a recall; authorisation errors name the actual problem and
yes/no fields take only true/false; a customer is referred once; messages name statuses
and fields in words, not codes.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from testkit import Lobby

B = "/api/branches/B1"


def _point(lobby: Lobby, kind: str) -> dict[str, Any]:
    points = lobby.client("director-b1").get(B).json()["points"]
    return next(p for p in points if p["kind"] == kind and p["active"])


def _serve_until(
    lobby: Lobby, client: TestClient, point: dict[str, Any], ticket_id: int
) -> dict[str, Any]:
    """Call the point's next customers until ``ticket_id`` (serving the others); it is called."""
    specialist = lobby.client("specialist-b1")
    while True:
        called = client.post(f"{B}/points/{point['id']}/call-next").json()["ticket"]
        assert called is not None, "the ticket never came"
        if called["id"] == ticket_id:
            return dict(called)
        # Another test's customer: serve them to the end of this leg.
        started = client.post(f"{B}/tickets/{called['id']}/start").json()
        for a in started["authorisations"]:
            if a["status"] == "pending":
                specialist.post(f"{B}/authorisations/{a['id']}/decision", json={"approve": True})
        done = client.post(
            f"{B}/tickets/{called['id']}/complete", json={"reason": "customer_declined"}
        )
        assert done.status_code == 200, done.text


def _at_smart_counter(lobby: Lobby, business: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new ticket for ``business``, called and started at the smart counter."""
    specialist = lobby.client("specialist-b1")
    ticket = lobby.client("greeter-b1").post(f"{B}/tickets", json={"business": business}).json()
    assert ticket["queue"] == "stm"
    stm = _point(lobby, "stm")
    _serve_until(lobby, specialist, stm, ticket["id"])
    started = specialist.post(f"{B}/tickets/{ticket['id']}/start")
    assert started.status_code == 200, started.text
    return started.json(), stm


class TestAuthorisationQueueNamesTheSmartCounter:
    def test_queue_request_and_decision_name_the_ticket_and_the_point(self, lobby: Lobby) -> None:
        specialist = lobby.client("specialist-b1")
        ticket, stm = _at_smart_counter(lobby, ["card_open"])
        # Asking again answers the authorisation that starting asked for.
        asked = specialist.post(
            f"{B}/tickets/{ticket['id']}/authorisations", json={"business_code": "card_open"}
        )
        assert asked.status_code == 201, asked.text
        assert (asked.json()["ticket_no"], asked.json()["point_code"]) == (
            ticket["ticket_no"],
            stm["code"],
        )
        queue = specialist.get(f"{B}/authorisations").json()
        ours = next(a for a in queue if a["id"] == asked.json()["id"])
        assert (ours["ticket_no"], ours["point_code"]) == (ticket["ticket_no"], stm["code"])
        tablet = specialist.get(f"{B}/lobby").json()["authorisations"]
        assert next(a for a in tablet if a["id"] == ours["id"])["point_code"] == stm["code"]
        decided = specialist.post(
            f"{B}/authorisations/{ours['id']}/decision", json={"approve": True}
        ).json()
        assert (decided["ticket_no"], decided["point_code"]) == (ticket["ticket_no"], stm["code"])
        done = specialist.post(f"{B}/tickets/{ticket['id']}/complete", json={})
        assert done.status_code == 200, done.text


class TestAuthorisationErrors:
    def test_business_of_the_catalogue_not_on_the_ticket_is_named_as_such(
        self, lobby: Lobby
    ) -> None:
        specialist = lobby.client("specialist-b1")
        ticket, _stm = _at_smart_counter(lobby, ["statement_print"])
        url = f"{B}/tickets/{ticket['id']}/authorisations"
        answer = specialist.post(url, json={"business_code": "transfer"})
        assert answer.status_code == 422
        body = answer.json()
        assert body["code"] == "business_not_on_ticket"
        assert "不在业务目录" not in body["detail"]
        assert ticket["ticket_no"] in body["detail"] and "转账汇款" in body["detail"]
        en = specialist.post(url, params={"lang": "en"}, json={"business_code": "transfer"})
        assert "“Transfer”" in en.json()["detail"]
        unknown = specialist.post(url, json={"business_code": "no_such_business"})
        assert unknown.json()["code"] == "unknown_business"
        assert specialist.post(f"{B}/tickets/{ticket['id']}/complete", json={}).status_code == 200

    def test_yes_no_fields_take_only_true_or_false(self, lobby: Lobby) -> None:
        specialist = lobby.client("specialist-b1")
        ticket, _stm = _at_smart_counter(lobby, ["card_open"])
        (pending,) = ticket["authorisations"]
        url = f"{B}/authorisations/{pending['id']}/decision"
        for lax in ("yes", "true", "no", 1, 0):
            answer = specialist.post(url, json={"approve": lax})
            assert answer.status_code == 422, (lax, answer.text)
            assert answer.json()["errors"][0]["field"] == "body.approve"
        queue = specialist.get(f"{B}/authorisations").json()
        assert pending["id"] in [a["id"] for a in queue]  # still pending
        assert specialist.post(url, json={"approve": True}).json()["status"] == "approved"
        greeter = lobby.client("greeter-b1")
        lax_ticket = {"business": ["cash_deposit"], "has_mobile_banking": "yes"}
        assert greeter.post(f"{B}/tickets", json=lax_ticket).status_code == 422
        director = lobby.client("director-b1")
        assert director.post(f"{B}/close-day", json={"confirm": "yes"}).status_code == 422
        point = _point(lobby, "teller")
        assert (
            director.patch(f"{B}/points/{point['id']}", json={"active": "false"}).status_code == 422
        )
        assert _point(lobby, "teller")["id"] == point["id"]  # the window is still open
        assert specialist.post(f"{B}/tickets/{ticket['id']}/complete", json={}).status_code == 200


class TestRecentCallsOfASplitTicket:
    def test_the_smart_counter_leg_is_a_first_call_and_its_recall_a_repeat(
        self, lobby: Lobby
    ) -> None:
        teller, specialist = lobby.client("teller-b1"), lobby.client("specialist-b1")
        window, stm = _point(lobby, "teller"), _point(lobby, "stm")
        ticket = (
            lobby.client("greeter-b1")
            .post(f"{B}/tickets", json={"business": ["cash_deposit", "statement_print"]})
            .json()
        )
        assert ticket["queue"] == "teller"
        _serve_until(lobby, teller, window, ticket["id"])
        cash_leg = teller.post(f"{B}/tickets/{ticket['id']}/complete", json={}).json()
        assert (cash_leg["status"], cash_leg["queue"]) == ("waiting", "stm")
        _serve_until(lobby, specialist, stm, ticket["id"])
        display = lobby.device("display")

        (first,) = display.get(f"{B}/calls", params={"limit": 1}).json()
        assert (first["ticket_no"], first["point_code"]) == (ticket["ticket_no"], stm["code"])
        assert first["repeat"] is False
        assert specialist.post(f"{B}/tickets/{ticket['id']}/recall").status_code == 200
        recalled, again = display.get(f"{B}/calls", params={"limit": 2}).json()
        assert (recalled["point_code"], recalled["repeat"]) == (stm["code"], True)
        assert again["id"] == first["id"] and again["repeat"] is False
        assert specialist.post(f"{B}/tickets/{ticket['id']}/complete", json={}).status_code == 200


class TestReferrals:
    def test_a_second_referral_is_refused_and_not_counted(self, lobby: Lobby) -> None:
        greeter = lobby.client("greeter-b1")
        ticket = greeter.post(
            f"{B}/tickets", json={"business": ["statement_print"], "customer_tier": "affluent"}
        ).json()
        url = f"{B}/tickets/{ticket['id']}/referrals"
        first = greeter.post(url, json={"kind": "wealth"})
        assert first.status_code == 201 and first.json()["referrals"] == 1
        second = greeter.post(url, json={"kind": "wealth"})
        assert second.status_code == 409
        assert second.json()["code"] == "already_referred"
        assert ticket["ticket_no"] in second.json()["detail"]
        assert "已转介理财经理" in second.json()["detail"]
        now = greeter.get(f"{B}/tickets/{ticket['id']}").json()
        assert now["referrals"] == 1
        assert [i["route"] for i in now["items"]].count("wealth") == 1


class TestMessagesNameCodesInWords:
    def test_an_ended_ticket_says_its_status_in_the_readers_language(self, lobby: Lobby) -> None:
        teller = lobby.client("teller-b1")
        ticket = (
            lobby.client("greeter-b1")
            .post(f"{B}/tickets", json={"business": ["cash_deposit"]})
            .json()
        )
        _serve_until(lobby, teller, _point(lobby, "teller"), ticket["id"])
        assert teller.post(f"{B}/tickets/{ticket['id']}/no-show").status_code == 200
        url = f"{B}/tickets/{ticket['id']}/referrals"
        zh = lobby.client("greeter-b1").post(url, json={"kind": "wealth"}).json()
        assert zh["detail"] == f"号票 {ticket['ticket_no']} 已结束（过号），无法再操作。"
        assert zh["params"]["status"] == "no_show"  # the code stays for programs
        en = lobby.client("greeter-b1").post(url, params={"lang": "en"}, json={"kind": "wealth"})
        assert "No-show" in en.json()["detail"] and "no_show" not in en.json()["detail"]

    def test_a_decided_authorisation_says_how_in_words(self, lobby: Lobby) -> None:
        specialist = lobby.client("specialist-b1")
        ticket, _stm = _at_smart_counter(lobby, ["card_open"])
        (pending,) = ticket["authorisations"]
        url = f"{B}/authorisations/{pending['id']}/decision"
        assert specialist.post(url, json={"approve": True}).status_code == 200
        again = specialist.post(url, json={"approve": False})
        assert again.status_code == 409
        assert again.json()["detail"] == "该授权已处理（已授权）。"
        assert specialist.post(f"{B}/tickets/{ticket['id']}/complete", json={}).status_code == 200

    def test_a_duplicate_names_the_field_in_words(self, lobby: Lobby) -> None:
        director = lobby.client("director-b1")
        branch = director.get(B).json()
        teller_prefix = next(q["prefix"] for q in branch["queues"] if q["kind"] == "teller")
        prefix = director.put(f"{B}/queues/stm/prefix", json={"prefix": teller_prefix})
        assert prefix.status_code == 409
        assert prefix.json()["detail"] == f"号票前缀“{teller_prefix}”已存在。"
        code = branch["points"][0]["code"]
        point = director.post(f"{B}/points", json={"kind": "teller", "code": code, "name": "x"})
        assert point.status_code == 409
        assert point.json()["detail"] == f"编号“{code}”已存在。"
        en = director.post(
            f"{B}/points",
            params={"lang": "en"},
            json={"kind": "teller", "code": code, "name": "x"},
        )
        assert en.json()["detail"] == f"Code “{code}” exists already."


def test_a_refused_request_says_what_is_wrong_in_chinese(lobby: Lobby) -> None:
    greeter = lobby.client("greeter-b1")
    answer = greeter.post(f"{B}/tickets", json={"customer_id": "C1", "colour": "red"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["detail"].startswith("请求内容有误：")
    assert "body.business：必须填写" in body["detail"]
    assert "body.colour：没有这一项" in body["detail"]
    assert "Field required" not in body["detail"]
    # For scripts, each error keeps pydantic's words beside ours.
    problems = {e["field"]: (e["problem"], e["message"]) for e in body["errors"]}
    assert problems["body.business"] == ("Field required", "必须填写")
    english = greeter.post(f"{B}/tickets?lang=en", json={}).json()
    assert "body.business: required" in english["detail"]


def test_an_unknown_page_in_a_browser_is_a_page(lobby: Lobby) -> None:
    client = lobby.client()
    page = client.get("/no/such/page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "没有这个地址" in page.text and 'href="/"' in page.text
    # A script (or the API) still gets JSON.
    api = client.get("/api/no/such/thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["code"] == "http"
    assert client.get("/no/such/page").json()["detail"] == "没有这个地址。"
