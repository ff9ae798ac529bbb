"""The calling display's recent calls: every call and recall of the day, whatever became of it."""

from __future__ import annotations

from testkit import Lobby


def _teller_window(lobby: Lobby) -> tuple[int, str]:
    points = lobby.client("teller-b1").get("/api/branches/B1").json()["points"]
    window = next(p for p in points if p["kind"] == "teller" and p["active"])
    return window["id"], window["name"]


class TestRecentCalls:
    def test_served_customers_stay_listed_newest_first_with_recalls_marked(
        self, lobby: Lobby
    ) -> None:
        kiosk, teller, display = (
            lobby.device("kiosk"),
            lobby.client("teller-b1"),
            lobby.device("display"),
        )
        point, point_name = _teller_window(lobby)
        issued = [
            kiosk.post("/api/branches/B1/tickets", json={"business": ["cash_deposit"]}).json()
            for _ in range(4)
        ]
        called = []
        for _ in issued:
            # Earlier tests of the module may have left customers waiting: serve them too.
            ticket = teller.post(f"/api/branches/B1/points/{point}/call-next").json()["ticket"]
            called.append(ticket["ticket_no"])
            assert (
                teller.post(
                    f"/api/branches/B1/tickets/{ticket['id']}/complete", json={}
                ).status_code
                == 200
            )
        last = teller.post(f"/api/branches/B1/points/{point}/call-next").json()["ticket"]
        if last is not None:
            called.append(last["ticket_no"])
            assert teller.post(f"/api/branches/B1/tickets/{last['id']}/recall").status_code == 200
            called.append(last["ticket_no"])

        calls = display.get("/api/branches/B1/calls", params={"limit": 4}).json()

        assert [c["ticket_no"] for c in calls] == list(reversed(called))[:4]
        assert {c["point_name"] for c in calls} == {point_name}
        assert [c["id"] for c in calls] == sorted((c["id"] for c in calls), reverse=True)
        if last is not None:
            assert [c["repeat"] for c in calls[:2]] == [True, False]

    def test_the_board_alone_lists_only_tickets_still_called(self, lobby: Lobby) -> None:
        display = lobby.device("display")
        board = display.get("/api/branches/B1/board").json()
        calls = display.get("/api/branches/B1/calls").json()
        assert len(calls) > len(board["calling"])

    def test_staff_of_another_branch_may_not_read_them(self, lobby: Lobby) -> None:
        assert lobby.client("director-b2").get("/api/branches/B1/calls").status_code == 403

    def test_the_limit_is_bounded(self, lobby: Lobby) -> None:
        assert lobby.device("display").get("/api/branches/B1/calls?limit=500").status_code == 422
