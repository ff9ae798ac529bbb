"""``smartcounter simulate validate``: back-test the simulator on the practice changes the
store shows (``simulation/backtest.py``); registered on the ``simulate`` group."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from smartcounter.canonical.tables import TRANSACTIONS
from smartcounter.cli.context import StoreOption, fail, state_of, with_store
from smartcounter.cli.simulate_options import (
    ReplicationsOption,
    SeedOption,
)
from smartcounter.i18n import Translator
from smartcounter.kit.progress import NullProgress, Progress, RichProgress
from smartcounter.kit.tabular import OutputFormat, write_rows, write_table
from smartcounter.settings import Settings
from smartcounter.simulation.backtest import RESULT_COLUMNS, Backtest, backtest
from smartcounter.simulation.calibrate import CalibrationError
from smartcounter.simulation.changes import PracticeChange
from smartcounter.store.layout import Store


def register(app: typer.Typer) -> None:
    """Add ``simulate validate`` to the ``simulate`` group."""
    app.command("validate")(validate)


def validate(
    ctx: typer.Context,
    branch: Annotated[
        list[str] | None,
        typer.Option("--branch", help="Only this branch (repeatable); default: all."),
    ] = None,
    weeks_before: Annotated[
        int, typer.Option("--weeks-before", min=2, max=52, help="Calibration weeks before.")
    ] = 6,
    weeks_after: Annotated[
        int, typer.Option("--weeks-after", min=1, max=52, help="Weeks after to compare.")
    ] = 6,
    settle_weeks: Annotated[
        int,
        typer.Option(
            "--settle-weeks", min=0, max=8, help="Weeks from the change left out as transition."
        ),
    ] = 1,
    level: Annotated[
        float, typer.Option("--level", min=0.5, max=0.99, help="Prediction range level.")
    ] = 0.8,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """回测：按数据中的做法变化检验模拟预测。Back-test the simulator on the store's practice changes."""
    state = with_store(state_of(ctx), store)
    t = state.t
    opened = state.open_store()
    logged = _setup_log(state.settings, opened)
    bar = RichProgress() if sys.stderr.isatty() else None
    progress: Progress = bar or NullProgress()
    try:
        result = backtest(
            store=opened,
            settings=state.settings,
            branches=branch or None,
            weeks_before=weeks_before,
            weeks_after=weeks_after,
            settle_weeks=settle_weeks,
            level=level,
            replications=replications,
            seed=seed,
            logged=logged,
            progress=progress,
            label=t("validation.progress"),
        )
    except CalibrationError:
        fail(t("simulation.empty_store"))
    finally:
        if bar is not None:
            bar.close()
    if fmt is OutputFormat.JSON:
        print(json.dumps(as_json(result), ensure_ascii=False, indent=2))
    elif fmt is OutputFormat.CSV:
        frame = result.table()
        write_rows(fmt, list(frame.columns), frame.rows())
    else:
        _print_table(result, t)


def _setup_log(settings: Settings, store: Store) -> list[PracticeChange]:
    """Smart counters added or closed, from the lobby service's set-up log where there is one
    (its database configured, or beside the store); nothing where it cannot be read."""
    import sqlalchemy as sa

    from smartcounter.database import LOBBY_DB_FILE, open_database
    from smartcounter.simulation.setup_log import smart_counter_changes

    if not settings.database_url and not (store.root / LOBBY_DB_FILE).exists():
        return []
    try:
        database = open_database(settings, migrate_now=False)
    except (sa.exc.SQLAlchemyError, OSError):
        return []
    try:
        with database.unit_of_work(write=False) as session:
            return smart_counter_changes(
                session,
                store.weeks(TRANSACTIONS),
                timezone=settings.timezone,
            )
    except sa.exc.SQLAlchemyError:  # no lobby tables yet, or a database not reachable
        return []
    finally:
        database.dispose()


def as_json(result: Backtest) -> dict[str, object]:
    """``{"changes": [rows], "skipped": [...], "summary": {...}}``, keys as ``RESULT_COLUMNS``."""

    def number(value: float) -> float | None:
        return None if math.isnan(value) else value

    return {
        "changes": [o.row() for o in result.outcomes],
        "skipped": [
            {
                "branch_id": s.change.branch_id,
                "week": s.change.week,
                "change": s.change.label,
                "reason": s.reason,
            }
            for s in result.skipped
        ],
        "summary": {
            "changes": len(result.outcomes),
            "skipped": len(result.skipped),
            "level": result.level,
            "mean_absolute_error_pp": number(result.mean_absolute_error_pp),
            "coverage": number(result.coverage),
        },
    }


def _change_words(change: PracticeChange, t: Translator) -> str:
    """``柜员 2→3``, ``现金与非现金分离办理 否→是``: each step in the table's language,
    worded as the what-if's settings are."""
    from smartcounter.views.whatif import WhatIfWords

    words = WhatIfWords(t.lang)
    return t("estimation.list_separator").join(
        f"{t(f'simulation.setting.{key}')} {words.setting(key, before)}→{words.setting(key, after)}"
        for key, before, after in change.steps
    )


def _print_table(result: Backtest, t: Translator) -> None:
    def pct(value: float) -> str:
        return f"{value * 100:.1f}%"

    def span(weeks: tuple[str, ...]) -> str:
        return f"{weeks[0]}…{weeks[-1]}" if len(weeks) > 1 else "".join(weeks)

    level = round(result.level * 100)
    # The result's columns, the range shown with the prediction.
    columns = [c for c in RESULT_COLUMNS if c not in ("predicted_low", "predicted_high")]
    rows = [
        (
            o.change.branch_id,
            o.change.week,
            _change_words(o.change, t),
            span(o.calibration_weeks),
            span(o.realised_weeks),
            f"{pct(o.predicted)} ({pct(o.low)}–{pct(o.high)})",
            pct(o.realised),
            f"{o.error_pp:+.1f}",
            t("validation.yes") if o.inside else t("validation.no"),
        )
        for o in result.outcomes
    ]
    if not rows and not result.skipped:
        print(t("validation.none_found"))
        return
    headers = [t(f"validation.columns.{c}", level=level) for c in columns]
    write_table(columns, rows, headers=headers, title=t("validation.title"))
    for s in result.skipped:
        print(
            t(
                f"validation.skipped.{s.reason}",
                branch=s.change.branch_id,
                week=s.change.week,
                change=s.change.label,
            )
        )
    if result.outcomes:
        print(
            t(
                "validation.summary",
                changes=len(result.outcomes),
                mae=f"{result.mean_absolute_error_pp:.1f}",
                coverage=f"{result.coverage * 100:.0f}%",
                level=level,
            )
        )
