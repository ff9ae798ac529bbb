"""The request dependencies: verified callers kept a few seconds, but never past a change."""

from __future__ import annotations

from testkit import PASSWORD, Lobby

from smartcounter.web.deps import SESSION_COOKIE

TICKET = {"business": ["card_open"]}


class TestCredentialCache:
    def test_a_revoked_device_token_stops_working_at_once(self, lobby: Lobby) -> None:
        director = lobby.client("director-b1")
        created = director.post(
            "/api/branches/B1/devices", json={"kind": "kiosk", "name": "lobby door"}
        ).json()
        kiosk = lobby.client()
        kiosk.headers["Authorization"] = f"Bearer {created['token']}"
        # Twice: the second one is answered from the cache.
        for _ in range(2):
            assert kiosk.post("/api/branches/B1/tickets", json=TICKET).status_code == 201
        revoked = director.delete(f"/api/branches/B1/devices/{created['id']}")
        assert revoked.status_code == 200, revoked.text
        assert kiosk.post("/api/branches/B1/tickets", json=TICKET).status_code == 401

    def test_a_logout_ends_the_login_at_once(self, lobby: Lobby) -> None:
        greeter = lobby.client("greeter-b1")
        cookie = greeter.cookies.get(SESSION_COOKIE)
        for _ in range(2):
            assert greeter.get("/api/auth/me").status_code == 200
        assert greeter.post("/api/auth/logout").status_code == 204
        # The client drops the cookie on logout; someone who kept a copy tries it again.
        stale = lobby.client()
        stale.cookies.set(SESSION_COOKIE, cookie)
        assert stale.get("/api/auth/me").status_code == 401

    def test_me_says_when_the_login_ends(self, lobby: Lobby) -> None:
        client = lobby.client()
        login = client.post(
            "/api/auth/login", json={"username": "greeter-b1", "password": PASSWORD}
        )
        assert login.status_code == 200
        # Not the time of asking: the end the login was given.
        assert client.get("/api/auth/me").json()["expires_at"] == login.json()["expires_at"]

    def test_a_cached_login_still_needs_its_csrf_token(self, lobby: Lobby) -> None:
        greeter = lobby.client("greeter-b1")
        assert greeter.post("/api/branches/B1/tickets", json=TICKET).status_code == 201
        token = greeter.headers.pop("X-CSRF-Token")
        refused = greeter.post("/api/branches/B1/tickets", json=TICKET)
        assert refused.status_code == 403 and refused.json()["code"] == "csrf"
        assert greeter.get("/api/auth/me").json()["csrf_token"] == token

    def test_changes_to_the_user_are_saved_though_the_login_was_cached(self, lobby: Lobby) -> None:
        teller = lobby.client("teller-b1")
        assert teller.get("/api/auth/me").json()["user"]["lang"] in (None, "zh")
        assert teller.patch("/api/auth/me", json={"lang": "en"}).json()["lang"] == "en"
        assert lobby.client("teller-b1").get("/api/auth/me").json()["user"]["lang"] == "en"
        teller.patch("/api/auth/me", json={"lang": "zh"})


class TestDatabaseSlots:
    def test_a_request_holding_a_slot_can_still_identify_its_caller(self, lobby: Lobby) -> None:
        # One slot and no kept logins: the ticket list holds its session's read slot while
        # the caller is looked up. If that lookup waited for the same slots, the request
        # (and, under load, the whole server) would wait forever.
        import threading

        from fastapi.testclient import TestClient

        from smartcounter.web.app import create_app

        lean = lobby.settings.lobby.model_copy(
            update={"database_slots": 1, "credential_cache_seconds": 0}
        )
        settings = lobby.settings.model_copy(update={"lobby": lean})
        app = create_app(settings, database=lobby.database, migrate_now=False)
        client = TestClient(app, raise_server_exceptions=False)
        login = client.post(
            "/api/auth/login", json={"username": "greeter-b1", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        answers: list[int] = []
        asking = threading.Thread(
            target=lambda: answers.append(client.get("/api/branches/B1/tickets").status_code),
            daemon=True,
        )
        asking.start()
        asking.join(timeout=20)
        assert answers == [200]
