"""``smartcounter publish --week W|last [--draft|--approve] [--dry-run] [--resend]`` (cli.md)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from smartcounter.cli.context import Exit, StoreOption, checked_week, fail, state_of, with_store
from smartcounter.i18n import Translator, parse_lang, resolve_lang

if TYPE_CHECKING:  # the service loads the bulletin's libraries: only when the command runs
    from smartcounter.publish.service import Planned, PublishReport


def register(app: typer.Typer) -> None:
    """Add the ``publish`` command to the application."""
    app.command("publish")(publish_command)


def publish_command(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option("--week", help="ISO week (2018-W10), or 'last': the latest complete week."),
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Send the draft to the reviewers (the default).")
    ] = False,
    approve: Annotated[
        bool,
        typer.Option(
            "--approve",
            help="Send each branch its page, the centre and regions the whole bulletin.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent; send nothing.")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send again to those who have had it.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder of the files sent (default: STORE/publish/WEEK/LANG)."),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh (default) or en.")] = None,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """发布通报：审阅稿发审阅人，批准后发各网点。Publish the weekly bulletin by e-mail."""
    from smartcounter.accounts.roles import system_actor
    from smartcounter.errors import SmartCounterError
    from smartcounter.publish.models import Edition
    from smartcounter.publish.service import PublishRequest, last_complete_week, publish
    from smartcounter.store.layout import StoreBusyError, StoreError
    from smartcounter.store_database import open_store_database

    state = with_store(state_of(ctx), store)
    language = resolve_lang(lang) if lang else state.lang
    t = Translator(language)
    if lang and parse_lang(lang) is None:
        fail(t("app.lang_choice", option="--lang", value=lang))
    if draft and approve:
        fail(t("publish.cli.edition_both"))
    if not week:
        fail(t("publish.cli.week_required"))
    settings = state.settings
    opened = state.open_store()
    try:
        if week.strip().lower() == "last":
            today = datetime.now(ZoneInfo(settings.timezone)).date()
            chosen = last_complete_week(opened, today)
        else:
            chosen = checked_week(t, week.strip())
        request = PublishRequest(
            week=chosen,
            edition=Edition.APPROVED if approve else Edition.DRAFT,
            lang=language,
            dry_run=dry_run,
            resend=resend,
            out_dir=out,
        )
        database = open_store_database(settings, opened)
        try:
            report = publish(
                settings=settings,
                store=opened,
                database=database,
                request=request,
                actor=system_actor("publish"),
            )
        finally:
            database.dispose()
    except SmartCounterError as exc:
        fail(t(exc.key, **exc.params))
    except StoreBusyError as exc:
        fail(t("app.store_busy", holder=str(exc)))
    except StoreError as exc:
        fail(t("app.store_error", detail=str(exc)))
    raise typer.Exit(_print(report, t))


def _print(report: PublishReport, t: Translator) -> int:
    """Print the run's deliveries and summary; the exit status (cli.md)."""
    from smartcounter.publish.service import Plan

    sep = t("bulletin.words.list_sep")
    edition = t(f"publish.edition.{report.edition.value}")
    folder = str(report.folder)
    if report.dry_run:
        _print_plan(report, t)
    else:
        _print_results(report, t)
    if report.branches_without_address:
        names = sep.join(report.branches_without_address)
        count = len(report.branches_without_address)
        print(t("publish.cli.no_address", count=count, names=names))
    if report.dry_run:
        send = sum(1 for p in report.planned if p.plan is not Plan.SKIP)
        skipped = len(report.skipped)
        print(
            t(
                "publish.cli.summary_dry",
                week=report.week,
                edition=edition,
                send=send,
                skipped=skipped,
                folder=folder,
            )
        )
        if report.outdated:
            print(t("publish.cli.dry_outdated", week=report.week))
        if report.mail_problem:
            print(t("publish.cli.dry_mail_missing", problem=report.mail_problem))
        return Exit.OK
    if not report.results:
        print(t("publish.cli.nothing_to_send", week=report.week, edition=edition))
        return Exit.OK
    sent, failed, skipped = len(report.sent), len(report.failed), len(report.skipped)
    print(
        t(
            "publish.cli.summary",
            week=report.week,
            edition=edition,
            sent=sent,
            failed=failed,
            skipped=skipped,
            folder=folder,
        )
    )
    if report.failed:
        names = sep.join(_who(r.planned, t) for r in report.failed)
        print(t("publish.cli.failed_names", names=names), file=sys.stderr)
        return Exit.PARTIAL
    return Exit.OK


def _who(p: Planned, t: Translator) -> str:
    """The address a mail goes to, or the group robot by its name (not its code)."""
    from smartcounter.publish.models import Channel

    if p.channel is Channel.WEBHOOK:
        return t(f"publish.robot.{p.recipient.address}")
    return p.recipient.address


def _what(p: Planned, t: Translator) -> str:
    """Whose page a mail carries, or who gets the whole bulletin."""
    r = p.recipient
    if r.branch_id is not None:
        return t("publish.cli.what_branch", branch=r.branch_name or r.branch_id)
    return t("publish.cli.what_whole", role=t(f"publish.role.{r.role}"))


def _print_plan(report: PublishReport, t: Translator) -> None:
    """A dry run: each delivery, and whether it would be sent, sent again or skipped."""
    sep = t("bulletin.words.list_sep")
    for p in report.planned:
        names = sep.join(p.attachments)
        print(
            t(
                f"publish.cli.plan_{p.plan.value}",
                channel=t(f"publish.channel.{p.channel.value}"),
                recipient=_who(p, t),
                what=_what(p, t),
                subject=p.subject,
                attachments=t("publish.cli.attachments", names=names) if names else "",
            )
        )


def _print_results(report: PublishReport, t: Translator) -> None:
    """Each delivery tried in this run, sent or failed (with the server's answer)."""
    from smartcounter.publish.models import Outcome

    for r in report.results:
        p = r.planned
        sent = r.outcome is Outcome.SENT
        print(
            t(
                "publish.cli.sent" if sent else "publish.cli.failed",
                channel=t(f"publish.channel.{p.channel.value}"),
                recipient=_who(p, t),
                what=_what(p, t),
                error=r.error or "",
            )
        )
