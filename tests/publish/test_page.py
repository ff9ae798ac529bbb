"""The centre's publishing page: approve a week with a CSRF-checked form, read the log."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartcounter.accounts.demo import seed_demo
from smartcounter.settings import PublishSettings, Settings
from smartcounter.store.layout import Store
from tests.publish.conftest import CENTRE, WEEK, MailServer, Network, director_address
from tests.publish.test_email import approved_recipients

PAGE = "/dashboards/publish"


class Site:
    """The web app over a copy of the network, the week's bulletin already built (as a draft)."""

    def __init__(self, root: Path, settings: Settings, logins: dict[str, tuple[str, str]]) -> None:
        from smartcounter.web.app import create_app

        self.root = root
        self.app = create_app(settings)
        self.logins = logins

    def client(self, who: str) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)
        username, password = self.logins[who]
        answer = client.post("/api/auth/login", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return client


@pytest.fixture
def site(network: Network, bulletin_folder: Path, mail_server: MailServer, tmp_path: Path) -> Site:
    root = tmp_path / "store"
    shutil.copytree(network.store.root, root)
    draft = root / "publish" / WEEK / "zh"
    shutil.copytree(bulletin_folder, draft)  # what the reviewers read is what is sent
    settings = Settings(
        store=root,
        secret_key="publish-test-secret",
        publish=PublishSettings(
            smtp_host="127.0.0.1",
            smtp_port=mail_server.port,
            starttls=False,
            sender="smartcounter@centre.example.cn",
            centre=CENTRE,
            regions={
                "常州": ["changzhou@region.example.cn"],
                "南通": ["nantong@region.example.cn"],
            },
            lobby_managers=True,
        ),
    )
    logins: dict[str, tuple[str, str]] = {}
    for role, username, password in seed_demo(Store.open(root), "CZ-XB", settings=settings):
        logins["analyst" if role == "centre_analyst" else role] = (username, password)
    return Site(root, settings, logins)


def form_csrf(page: str) -> str:
    found = re.search(r'id="approve-form".*?name="csrf" value="([^"]+)"', page, re.S)
    assert found is not None, "no approval form on the page"
    return found.group(1)


class TestPublishingPage:
    def test_the_centre_approves_a_week_and_sees_the_log(
        self, site: Site, mail_server: MailServer, network: Network
    ) -> None:
        client = site.client("analyst")
        page = client.get(PAGE)
        assert page.status_code == 200
        assert f'<option value="{WEEK}">' in page.text and "还没有发送记录" in page.text
        answer = client.post(
            f"{PAGE}/approve", data={"csrf": form_csrf(page.text), "week": WEEK, "confirm": "yes"}
        )
        assert answer.status_code == 200 and answer.url.path == PAGE  # after the redirect
        assert mail_server.inbox.recipients() == approved_recipients(network)
        assert 'id="publish-done"' in answer.text
        log = answer.text[answer.text.index('id="publish-log"') :]
        assert director_address("CZ-XB") in log and log.count('data-outcome="sent"') == len(
            approved_recipients(network)
        )

    def test_nothing_is_sent_without_the_box_ticked(
        self, site: Site, mail_server: MailServer
    ) -> None:
        client = site.client("analyst")
        page = client.get(PAGE)
        assert 'name="confirm" value="yes" required' in page.text
        answer = client.post(f"{PAGE}/approve", data={"csrf": form_csrf(page.text), "week": WEEK})
        assert answer.status_code == 422 and "请先勾选" in answer.text
        assert mail_server.inbox.messages == []

    def test_the_form_needs_its_csrf_token(self, site: Site, mail_server: MailServer) -> None:
        client = site.client("analyst")
        for token in ("", "forged"):
            answer = client.post(f"{PAGE}/approve", data={"csrf": token, "week": WEEK})
            assert answer.status_code == 403
        assert mail_server.inbox.messages == []

    def test_only_the_centre(self, site: Site, mail_server: MailServer) -> None:
        client = site.client("director")
        assert client.get(PAGE).status_code == 403
        assert client.post(f"{PAGE}/approve", data={"csrf": "x", "week": WEEK}).status_code == 403
        assert mail_server.inbox.messages == []


def summary_row(page: str, edition: str) -> tuple[int, int]:
    """(recipients sent, not sent yet) of the week's edition in the page's summary table."""
    found = re.search(
        rf'data-week="{WEEK}" data-edition="{edition}">.*?<td>(\d+)</td><td>(\d+)</td></tr>', page
    )
    assert found is not None, "no summary row"
    return int(found.group(1)), int(found.group(2))


class TestReadingThePage:
    def test_an_analyst_reading_in_english_sends_the_branches_chinese_mails(
        self, site: Site, mail_server: MailServer, network: Network
    ) -> None:
        client = site.client("analyst")
        page = client.get(f"{PAGE}?lang=en")
        assert "Approve and send" in page.text
        answer = client.post(
            f"{PAGE}/approve?lang=en",
            data={"csrf": form_csrf(page.text), "week": WEEK, "confirm": "yes"},
        )
        assert answer.status_code == 200
        messages = [m for _, m in mail_server.inbox.messages]
        assert len(messages) == len(approved_recipients(network))
        assert all("智能柜台迁移通报" in str(m["Subject"]) for m in messages)
        assert not any("bulletin" in str(m["Subject"]).lower() for m in messages)

    def test_the_summary_counts_recipients_not_attempts(
        self, site: Site, mail_server: MailServer, network: Network
    ) -> None:
        client = site.client("analyst")
        refused = director_address("CZ-XB")
        mail_server.inbox.refuse.add(refused)
        everyone = len(approved_recipients(network))
        page = client.get(PAGE).text
        first = client.post(
            f"{PAGE}/approve", data={"csrf": form_csrf(page), "week": WEEK, "confirm": "yes"}
        )
        assert summary_row(first.text, "approved") == (everyone - 1, 1)
        mail_server.inbox.refuse.clear()
        second = client.post(
            f"{PAGE}/approve", data={"csrf": form_csrf(page), "week": WEEK, "confirm": "yes"}
        )
        # Every attempt is still listed; the summary says who has it: everyone, once.
        assert second.text.count('data-outcome="failed"') == 1
        assert summary_row(second.text, "approved") == (everyone, 0)
        assert "逐次发送记录" in second.text
