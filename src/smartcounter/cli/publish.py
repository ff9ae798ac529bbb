"""``smartcounter publish --week W|last [--draft|--approve] [--dry-run] [--resend]`` (cli.md)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from smartcounter.cli.context import Exit, StoreOption, checked_week, fail, state_of, with_store
from smartcounter.i18n import Translator, resolve_lang


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
    if lang and lang.strip().lower()[:2] not in ("zh", "en"):
        fail(t("app.option_choice", option="--lang", choices="zh, en"))
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


def _print(report: object, t: Translator) -> int:
    """Print the run's deliveries and summary; the exit status (cli.md)."""
    from smartcounter.publish.models import Outcome
    from smartcounter.publish.service import Plan, Planned, PublishReport

    assert isinstance(report, PublishReport)

    def what(p: Planned) -> str:
        r = p.recipient
        if r.branch_id is not None:
            return t("publish.cli.what_branch", branch=r.branch_name or r.branch_id)
        return t("publish.cli.what_whole", role=t(f"publish.role.{r.role}"))

    edition = t(f"publish.edition.{report.edition.value}")
    sep = t("bulletin.words.list_sep")
    if report.dry_run:
        for p in report.planned:
            key = {Plan.SEND: "plan_send", Plan.RETRY: "plan_retry", Plan.SKIP: "plan_skip"}[p.plan]
            names = (
                t("publish.cli.attachments", names=sep.join(p.attachments)) if p.attachments else ""
            )
            print(
                t(
                    f"publish.cli.{key}",
                    channel=t(f"publish.channel.{p.channel.value}"),
                    recipient=p.recipient.address,
                    what=what(p),
                    subject=p.subject,
                    attachments=names,
                )
            )
    for r in report.results:
        p = r.planned
        channel = t(f"publish.channel.{p.channel.value}")
        if r.outcome is Outcome.SENT:
            print(
                t("publish.cli.sent", channel=channel, recipient=p.recipient.address, what=what(p))
            )
        else:
            print(
                t(
                    "publish.cli.failed",
                    channel=channel,
                    recipient=p.recipient.address,
                    what=what(p),
                    error=r.error or "",
                )
            )
    if report.branches_without_address:
        print(t("publish.cli.no_address", names=sep.join(report.branches_without_address)))
    folder = str(report.folder)
    if report.dry_run:
        send = sum(1 for p in report.planned if p.plan is not Plan.SKIP)
        print(
            t(
                "publish.cli.summary_dry",
                week=report.week,
                edition=edition,
                send=send,
                skipped=len(report.skipped),
                folder=folder,
            )
        )
        return 0
    if not report.results:
        print(t("publish.cli.nothing_to_send", week=report.week, edition=edition))
        return 0
    print(
        t(
            "publish.cli.summary",
            week=report.week,
            edition=edition,
            sent=len(report.sent),
            failed=len(report.failed),
            skipped=len(report.skipped),
            folder=folder,
        )
    )
    if report.failed:
        names = sep.join(r.planned.recipient.address for r in report.failed)
        print(t("publish.cli.failed_names", names=names), file=sys.stderr)
        return Exit.PARTIAL
    return Exit.OK
