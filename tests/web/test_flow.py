"""The REST API end to end: the pages' calls, live events, languages, clear errors."""

from __future__ import annotations

from testkit import Lobby


class TestLobbyDay:
    def test_issue_authorise_serve_and_close_over_http(self, lobby: Lobby) -> None:
        greeter, specialist, director = (
            lobby.client("greeter-b1"),
            lobby.client("specialist-b1"),
            lobby.client("director-b1"),
        )
        ticket = greeter.post(
            "/api/branches/B1/tickets",
            json={"business": ["card_open"], "customer_tier": "affluent"},
        ).json()
        assert ticket["queue"] == "stm" and ticket["position"] >= 1
        assert any(p["action"] == "refer_wealth" for p in ticket["prompts"])
        assert (
            greeter.post(
                f"/api/branches/B1/tickets/{ticket['id']}/referrals", json={"kind": "wealth"}
            ).status_code
            == 201
        )
        points = specialist.get("/api/branches/B1").json()["points"]
        stm = next(p for p in points if p["kind"] == "stm")
        # Earlier tests in this module may have left customers waiting: serve until ours.
        while True:
            called = specialist.post(f"/api/branches/B1/points/{stm['id']}/call-next").json()[
                "ticket"
            ]
            assert called is not None
            started = specialist.post(f"/api/branches/B1/tickets/{called['id']}/start").json()
            for a in started["authorisations"]:
                pending = specialist.get("/api/branches/B1/authorisations").json()
                assert a["id"] in [p["id"] for p in pending]
                decided = specialist.post(
                    f"/api/branches/B1/authorisations/{a['id']}/decision", json={"approve": True}
                )
                assert decided.json()["status"] == "approved"
            done = specialist.post(f"/api/branches/B1/tickets/{called['id']}/complete", json={})
            assert done.status_code == 200, done.text
            if called["id"] == ticket["id"]:
                break
        # The referral put the customer in the wealth queue after the smart counter.
        assert (done.json()["status"], done.json()["queue"]) == ("waiting", "wealth")
        unconfirmed = director.post("/api/branches/B1/close-day", json={})
        assert unconfirmed.status_code == 422
        closed = director.post("/api/branches/B1/close-day", json={"confirm": True})
        assert closed.status_code == 200, closed.text
        body = closed.json()
        assert body["closures"][0]["migrated"] >= 1
        assert {f["table"] for f in body["imports"]} >= {"visits", "transactions", "triage"}
        assert [e["ticket_no"] for e in body["expired_tickets"]] == [ticket["ticket_no"]]
        assert director.get("/api/branches/B1/closures").json()[0]["day"] == body["day"]
        audit = director.get("/api/branches/B1/audit").json()
        assert {"ticket.issue", "authorisation.approve", "ticket.complete", "day.close"} <= {
            e["action"] for e in audit
        }


class TestLiveEvents:
    def test_the_stream_says_when_something_changed(self, lobby: Lobby) -> None:
        display = lobby.device("display")
        with display.stream("GET", "/api/branches/B1/events", params={"seconds": 1}) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            text = "".join(answer.iter_text())
        assert "event: change" in text and "retry:" in text


class TestLanguages:
    def test_chinese_by_default_english_on_request(self, lobby: Lobby) -> None:
        client = lobby.client("greeter-b1")
        zh = client.get("/api/catalogue").json()
        en = client.get("/api/catalogue", params={"lang": "en"}).json()
        assert zh["business"][0]["name"] == "新开借记卡"
        assert en["business"][0]["name"] != zh["business"][0]["name"]
        page = client.get("/branches/B1/tablet")
        assert "取号" in page.text
        assert "Issue a ticket" in client.get("/branches/B1/tablet", params={"lang": "en"}).text


class TestClearErrors:
    def test_malformed_and_hostile_requests_get_4xx_with_a_message(self, lobby: Lobby) -> None:
        client = lobby.client("greeter-b1")
        cases = [
            client.post(
                "/api/branches/B1/tickets",
                content=b"{not json",
                headers={"Content-Type": "application/json"},
            ),
            client.post("/api/branches/B1/tickets", json={"business": []}),
            client.post("/api/branches/B1/tickets", json={"business": ["no_such"]}),
            client.post(
                "/api/branches/B1/tickets",
                json={"business": ["card_open"], "customer_id": "x\u0000y"},
            ),
            client.get("/api/branches/B1/tickets/99999999999999999999"),
            client.get("/api/branches/B1/tickets/424242"),
            client.post(
                "/api/branches/B1/tickets/1/triage", json={"stage": 7, "outcome": "accepted"}
            ),
            client.get("/api/no/such/path"),
        ]
        codes = [c.status_code for c in cases]
        assert all(400 <= c < 500 for c in codes), codes
        assert all(c.json().get("detail") for c in cases)
        assert cases[2].json()["code"] == "unknown_business"
        assert cases[5].status_code == 404

    def test_security_headers_forbid_outside_assets(self, lobby: Lobby) -> None:
        answer = lobby.client().get("/login")
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        assert "http" not in answer.text.split("<body", 1)[0].replace("http-equiv", "")
