"""The group-chat notice against a local HTTP server standing in for the WeCom/DingTalk robot."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli
from tests.publish.conftest import WEEK, MailServer, Network
from tests.publish.test_email import deliveries, key_messages, publish


@dataclass
class Robot:
    """What the robot received, and what it answers."""

    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def robot() -> Iterator[Robot]:
    """A group robot on 127.0.0.1: records each JSON body, answers like WeCom."""
    state = Robot(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            assert self.headers["Content-Type"].startswith("application/json")
            state.bodies.append(json.loads(self.rfile.read(length).decode("utf-8")))
            answer = json.dumps(state.answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=test"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def lagging_names(folder: Path) -> list[str]:
    """The branches the bulletin lists as needing help (its JSON, by status)."""
    data = json.loads((folder / "bulletin.json").read_text("utf-8"))
    return [b["name"] for b in data["branches"] if b["status"] == "needs_help"]


class TestGroupChat:
    @pytest.mark.parametrize(("kind", "key"), [("wecom", "content"), ("dingtalk", "text")])
    def test_the_approved_issue_posts_the_headline_and_the_lagging_list(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
        robot: Robot,
        kind: str,
        key: str,
    ) -> None:
        configure(database_url, f'webhook_url = "{robot.url}"', f'webhook_kind = "{kind}"')
        result = publish(run_cli, network, bulletin_folder, "--approve")
        assert result.exit_code == 0, result.stderr
        (body,) = robot.bodies
        assert body["msgtype"] == "markdown"
        text = body["markdown"][key]
        assert text.startswith("### 智能柜台迁移通报 2018年第10周")
        assert all(sentence in text for sentence in key_messages(bulletin_folder))
        lagging = lagging_names(bulletin_folder)
        assert lagging  # the network has branches that need help
        assert f"重点帮扶网点（{len(lagging)} 家）" in text
        assert all(f"- {name}（" in text for name in lagging)
        if kind == "dingtalk":
            assert body["markdown"]["title"] == "智能柜台迁移通报 2018年第10周"
        robots = [d for d in deliveries(database_url) if d["channel"] == "webhook"]
        assert [(d["recipient"], d["outcome"], d["week"]) for d in robots] == [(kind, "sent", WEEK)]
        again = publish(run_cli, network, bulletin_folder, "--approve")
        assert again.exit_code == 0 and len(robot.bodies) == 1  # not posted twice

    def test_a_robot_that_refuses_fails_the_run_and_is_tried_again(
        self,
        run_cli: RunCli,
        network: Network,
        bulletin_folder: Path,
        mail_server: MailServer,
        configure: Any,
        database_url: str,
        robot: Robot,
    ) -> None:
        configure(database_url, f'webhook_url = "{robot.url}"')
        robot.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
        first = publish(run_cli, network, bulletin_folder, "--approve")
        assert first.exit_code == 3 and "93000" in first.stdout
        robot.answer = {"errcode": 0, "errmsg": "ok"}
        second = publish(run_cli, network, bulletin_folder, "--approve")
        assert second.exit_code == 0 and len(robot.bodies) == 2
        # The mails went on the first run, and only then.
        recipients = mail_server.inbox.recipients()
        assert recipients and len(recipients) == len(set(recipients))
