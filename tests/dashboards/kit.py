"""What the dashboard tests share: the generated network's shape, a web site over it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from smartcounter.accounts.demo import seed_demo
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec

SPEC = NetworkSpec(branches=12, weeks=3, start=date(2018, 2, 26), seed=1)
LATEST = "2018-W11"
QUARTER = "2018-Q1"
# Two branches of the generated network: A lags and is paired with B, its advanced partner.
BRANCH_A = "WX0001"
BRANCH_B = "DY-XSK"


def make_settings(root: Path) -> Settings:
    """Settings over ``root``: the shipped defaults and a secret that is not the default."""
    return Settings(store=root, secret_key="dashboards-test-secret")


@dataclass
class Site:
    """The web app over a copy of the network, with demo logins for branches A and B.

    Logins are ``analyst`` and ``<role>-A`` / ``<role>-B`` (e.g. ``director-A``, ``teller-B``).
    """

    root: Path
    settings: Settings
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)
    _app: FastAPI | None = None

    @property
    def store(self) -> Store:
        return Store.open(self.root)

    @property
    def app(self) -> FastAPI:
        from smartcounter.web.app import create_app

        if self._app is None:
            self._app = create_app(self.settings)
        return self._app

    def client(self, who: str | None = None) -> TestClient:
        """A client logged in as ``who`` with its CSRF header set, or anonymous."""
        client = TestClient(self.app, raise_server_exceptions=False)
        if who is not None:
            username, password = self.logins[who]
            answer = client.post(
                "/api/auth/login", json={"username": username, "password": password}
            )
            assert answer.status_code == 200, answer.text
            client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client


def build_site(root: Path) -> Site:
    """Demo logins for A and B in the lobby database of the store at ``root``."""
    settings = make_settings(root)
    store = Store.open(root)
    site = Site(root=root, settings=settings)
    for label, branch in (("A", BRANCH_A), ("B", BRANCH_B)):
        for role, username, password in seed_demo(store, branch, settings=settings):
            key = "analyst" if role == "centre_analyst" else f"{role}-{label}"
            site.logins[key] = (username, password)
    return site


def form_csrf(html: str) -> str:
    """The CSRF token of the score form on a branch page."""
    found = re.search(r'id="score-form".*?name="csrf" value="([^"]+)"', html, re.S)
    assert found is not None, "no score form on the page"
    return found.group(1)
