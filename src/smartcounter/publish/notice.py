"""What a week's bulletin says in a few lines, for mails and the group chat.

Taken from the bulletin's own content model and sentences (``bulletin.words``), never
recomputed: the headline is the bulletin's key messages, the lagging list its branches
that need help. Saved beside the draft (``notice.json``) so that the approved issue says
what the reviewers read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from smartcounter.bulletin.content import BranchRow, BulletinContent
from smartcounter.bulletin.formats import Formats
from smartcounter.bulletin.words import Words
from smartcounter.i18n import Lang
from smartcounter.publish.recipients import BranchEntry

NOTICE_FILE = "notice.json"


@dataclass(frozen=True)
class Lagging:
    """A branch that needs help, with its rate as the bulletin prints it and its peer group."""

    branch_id: str
    name: str
    rate: str
    group: str = ""  # the peer group's name: the list is by group, as in the bulletin


@dataclass(frozen=True)
class Notice:
    """The week's headline and lagging list, in the bulletin's language."""

    week: str
    lang: Lang
    week_label: str  # 2018年第10周
    period: str  # the week's dates, as the bulletin writes them
    issue_line: str
    headline: tuple[str, ...]
    lagging: tuple[Lagging, ...]
    branches: tuple[BranchEntry, ...]
    # What the store's data was when the bulletin was built (``data_stamp``): a build of
    # data since changed (a re-import, a correction) is out of date.
    data_stamp: str = ""

    def save(self, folder: Path) -> Path:
        """Write the notice as ``notice.json`` in ``folder``."""
        path = folder / NOTICE_FILE
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", "utf-8")
        return path


def notice_of(content: BulletinContent) -> Notice:
    """The notice of a built bulletin: its key messages and the branches needing help."""
    f = Formats(content.lang)
    words = Words(content, f)
    pages = {p.row.branch_id: p for p in content.pages}

    def entry(row: BranchRow) -> BranchEntry:
        page = pages.get(row.branch_id)
        # The page's first two sentences: the rate with its interval, then the ranks.
        summary = tuple(words.branch_paragraphs(page)[:2]) if page is not None else ()
        return BranchEntry(row.branch_id, row.name, row.region, words.standing(row), summary)

    return Notice(
        week=content.week,
        lang=content.lang,
        week_label=f.week(content.week),
        period=f.date_range(content.week_start, content.week_end),
        issue_line=words.issue_line(),
        headline=tuple(words.key_messages()),
        lagging=tuple(
            Lagging(r.branch_id, r.name, f.pct(r.rate.rate), g.label)
            for g in content.groups
            for r in g.needs_help
        ),
        branches=tuple(entry(r) for r in content.branches),
    )


def load_notice(folder: Path) -> Notice | None:
    """The notice saved in ``folder``; None when there is none (or it cannot be read)."""
    path = folder / NOTICE_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return Notice(
            week=data["week"],
            lang=Lang(data["lang"]),
            week_label=data["week_label"],
            period=data["period"],
            issue_line=data["issue_line"],
            headline=tuple(data["headline"]),
            lagging=tuple(Lagging(**x) for x in data["lagging"]),
            branches=tuple(
                BranchEntry(**{**x, "summary": tuple(x.get("summary", ()))})
                for x in data["branches"]
            ),
            data_stamp=str(data.get("data_stamp", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
