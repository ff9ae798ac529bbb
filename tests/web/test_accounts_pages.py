"""Accounts over HTTP: lockout and its end, cookies and headers for HTTPS, the accounts pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from testkit import PASSWORD, START, Lobby, build_lobby

from smartcounter.accounts.models import AuditEntry, User
from smartcounter.lobby.context import ManualClock
from smartcounter.lobby.models import Staff
from smartcounter.settings import LobbySettings
from smartcounter.web.app import create_app


@pytest.fixture
def lobby_at(tmp_path: Path) -> Iterator[tuple[Lobby, ManualClock]]:
    """The seeded lobby (SQLite) served by an app on a clock the test moves."""
    built = build_lobby(tmp_path)
    clock = ManualClock(START)
    built.app = create_app(built.settings, database=built.database, clock=clock, migrate_now=False)
    try:
        yield built, clock
    finally:
        built.database.dispose()


def app_with(lobby: Lobby, **lobby_settings: object) -> TestClient:
    settings = lobby.settings.model_copy(
        update={"lobby": LobbySettings(**lobby_settings)}  # type: ignore[arg-type]
    )
    app = create_app(settings, database=lobby.database, migrate_now=False)
    return TestClient(app, raise_server_exceptions=False)


def log_in(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/api/auth/login", json={"username": username, "password": password})


class TestLockoutOverHttp:
    def test_ten_failures_lock_then_the_lock_ends(
        self, lobby_at: tuple[Lobby, ManualClock]
    ) -> None:
        lobby, clock = lobby_at
        client = lobby.client()
        for _ in range(10):
            assert log_in(client, "teller-b1", "wrong-password-1").status_code in (401, 429)
        refused = log_in(client, "teller-b1")
        assert refused.status_code == 429
        assert refused.json()["detail"] == (
            "登录失败次数过多，已暂时锁定。请在 10:15 之后再试（约 15 分钟后）。"
        )
        english = client.post(
            "/api/auth/login?lang=en", json={"username": "teller-b1", "password": PASSWORD}
        )
        assert "Try again after 10:15" in english.json()["detail"]
        clock.advance(15 * 60)
        assert log_in(client, "teller-b1").status_code == 200

    def test_the_login_page_says_when_to_try_again(
        self, lobby_at: tuple[Lobby, ManualClock]
    ) -> None:
        lobby, _clock = lobby_at
        client = lobby.client()
        for _ in range(11):
            page = client.get("/login")
            token = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert token is not None
            answer = client.post(
                "/login",
                data={"username": "greeter-b1", "password": "wrong-1234", "csrf": token[1]},
                follow_redirects=False,
            )
        assert answer.status_code == 401 and "10:15" in answer.text

    def test_one_address_trying_many_accounts_is_locked(
        self, lobby_at: tuple[Lobby, ManualClock]
    ) -> None:
        lobby, _clock = lobby_at
        client = lobby.client()  # every request comes from "testclient"
        for n in range(10):
            log_in(client, f"guess-{n}", "wrong-password-1")
        assert log_in(client, "director-b1").status_code == 429

    def test_failed_and_good_logins_are_audited_with_the_address(
        self, lobby_at: tuple[Lobby, ManualClock]
    ) -> None:
        lobby, _clock = lobby_at
        client = lobby.client()
        log_in(client, "teller-b1", "wrong-password-1")
        log_in(client, "teller-b1")
        with lobby.database.unit_of_work() as session:
            rows = session.execute(
                sa.select(AuditEntry.action, AuditEntry.detail)
                .where(AuditEntry.target == "teller-b1", AuditEntry.action.like("user.login%"))
                .order_by(AuditEntry.id)
            ).all()
        assert [a for a, _d in rows][-2:] == ["user.login_failed", "user.login"]
        assert all("testclient" in (d or "") for _a, d in rows[-2:])


class TestHttpsSettings:
    def test_plain_http_by_default(self, lobby_at: tuple[Lobby, ManualClock]) -> None:
        lobby, _clock = lobby_at
        answer = log_in(app_with(lobby), "teller-b1")
        assert "secure" not in answer.headers["set-cookie"].lower()
        assert "strict-transport-security" not in answer.headers

    def test_https_makes_cookies_secure_and_sends_hsts(
        self, lobby_at: tuple[Lobby, ManualClock]
    ) -> None:
        lobby, _clock = lobby_at
        client = app_with(lobby, https=True)
        answer = log_in(client, "teller-b1")
        assert answer.status_code == 200
        assert "; secure" in answer.headers["set-cookie"].lower()
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        assert client.get("/login").headers["strict-transport-security"]

    def test_the_environment_switches_https_on(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from smartcounter.settings import load_settings

        monkeypatch.setenv("SMARTCOUNTER_LOBBY__HTTPS", "true")
        settings = load_settings()
        assert settings.lobby.https and settings.lobby.cookie_secure


class TestNoStore:
    def test_api_and_pages_are_not_cached_static_files_may_be(self, lobby: Lobby) -> None:
        client = lobby.client("teller-b1")
        for url in ("/api/auth/me", "/api/branches/B1/tickets", "/login"):
            answer = client.get(url)
            assert answer.headers["cache-control"] == "no-store", url
        assert client.get("/static/css/lobby.css").headers.get("cache-control") != "no-store"


def form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found[1]


class TestAccountsPage:
    def test_a_director_adds_and_manages_their_staff(
        self, lobby_at: tuple[Lobby, ManualClock]
    ) -> None:
        lobby, _clock = lobby_at
        with lobby.database.unit_of_work() as session:
            session.add(Staff(staff_id="B1-new", branch_id="B1", role="teller"))
        client = lobby.client("director-b1")
        page = client.get("/users")
        assert page.status_code == 200 and "teller-b1" in page.text
        assert "director-b2" not in page.text
        csrf = form_token(page.text)
        form = {
            "csrf": csrf,
            "username": "teller-new",
            "role": "teller",
            "staff": "B1-new",
            "password": "counter-2026",
            "confirm": "counter-2026",
        }
        made = client.post("/users", data=form, follow_redirects=False)
        assert made.status_code == 303, made.text
        again = client.post("/users", data={**form, "username": "teller-2"})
        assert again.status_code == 409 and "teller-new" in again.text  # staff linked already
        analyst = client.post(
            "/users", data={**form, "username": "ana-2", "role": "centre_analyst", "staff": ""}
        )
        assert analyst.status_code == 403
        off = client.post(
            "/users/teller-new/active",
            data={"csrf": csrf, "active": "false"},
            follow_redirects=False,
        )
        assert off.status_code == 303
        reset = client.post(
            "/users/teller-new/password",
            data={"csrf": csrf, "password": "short", "confirm": "short"},
        )
        assert reset.status_code == 422 and "至少" in reset.text
        other = client.post("/users/director-b2/active", data={"csrf": csrf, "active": "false"})
        assert other.status_code == 404
        with lobby.database.unit_of_work() as session:
            user = session.scalars(sa.select(User).where(User.username == "teller-new")).one()
            assert (user.branch_id, user.staff_id, user.active) == ("B1", "B1-new", False)

    def test_forms_need_the_session_csrf_token(self, lobby_at: tuple[Lobby, ManualClock]) -> None:
        lobby, _clock = lobby_at
        client = lobby.client("director-b1")
        answer = client.post("/users/teller-b1/active", data={"csrf": "forged", "active": "false"})
        assert answer.status_code == 403
        with lobby.database.unit_of_work() as session:
            assert session.scalar(sa.select(User.active).where(User.username == "teller-b1"))

    def test_staff_without_the_permission_are_refused(self, lobby: Lobby) -> None:
        assert lobby.client("teller-b1").get("/users").status_code == 403

    def test_everyone_changes_their_own_password(self, lobby_at: tuple[Lobby, ManualClock]) -> None:
        lobby, _clock = lobby_at
        client = lobby.client("greeter-b1")
        page = client.get("/account/password")
        csrf = form_token(page.text)
        wrong = client.post(
            "/account/password",
            data={
                "csrf": csrf,
                "old": "nope-1234",
                "new": "greeter-2027",
                "confirm": "greeter-2027",
            },
        )
        assert wrong.status_code == 403
        done = client.post(
            "/account/password",
            data={"csrf": csrf, "old": PASSWORD, "new": "greets-2027", "confirm": "greets-2027"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        fresh = TestClient(lobby.app)
        assert log_in(fresh, "greeter-b1", "greets-2027").status_code == 200

    def test_the_api_changes_the_password_too(self, lobby_at: tuple[Lobby, ManualClock]) -> None:
        lobby, _clock = lobby_at
        client = lobby.client("manager-b1")
        body = {"old_password": PASSWORD, "new_password": "lobby-2027", "confirm_password": "x"}
        assert client.post("/api/auth/password", json=body).status_code == 422
        body["confirm_password"] = "lobby-2027"
        assert client.post("/api/auth/password", json=body).status_code == 204
