"""The mails: subject, body and attachments of each recipient, in the bulletin's language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from smartcounter.i18n import Translator
from smartcounter.publish.models import Edition
from smartcounter.publish.notice import Notice
from smartcounter.publish.recipients import BranchEntry, Recipient


@dataclass(frozen=True)
class Attachment:
    """A file sent under a name that says what it is (the week, the branch)."""

    path: Path
    filename: str


@dataclass(frozen=True)
class EditionFiles:
    """The built bulletin's files a mail may carry."""

    bulletin_pdf: Path
    workbook: Path | None
    volume_pdf: Path | None  # every branch's page, for the reviewers
    branch_pdfs: Mapping[str, Path]  # each branch's own page, by branch id


@dataclass(frozen=True)
class Letter:
    """One mail to one recipient."""

    recipient: Recipient
    subject: str
    body: str
    attachments: tuple[Attachment, ...]


class MissingBranchPage(LookupError):  # noqa: N818 (house style: TicketAlreadyServed)
    """A branch's page was not built (the branch is not in the week's bulletin)."""


def letter(
    *, recipient: Recipient, edition: Edition, notice: Notice, files: EditionFiles
) -> Letter:
    """The mail ``recipient`` gets of ``edition``: a branch's page, or the whole bulletin."""
    t = Translator(notice.lang)
    week = notice.week_label
    headline = "\n".join(f"· {line}" for line in notice.headline)
    lagging = _lagging(notice, t)
    common = {"week": week, "period": notice.period, "headline": headline, "lagging": lagging}
    whole = Attachment(files.bulletin_pdf, t("publish.file.bulletin", week=notice.week))
    if edition is Edition.DRAFT:
        attachments = [whole]
        if files.volume_pdf is not None:
            volume = t("publish.file.volume", week=notice.week)
            attachments.append(Attachment(files.volume_pdf, volume))
        return Letter(
            recipient,
            t("publish.mail.draft_subject", week=week),
            t("publish.mail.draft_body", code=notice.week, **common),
            tuple(attachments),
        )
    if recipient.branch_id is not None:
        branch = next((b for b in notice.branches if b.branch_id == recipient.branch_id), None)
        path = files.branch_pdfs.get(recipient.branch_id)
        if branch is None or path is None:
            raise MissingBranchPage(recipient.branch_id)
        name = t(
            "publish.file.branch", week=notice.week, branch_id=branch.branch_id, name=branch.name
        )
        return Letter(
            recipient,
            t("publish.mail.branch_subject", week=week, branch=branch.name),
            t(
                "publish.mail.branch_body",
                person=_person(recipient, t),
                branch=branch.name,
                own=_own(branch, t),
                **common,
            ),
            (Attachment(path, _safe(name)),),
        )
    attachments = [whole]
    if files.workbook is not None:
        workbook = t("publish.file.workbook", week=notice.week)
        attachments.append(Attachment(files.workbook, workbook))
    return Letter(
        recipient,
        t("publish.mail.whole_subject", week=week),
        t("publish.mail.whole_body", **common),
        tuple(attachments),
    )


def _person(recipient: Recipient, t: Translator) -> str:
    """How the mail greets a branch's staff member: name and title (林娟主任), or the role."""
    if not recipient.name:
        return t(f"publish.role.{recipient.role}")
    return t("publish.mail.named", name=recipient.name, title=t(f"publish.title.{recipient.role}"))


def _own(branch: BranchEntry, t: Translator) -> str:
    """The branch's own week as its page says it first (status, rate, ranks); "" if unknown."""
    if not branch.summary:
        return ""  # a notice kept by an earlier version: the page alone says it
    lines = "\n".join(f"· {sentence}" for sentence in branch.summary)
    return t("publish.mail.branch_own", status=branch.status or "", lines=lines)


def _lagging(notice: Notice, t: Translator) -> str:
    """The branches needing help as lines (with their peer group), or a line saying none."""
    if not notice.lagging:
        return t("publish.mail.no_lagging")
    return "\n".join(
        t("publish.mail.lagging_line_group", name=x.name, rate=x.rate, group=x.group)
        if x.group
        else t("publish.mail.lagging_line", name=x.name, rate=x.rate)
        for x in notice.lagging
    )


def _safe(filename: str) -> str:
    """A file name without the characters mail programs and file systems refuse."""
    return "".join("_" if c in '/\\:*?"<>|' else c for c in filename)
