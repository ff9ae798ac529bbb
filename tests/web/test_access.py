"""Access, generated from the route table: branch scoping, roles, devices, authentication."""

from __future__ import annotations

import re

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from testkit import Lobby

from smartcounter.accounts.roles import DEVICE_PERMISSIONS, DeviceKind, Permission
from smartcounter.web.deps import Require

PUBLIC = {("POST", "/api/auth/login")}
FILLERS = {"queue": "teller", "staff_id": "B2-teller"}


def api_routes(lobby: Lobby) -> list[tuple[str, str, APIRoute]]:
    """Every (method, path, route) of the REST API."""
    out = []
    for context in iter_route_contexts(lobby.app.routes):
        route = context.route
        if isinstance(route, APIRoute) and context.path.startswith("/api"):
            out.extend((method, context.path, route) for method in sorted(context.methods or ()))
    return out


def permissions(route: APIRoute) -> set[Permission]:
    """The permissions a route's ``Require`` dependencies ask for."""
    found: set[Permission] = set()

    def walk(dependant: Dependant) -> None:
        if isinstance(dependant.call, Require):
            found.add(dependant.call.permission)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return found


def fill(path: str, branch_id: str) -> str:
    path = path.replace("{branch_id}", branch_id)
    return re.sub(r"\{(\w+)\}", lambda m: FILLERS.get(m.group(1), "1"), path)


def call(client, method: str, url: str):  # type: ignore[no-untyped-def]
    if method in ("GET", "DELETE"):
        return client.request(
            method, url, params={"seconds": 1} if url.endswith("/events") else None
        )
    return client.request(method, url, json={})


class TestRouteTable:
    def test_the_table_is_what_the_tests_walk(self, lobby: Lobby) -> None:
        routes = api_routes(lobby)
        assert len(routes) >= 35
        branch_routes = [r for r in routes if "{branch_id}" in r[1]]
        assert len(branch_routes) >= 30


class TestBranchScoping:
    def test_a_director_of_branch_a_gets_403_on_every_branch_b_endpoint(self, lobby: Lobby) -> None:
        client = lobby.client("director-b1")
        wrong = []
        for method, path, _route in api_routes(lobby):
            if "{branch_id}" not in path:
                continue
            answer = call(client, method, fill(path, "B2"))
            if answer.status_code != 403:
                wrong.append((method, path, answer.status_code, answer.text[:120]))
        assert wrong == []

    def test_and_an_unknown_branch_is_403_too_not_404(self, lobby: Lobby) -> None:
        client = lobby.client("director-b1")
        assert client.get("/api/branches/NOPE/lobby").status_code == 403

    def test_a_centre_analyst_sees_every_branch(self, lobby: Lobby) -> None:
        client = lobby.client("analyst")
        for branch_id in ("B1", "B2"):
            assert client.get(f"/api/branches/{branch_id}/lobby").status_code == 200
        assert {b["branch_id"] for b in client.get("/api/branches").json()} == {"B1", "B2"}
        assert [b["branch_id"] for b in lobby.client("teller-b1").get("/api/branches").json()] == [
            "B1"
        ]


class TestRoles:
    def test_a_teller_cannot_change_the_set_up(self, lobby: Lobby) -> None:
        client = lobby.client("teller-b1")
        setup_routes = [
            (m, p) for m, p, r in api_routes(lobby) if Permission.SETUP in permissions(r)
        ]
        assert len(setup_routes) >= 7
        wrong = [
            (m, p, a.status_code)
            for m, p in setup_routes
            if (a := call(client, m, fill(p, "B1"))).status_code != 403
        ]
        assert wrong == []

    def test_every_route_checks_the_permission_it_declares(self, lobby: Lobby) -> None:
        # A greeter holds only the hall permissions: every route needing another is 403.
        client = lobby.client("greeter-b1")
        from smartcounter.accounts.roles import ROLE_PERMISSIONS, Role

        held = ROLE_PERMISSIONS[Role.GREETER]
        wrong = []
        for method, path, route in api_routes(lobby):
            needed = permissions(route)
            if needed and not needed <= held:
                answer = call(client, method, fill(path, "B1"))
                if answer.status_code != 403:
                    wrong.append((method, path, answer.status_code))
        assert wrong == []


class TestAuthentication:
    def test_nothing_answers_without_authentication_except_login(self, lobby: Lobby) -> None:
        client = lobby.client()
        wrong = []
        for method, path, _route in api_routes(lobby):
            if (method, path) in PUBLIC:
                continue
            answer = call(client, method, fill(path, "B1"))
            if answer.status_code != 401:
                wrong.append((method, path, answer.status_code))
        assert wrong == []

    def test_pages_send_strangers_to_the_login(self, lobby: Lobby) -> None:
        client = lobby.client()
        for page in ("tablet", "window", "setup", "kiosk", "display"):
            answer = client.get(f"/branches/B1/{page}", follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert client.get("/login").status_code == 200

    def test_devices_reach_only_their_own_endpoints(self, lobby: Lobby) -> None:
        for kind in (DeviceKind.KIOSK, DeviceKind.DISPLAY):
            client = lobby.device(kind.value)
            allowed = DEVICE_PERMISSIONS[kind]
            wrong = []
            for method, path, route in api_routes(lobby):
                if (method, path) in PUBLIC or "{branch_id}" not in path:
                    continue
                needed = permissions(route)
                answer = call(client, method, fill(path, "B1"))
                expect_forbidden = not needed or not needed <= allowed
                if expect_forbidden and answer.status_code != 403:
                    wrong.append((kind.value, method, path, answer.status_code))
            assert wrong == []
        kiosk = lobby.device("kiosk")
        assert (
            kiosk.post("/api/branches/B1/tickets", json={"business": ["card_open"]}).status_code
            == 201
        )
        assert kiosk.get("/api/branches/B1/board").status_code == 200
        assert (
            kiosk.post("/api/branches/B2/tickets", json={"business": ["card_open"]}).status_code
            == 403
        )
        assert (
            lobby.device("display")
            .post("/api/branches/B1/tickets", json={"business": ["card_open"]})
            .status_code
            == 403
        )

    def test_a_wrong_token_is_401(self, lobby: Lobby) -> None:
        client = lobby.client()
        client.headers["Authorization"] = "Bearer not-a-token"
        assert client.get("/api/branches/B1/board").status_code == 401


class TestCsrf:
    def test_cookie_requests_that_change_things_need_the_csrf_token(self, lobby: Lobby) -> None:
        client = lobby.client("greeter-b1")
        token = client.headers.pop("X-CSRF-Token")
        refused = client.post("/api/branches/B1/tickets", json={"business": ["card_open"]})
        assert refused.status_code == 403 and refused.json()["code"] == "csrf"
        wrong = client.post(
            "/api/branches/B1/tickets",
            json={"business": ["card_open"]},
            headers={"X-CSRF-Token": "0" * 64},
        )
        assert wrong.status_code == 403
        ok = client.post(
            "/api/branches/B1/tickets",
            json={"business": ["card_open"]},
            headers={"X-CSRF-Token": token},
        )
        assert ok.status_code == 201
        # Reading needs no token.
        assert client.get("/api/branches/B1/lobby").status_code == 200

    def test_the_login_form_checks_its_own_token(self, lobby: Lobby) -> None:
        client = lobby.client()
        answer = client.post(
            "/login",
            data={"username": "greeter-b1", "password": "correct-horse-1", "csrf": "forged"},
            follow_redirects=False,
        )
        assert answer.status_code == 401
