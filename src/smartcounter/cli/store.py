"""``smartcounter store compact [--week W]``: the store's upkeep."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from smartcounter.cli.context import StoreOption, checked_week, fail, state_of, with_store
from smartcounter.kit.tabular import ReportFormat

store_app = typer.Typer(
    name="store",
    help="数据存储维护（整理分区）。Store upkeep: compact partitions.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add ``store`` and its subcommands to the command line."""
    app.add_typer(store_app, name="store")


@store_app.command("compact")
def compact(
    ctx: typer.Context,
    weeks: Annotated[
        list[str] | None,
        typer.Option("--week", help="Only this ISO week, e.g. 2018-W10 (repeatable)."),
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table or json.")
    ] = ReportFormat.TABLE,
    wait: Annotated[
        float | None,
        typer.Option("--wait", help="Seconds to wait for an import to finish."),
    ] = None,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """整理分区：把许多小文件合并重写为少数大文件。Rewrite many small files as a few large ones."""
    from smartcounter.metrics.rollups import rebuild_rollups
    from smartcounter.store.compaction import compact_store
    from smartcounter.store.layout import StoreBusyError, StoreError

    state = with_store(state_of(ctx), store)
    t = state.t
    wanted = [checked_week(t, w) for w in weeks] if weeks else None
    opened = state.open_store()
    try:
        result = compact_store(
            opened,
            weeks=wanted,
            wait_seconds=state.settings.import_wait_seconds if wait is None else wait,
        )
        # Weeks written before the store kept weekly rollups get theirs.
        rolled = rebuild_rollups(opened, missing_only=True)
    except StoreBusyError as exc:
        fail(t("app.store_busy", holder=str(exc)))
    except StoreError as exc:
        fail(t("app.store_error", detail=str(exc)))
    if fmt is ReportFormat.JSON:
        json.dump(
            {**result.as_json(), "rolled_up_weeks": rolled},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
        return
    if result.partitions:
        print(
            t(
                "store.compacted",
                partitions=result.partitions,
                weeks=len(result.weeks),
                files_before=result.files_before,
                files_after=result.files_after,
                rows=result.rows,
            )
        )
    else:
        print(t("store.nothing_to_compact"))
    if result.indexed_weeks:
        print(t("store.indexed", weeks=result.indexed_weeks))
    if rolled:
        print(t("store.rolled_up", weeks=len(rolled)))
