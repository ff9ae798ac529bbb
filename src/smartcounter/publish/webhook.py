"""The group-chat notice: a WeCom (企业微信) or DingTalk (钉钉) group robot's markdown message.

Both robots take a JSON POST with ``msgtype`` ``markdown``; WeCom wants the text as
``markdown.content``, DingTalk as ``markdown.text`` with a ``title`` for the chat list.
Both answer ``{"errcode": 0, "errmsg": "ok"}`` when they took it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Literal

from smartcounter.i18n import Translator
from smartcounter.publish.notice import Notice

WebhookKind = Literal["wecom", "dingtalk"]

# WeCom's robot refuses a markdown message over 4,096 bytes (UTF-8) with errcode 40058;
# the notice keeps within it (DingTalk takes more), listing as many lagging branches as fit.
MAX_MARKDOWN_BYTES = 4096


class WebhookFailed(Exception):  # noqa: N818 (house style: TicketAlreadyServed)
    """The robot could not be reached or did not take the message."""


def markdown_text(notice: Notice, limit: int = MAX_MARKDOWN_BYTES) -> tuple[str, str]:
    """The notice's title and its markdown: the headline, then the lagging list.

    Within ``limit`` bytes: when the whole list does not fit, as many branches as do,
    then a line saying how many more the bulletin lists.
    """
    t = Translator(notice.lang)
    title = t("publish.chat.title", week=notice.week_label)
    lines = [f"### {title}", f"> {notice.period}", ""]
    lines += [f"- {sentence}" for sentence in notice.headline]
    lines += ["", f"**{t('publish.chat.lagging', count=len(notice.lagging))}**"]
    if not notice.lagging:
        return title, "\n".join([*lines, t("publish.mail.no_lagging")])
    branches = [
        t("publish.chat.lagging_line", name=x.name, branch_id=x.branch_id, rate=x.rate)
        for x in notice.lagging
    ]
    shown = len(branches)
    while True:
        more = len(branches) - shown
        tail = [t("publish.chat.lagging_more", count=more)] if more else []
        text = "\n".join([*lines, *branches[:shown], *tail])
        if len(text.encode("utf-8")) <= limit or shown == 0:
            return title, text
        shown -= 1


def payload(notice: Notice, kind: WebhookKind) -> dict[str, Any]:
    """The JSON body the robot of ``kind`` takes."""
    title, text = markdown_text(notice)
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    return {"msgtype": "markdown", "markdown": {"content": text}}


def post(url: str, body: dict[str, Any], timeout: float) -> str | None:
    """POST ``body`` to the robot; the id it gave the message, if any. ``WebhookFailed`` else."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise WebhookFailed(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise WebhookFailed(str(getattr(exc, "reason", exc))) from exc
    try:
        said = json.loads(answer)
    except ValueError:
        said = None
    if not isinstance(said, dict):
        raise WebhookFailed(f"not a robot's answer: {answer[:200]}")
    if said.get("errcode", 0) != 0:
        raise WebhookFailed(f"{said.get('errcode')} {said.get('errmsg', '')}".strip())
    message_id = said.get("msgid")
    return str(message_id) if message_id else None
