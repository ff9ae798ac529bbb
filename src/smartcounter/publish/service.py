"""Publish a week: build (or reuse) the bulletin, plan who gets what, send, log each delivery.

The bulletin and its sentences come from ``build_bulletin``, the same code as the
``bulletin`` command. Each delivery is recorded in its own unit of work as soon as the
server answered: a mail is sent the moment the server takes it, so the record of it must
not wait for, or be rolled back with, the deliveries after it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Actor
from smartcounter.bulletin import ALL_BRANCHES, BulletinError, build_bulletin
from smartcounter.bulletin.service import branch_file_stem
from smartcounter.canonical.tables import TABLES_BY_NAME
from smartcounter.dashboards.cache import data_stamp
from smartcounter.database import Database
from smartcounter.i18n import Lang
from smartcounter.kit.lock import LockBusyError, exclusive
from smartcounter.metrics.period import week_end
from smartcounter.publish import repository
from smartcounter.publish.errors import (
    DraftOutdated,
    NoCompleteWeek,
    NoRecipients,
    NoReviewers,
    NoWeekData,
    PublishBusy,
    PublishNotConfigured,
    SmtpUnreachable,
)
from smartcounter.publish.messages import EditionFiles, Letter, MissingBranchPage, letter
from smartcounter.publish.models import Channel, Edition, Outcome
from smartcounter.publish.notice import Notice, load_notice, notice_of
from smartcounter.publish.recipients import Recipient, audience
from smartcounter.publish.smtp import (
    RecipientRefused,
    SmtpServer,
    SmtpUnavailable,
    connect,
    valid_sender,
)
from smartcounter.publish.webhook import WebhookFailed, markdown_text, payload, post
from smartcounter.settings import PublishSettings, Settings
from smartcounter.store import weeks as store_weeks
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table

PASSWORD_VARIABLE = "SMARTCOUNTER_SMTP_PASSWORD"
PUBLISH_FOLDER = "publish"  # in the store folder: <week>/<lang>/ holds what was sent
LOCK_FILE = "publish.lock"


class Plan(StrEnum):
    """What happens to a delivery in this run."""

    SEND = "send"
    RETRY = "retry"  # failed in an earlier run, tried again
    SKIP = "skip"  # sent in an earlier run


@dataclass(frozen=True)
class Planned:
    """One delivery of this run: the letter (or the group-chat notice) and its plan."""

    channel: Channel
    recipient: Recipient
    subject: str
    attachments: tuple[str, ...]
    plan: Plan
    letter: Letter | None = None  # None: the group-chat notice


@dataclass(frozen=True)
class Result:
    """What became of one delivery."""

    planned: Planned
    outcome: Outcome
    message_id: str | None = None
    error: str | None = None
    reached: bool = True  # False: the server could not be reached at all


@dataclass(frozen=True)
class PublishReport:
    """The run: what was planned, what was sent or failed, what no address was found for."""

    week: str
    edition: Edition
    folder: Path
    dry_run: bool
    planned: tuple[Planned, ...]
    results: tuple[Result, ...] = ()
    branches_without_address: tuple[str, ...] = ()  # branch names
    # A dry run without usable mail settings: the ``[publish]`` setting a real run would
    # be refused for (None: the settings would do).
    mail_problem: str | None = None
    # The files planned are of data since changed (a dry run keeps a reviewed draft).
    outdated: bool = False

    @property
    def sent(self) -> list[Result]:
        return [r for r in self.results if r.outcome is Outcome.SENT]

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.outcome is Outcome.FAILED]

    @property
    def skipped(self) -> list[Planned]:
        return [p for p in self.planned if p.plan is Plan.SKIP]


@dataclass(frozen=True)
class PublishRequest:
    """What to publish: a week, an edition, in a language, for real or as a dry run."""

    week: str
    edition: Edition
    lang: Lang = Lang.ZH
    dry_run: bool = False
    resend: bool = False
    out_dir: Path | None = None  # default: <store>/publish/<week>/<lang>
    generated_at: datetime | None = None  # the moment the bulletin prints (default: now)


@dataclass
class Clock:
    """The time the log records (naive UTC, as the database keeps time)."""

    now: Callable[[], datetime] = field(
        default=lambda: datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    )


def last_complete_week(store: Store, today: date) -> str:
    """The latest week of the store that ended before ``today`` (``--week last``)."""
    week = store_weeks.last_complete_week(store, today)
    if week is None:
        raise NoCompleteWeek(today=today.isoformat())
    return week


def publishable_weeks(store: Store, today: date, count: int = 8) -> list[str]:
    """The latest weeks of the store that have ended, newest first (for the approval form)."""
    weeks = store.weeks(TABLES_BY_NAME["transactions"])
    return [w for w in reversed(weeks) if week_end(w) < today][:count]


def smtp_server(settings: PublishSettings, environ: Mapping[str, str] = os.environ) -> SmtpServer:
    """The SMTP server of the settings, or ``PublishNotConfigured`` naming what is missing."""
    if not settings.smtp_host:
        raise PublishNotConfigured(problem="smtp_host")
    if not settings.sender or not valid_sender(settings.sender):
        raise PublishNotConfigured(problem="sender")
    password = environ.get(PASSWORD_VARIABLE)
    if settings.smtp_password_file is not None:
        try:
            password = settings.smtp_password_file.read_text("utf-8").strip()
        except OSError as exc:
            raise PublishNotConfigured(
                problem=f"smtp_password_file ({settings.smtp_password_file}: {exc.strerror})"
            ) from exc
    if settings.smtp_user and not password:
        raise PublishNotConfigured(problem=f"smtp_password_file / {PASSWORD_VARIABLE}")
    return SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        starttls=settings.starttls,
        user=settings.smtp_user,
        password=password,
        sender=settings.sender,
        timeout=settings.timeout_seconds,
    )


def publish(
    *,
    settings: Settings,
    store: Store,
    database: Database,
    request: PublishRequest,
    clock: Clock | None = None,
    environ: Mapping[str, str] = os.environ,
    actor: Actor | None = None,
) -> PublishReport:
    """Send the week's edition to whoever has not had it yet (everyone with ``resend``).

    ``actor`` (who approves) is written to the audit log when the approved issue goes out.
    """
    clock = clock or Clock()
    # A dry run plans without a server, so that the settings can be written after seeing
    # who would get what; it says what a real run would be refused for.
    server: SmtpServer | None = None
    mail_problem = None
    try:
        server = smtp_server(settings.publish, environ)
    except PublishNotConfigured as exc:
        if not request.dry_run:
            raise
        mail_problem = str(exc.params["problem"])
    # One run at a time per store: two (the timer and a click, or a double click) would
    # both find a recipient not yet sent and both send.
    try:
        with exclusive(
            store.root / PUBLISH_FOLDER / LOCK_FILE,
            what=f"publish {request.week}",
            wait_seconds=settings.import_wait_seconds,
        ):
            report = _publish(settings, store, database, request, clock, server, actor)
            return replace(report, mail_problem=mail_problem)
    except LockBusyError as exc:
        raise PublishBusy(holder=exc.holder) from exc


def _publish(
    settings: Settings,
    store: Store,
    database: Database,
    request: PublishRequest,
    clock: Clock,
    server: SmtpServer | None,
    actor: Actor | None,
) -> PublishReport:
    week = request.week
    if week not in store.weeks(TABLES_BY_NAME["transactions"]):
        raise NoWeekData(week=week)
    folder = request.out_dir or store.root / PUBLISH_FOLDER / week / request.lang.value
    notice = load_notice(folder) if folder.exists() else None
    if notice is not None and (notice.week, notice.lang) != (week, request.lang):
        notice = None
    current = data_stamp(store)
    stale = notice is not None and notice.data_stamp != current
    with database.unit_of_work(write=False) as session:
        reviewed = any(
            o is Outcome.SENT
            for o in repository.outcomes(session, week=week, edition=Edition.DRAFT).values()
        )
    if stale and reviewed and not request.dry_run:
        # The reviewers read a draft of data since changed: a draft goes to them all again
        # (built anew); an approval would send what nobody has read, and is refused.
        if request.edition is Edition.APPROVED:
            raise DraftOutdated(week=week)
        request = replace(request, resend=True)
    # A draft sent again is built again; a dry run of it must not: it would replace the
    # files the reviewers read, which the approval sends, with ones nobody has read. A
    # build of data since changed that no reviewer has read is simply built again.
    fresh_draft = request.edition is Edition.DRAFT and request.resend and not request.dry_run
    if notice is None or fresh_draft or (stale and not reviewed):
        notice = _build(settings, store, request, folder)
    files = _files(folder, notice)
    if not _complete(files, notice):  # a kept build with files gone: build it again
        notice = _build(settings, store, request, folder)
        files = _files(folder, notice)
    staff = read_table(store, "staff")
    people = audience(request.edition, settings.publish, staff, notice.branches)
    if not people.recipients:
        if request.edition is Edition.DRAFT:
            raise NoReviewers()
        raise NoRecipients()
    with database.unit_of_work(write=False) as session:
        before = repository.outcomes(session, week=week, edition=request.edition)
    planned = _plan(request, notice, files, people.recipients, before, settings.publish)
    report = PublishReport(
        week=week,
        edition=request.edition,
        folder=folder,
        dry_run=request.dry_run,
        planned=tuple(planned),
        branches_without_address=tuple(b.name for b in people.branches_without_address),
        outdated=notice.data_stamp != current,
    )
    if request.dry_run or server is None:
        return report
    if actor is not None and request.edition is Edition.APPROVED:
        with database.unit_of_work() as session:
            audit.record(
                session,
                actor=actor,
                action="publish.approve",
                at=clock.now(),
                target=week,
                detail={"resend": request.resend, "lang": request.lang.value},
            )
    results = _send_mails(server, planned, database, request, clock)
    results += _send_notice(settings.publish, notice, planned, database, request, clock)
    if results and all(not r.reached for r in results):
        raise SmtpUnreachable(server=f"{server.host}:{server.port}", detail=results[0].error)
    return replace(report, results=tuple(results))


def _build(settings: Settings, store: Store, request: PublishRequest, folder: Path) -> Notice:
    """Build the week's bulletin with every branch's page; save and return its notice."""
    stamp = data_stamp(store)  # before: data coming in while it builds makes it outdated
    try:
        paths = build_bulletin(
            store,
            settings,
            request.week,
            folder,
            request.lang,
            branches=[ALL_BRANCHES],
            generated_at=request.generated_at,
        )
    except BulletinError as exc:
        raise NoWeekData(week=request.week) from exc
    assert paths.content is not None
    notice = replace(notice_of(paths.content), data_stamp=stamp)
    notice.save(folder)
    return notice


def _files(folder: Path, notice: Notice) -> EditionFiles:
    branch_pdfs = {
        b.branch_id: folder / "branches" / f"{branch_file_stem(b.branch_id)}.pdf"
        for b in notice.branches
    }
    return EditionFiles(
        bulletin_pdf=folder / "bulletin.pdf",
        workbook=_existing(folder / "bulletin.xlsx"),
        volume_pdf=_existing(folder / "branches.pdf"),
        branch_pdfs={k: p for k, p in branch_pdfs.items() if p.exists()},
    )


def _complete(files: EditionFiles, notice: Notice) -> bool:
    """True when the whole bulletin and every branch's page of the notice are there."""
    return files.bulletin_pdf.exists() and len(files.branch_pdfs) == len(notice.branches)


