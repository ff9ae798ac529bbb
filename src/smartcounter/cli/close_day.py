"""``smartcounter close-day [--date D] [--branch ID]...``: the day into the analytics store."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from smartcounter.cli.context import Exit, StoreOption, fail, state_of, with_store
from smartcounter.kit.tabular import ReportFormat


def register(app: typer.Typer) -> None:
    app.command("close-day")(close_day_command)


def close_day_command(
    ctx: typer.Context,
    day: Annotated[
        str | None, typer.Option("--date", help="Local date YYYY-MM-DD (default: today).")
    ] = None,
    branches: Annotated[
        list[str] | None, typer.Option("--branch", help="Only these branches (repeatable).")
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table or json.")
    ] = ReportFormat.TABLE,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """日终：把当日号票、交易和分流导入数据存储。Close the day: import it into the store."""
    from smartcounter.accounts.roles import system_actor
    from smartcounter.database import database_exists, open_database
    from smartcounter.errors import SmartCounterError
    from smartcounter.ingest.service import IngestOptions
    from smartcounter.lobby import repository as repo
    from smartcounter.lobby.close_day import close_day
    from smartcounter.lobby.context import build_context
    from smartcounter.store.layout import Store, StoreBusyError, StoreError

    state = with_store(state_of(ctx), store)
    t = state.t
    settings = state.settings
    lobby = build_context(settings)
    try:
        when = date.fromisoformat(day) if day else lobby.today()
    except ValueError:
        fail(t("lobby.cli.bad_date", value=day))
    if not database_exists(settings):  # nothing to close, and nothing to create
        fail(t("lobby.cli.no_branches"))
    database = open_database(settings)
    try:
        with database.unit_of_work() as session:
            if not repo.list_branches(session):
                fail(t("lobby.cli.no_branches"))
            analytics = Store.open_or_create(settings.store, timezone=settings.timezone)
            result = close_day(
                session=session,
                ctx=lobby,
                actor=system_actor("close-day"),
                store=analytics,
                day=when,
                branch_ids=branches or None,
                options=IngestOptions(lang=state.lang, wait_seconds=settings.import_wait_seconds),
            )
    except SmartCounterError as exc:
        fail(t(exc.key, **exc.params))
    except StoreBusyError as exc:
        fail(t("app.store_busy", holder=str(exc)))
    except StoreError as exc:
        fail(t("app.store_error", detail=str(exc)))
    finally:
        database.dispose()
    if fmt is ReportFormat.JSON:
        body = {
            "day": when.isoformat(),
            "expired": result.expired,
            "expired_tickets": [
                {
                    "branch_id": e.branch_id,
                    "ticket_no": e.ticket_no,
                    "visit_id": e.visit_id,
                    "status": e.status.value,
                    "customer": e.customer_mask,
                }
                for e in result.expired_tickets
            ],
            "branches": [
                {
                    "branch_id": c.branch_id,
                    "visits": c.visits,
                    "transactions": c.transactions,
                    "triage": c.triage,
                    "migratable": c.migratable,
                    "migrated": c.migrated,
                }
                for c in result.closures
            ],
            **result.report.as_json(),
        }
        json.dump(body, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for c in result.closures:
            print(
                t(
                    "lobby.cli.closed",
                    day=when.isoformat(),
                    branch=c.branch_id,
                    visits=c.visits,
                    transactions=c.transactions,
                    migratable=c.migratable,
                    migrated=c.migrated,
                    triage=c.triage,
                )
            )
        if result.expired:
            print(t("lobby.cli.expired", count=result.expired))
        for e in result.expired_tickets:
            print(
                t(
                    "lobby.cli.expired_ticket",
                    branch=e.branch_id,
                    ticket_no=e.ticket_no,
                    status=t(f"lobby.status.{e.status.value}"),
                    customer=e.customer_mask or "-",
                )
            )
        for f in result.report.files:
            print(
                t(
                    "lobby.cli.imports",
                    table=f.table,
                    read=f.read,
                    imported=f.imported,
                    skipped=f.skipped,
                    rejected=f.rejected,
                )
            )
        if result.report.rejects_path:
            print(t("ingest.rejects_written", path=result.report.rejects_path))
    raise typer.Exit(Exit.PARTIAL if result.report.rejected else Exit.OK)