def _existing(path: Path) -> Path | None:
    return path if path.exists() else None


def _plan(
    request: PublishRequest,
    notice: Notice,
    files: EditionFiles,
    recipients: Sequence[Recipient],
    before: Mapping[repository.DeliveryKey, Outcome],
    settings: PublishSettings,
) -> list[Planned]:
    """Every delivery of the edition with what this run does about it."""

    def plan_of(channel: Channel, recipient: str, branch_id: str | None) -> Plan:
        earlier = before.get(repository.key_of(channel, recipient, branch_id))
        if earlier is Outcome.SENT:
            return Plan.SEND if request.resend else Plan.SKIP
        return Plan.RETRY if earlier is Outcome.FAILED else Plan.SEND

    out: list[Planned] = []
    for recipient in recipients:
        try:
            mail = letter(recipient=recipient, edition=request.edition, notice=notice, files=files)
        except MissingBranchPage:
            continue  # its page went missing after the check above: nothing to attach
        out.append(
            Planned(
                Channel.EMAIL,
                recipient,
                mail.subject,
                tuple(a.filename for a in mail.attachments),
                plan_of(Channel.EMAIL, recipient.address, recipient.branch_id),
                mail,
            )
        )
    if request.edition is Edition.APPROVED and settings.webhook_url:
        robot = Recipient(settings.webhook_kind, "group_chat")
        title, _ = markdown_text(notice)
        out.append(
            Planned(
                Channel.WEBHOOK,
                robot,
                title,
                (),
                plan_of(Channel.WEBHOOK, robot.address, None),
            )
        )
    return out


def _record(database: Database, request: PublishRequest, result: Result, at: datetime) -> None:
    p = result.planned
    with database.unit_of_work() as session:
        repository.add(
            session,
            week=request.week,
            edition=request.edition,
            channel=p.channel,
            recipient=p.recipient.address,
            branch_id=p.recipient.branch_id,
            attachments=p.attachments,
            at=at,
            outcome=result.outcome,
            message_id=result.message_id,
            error=result.error,
        )


def _send_mails(
    server: SmtpServer,
    planned: Sequence[Planned],
    database: Database,
    request: PublishRequest,
    clock: Clock,
) -> list[Result]:
    """Send each pending mail, a session at a time: a session the server ends is reopened."""
    pending = [p for p in planned if p.channel is Channel.EMAIL and p.plan is not Plan.SKIP]
    results: list[Result] = []
    while len(results) < len(pending):
        done_before = len(results)
        try:
            with connect(server) as mailer:
                for p in pending[len(results) :]:
                    assert p.letter is not None
                    try:
                        result = Result(p, Outcome.SENT, message_id=mailer.send(p.letter))
                    except RecipientRefused as exc:
                        result = Result(p, Outcome.FAILED, error=str(exc))
                    _record(database, request, result, clock.now())
                    results.append(result)
        except SmtpUnavailable as exc:
            if len(results) > done_before:
                continue  # the server ended a session that sent: open another, go on
            # No session, or one that sent nothing: what was not sent failed with it.
            for p in pending[len(results) :]:
                result = Result(p, Outcome.FAILED, error=str(exc), reached=False)
                _record(database, request, result, clock.now())
                results.append(result)
    return results


def _send_notice(
    settings: PublishSettings,
    notice: Notice,
    planned: Sequence[Planned],
    database: Database,
    request: PublishRequest,
    clock: Clock,
) -> list[Result]:
    results: list[Result] = []
    for p in planned:
        if p.channel is not Channel.WEBHOOK or p.plan is Plan.SKIP or not settings.webhook_url:
            continue
        try:
            message_id = post(
                settings.webhook_url,
                payload(notice, settings.webhook_kind),
                settings.timeout_seconds,
            )
            result = Result(p, Outcome.SENT, message_id=message_id)
        except WebhookFailed as exc:
            result = Result(p, Outcome.FAILED, error=str(exc))
        _record(database, request, result, clock.now())
        results.append(result)
    return results
