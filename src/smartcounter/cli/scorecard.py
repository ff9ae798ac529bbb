"""``scorecard --quarter Q [--branch B] [--format ...] [--xlsx PATH] [--weights FILE]`` and
``scorecard import-scores FILE [--quarter Q]`` (the branch director's quarterly scores)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smartcounter.cli.context import (
    EngineOption,
    Exit,
    SparkMasterOption,
    StoreOption,
    fail,
    known_branch,
    metrics_for,
    state_of,
    with_engine,
    with_store,
)
from smartcounter.i18n import Translator, messages
from smartcounter.kit.tabular import OutputFormat, ReportFormat, write_rows, write_table
from smartcounter.metrics.period import PeriodError, parse_quarter
from smartcounter.scorecard.roles import PARTS, ROLES

if TYPE_CHECKING:
    from smartcounter.scorecard.service import StaffScore
    from smartcounter.settings import ScorecardWeights

# The scorecards' services, the workbook writer and the database load when a command
# runs, not with its --help.


def part_column(part: str) -> str:
    """The column of a scorecard part (the director's part keeps its name, director_score)."""
    return "director_score" if part == "director" else f"{part}_part"


PART_COLUMNS = tuple(part_column(p) for p in PARTS)
FIGURE_COLUMNS = (
    "transactions",
    "migratable",
    "authorisations",
    "migratable_at_window",
    "reasoned_at_window",
    "referred_migrated",
    "referral_share",
    "s1_touches",
    "s1_accepted",
    "s1_acceptance",
    "s2_touches",
    "s2_accepted",
    "s2_acceptance",
    "s3_touches",
    "s3_accepted",
    "s3_acceptance",
    "touches",
    "accepted",
    "acceptance_rate",
    "touched_migratable",
    "touched_rate",
    "touched_visits",
    "window_visits",
    "promoted_visits",
    "window_coverage",
    "home_stage",
    "home_visits",
    "home_eligible",
    "home_staff",
    "hall_coverage",
)
# CSV and JSON: every figure, then every part (empty / null where the role has not got it).
COLUMNS = (
    "staff_id",
    "branch_id",
    "name",
    "role",
    "scorecard_role",
    "quarter",
    *FIGURE_COLUMNS,
    *PART_COLUMNS,
    "score",
    "director_note",
)
IDENTITY = ("staff_id", "branch_id", "name", "role")
PERCENT = frozenset(
    {
        "referral_share",
        "s1_acceptance",
        "s2_acceptance",
        "s3_acceptance",
        "acceptance_rate",
        "touched_rate",
        "window_coverage",
        "hall_coverage",
    }
)
SCORES = frozenset({*PART_COLUMNS, "score"})


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="员工 BSC 考核。Staff scorecards (BSC) per quarter.",
        invoke_without_command=True,
        no_args_is_help=False,
    )
    group.callback(invoke_without_command=True)(scorecard)
    group.command("import-scores")(import_scores_command)
    app.add_typer(group, name="scorecard")


def _row(s: StaffScore) -> dict[str, Any]:
    f = s.figures
    row: dict[str, Any] = {name: getattr(f, name) for name in f.__dataclass_fields__}
    row.update(
        scorecard_role=s.role,
        quarter=s.quarter,
        reasoned_at_window=s.reasoned_at_window,
        s1_acceptance=f.stage_acceptance(1),
        s2_acceptance=f.stage_acceptance(2),
        s3_acceptance=f.stage_acceptance(3),
        score=s.score,
        director_note=s.director_note,
    )
    # Only the role's parts: a part the role has not got stays empty, never 0.
    row.update({part_column(p): s.parts.get(p) for p in PARTS})
    return row


def _header(t: Translator, column: str) -> str:
    known = messages(t.lang)
    for key in (f"scorecard.columns.{column}", f"programme.columns.{column}", f"columns.{column}"):
        if key in known:
            return t(key)
    return column


def scorecard(
    ctx: typer.Context,
    quarter: Annotated[str | None, typer.Option("--quarter", help="Quarter, e.g. 2018-Q1.")] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Only this branch's staff.")
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the scorecards to this Excel file.")
    ] = None,
    weights_file: Annotated[
        Path | None, typer.Option("--weights", help="TOML file with scorecard weights.")
    ] = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """员工 BSC 考核表（按季）。Staff scorecards of a quarter: figures, parts, weighted score."""
    if ctx.invoked_subcommand is not None:
        return
    from smartcounter.scorecard.service import scorecards
    from smartcounter.scorecard.weights import WeightsError, load_weights
    from smartcounter.scorecard.xlsx import write_workbook

    state = with_engine(with_store(state_of(ctx), store), engine, spark_master)
    t = state.t
    if quarter is None:
        fail(t("scorecard.cli.quarter_required"))
    try:
        parse_quarter(quarter)
    except PeriodError as exc:
        fail(t(exc.key, **exc.params))
    try:
        weights = load_weights(state.settings.scorecard, weights_file)
    except WeightsError as exc:
        fail(t("scorecard.cli.bad_weights", detail=str(exc)))
    if branch is not None:
        known_branch(state, branch)
    with metrics_for(state) as metrics:
        cards = scorecards(metrics=metrics, quarter=quarter, weights=weights, branch_id=branch)
    rows = [_row(c) for c in cards]
    title = t("scorecard.cli.title", quarter=quarter) + (f" · {branch}" if branch else "")
    if fmt is OutputFormat.TABLE:
        _tables(rows, weights, t, title)
    else:
        write_rows(fmt, COLUMNS, [[r.get(c) for c in COLUMNS] for r in rows])
    if xlsx is not None:
        write_workbook(
            xlsx,
            columns=COLUMNS,
            headers=[_header(t, c) for c in COLUMNS],
            rows=[
                [_role(t, r[c]) if c in ROLE_COLUMNS else r.get(c) for c in COLUMNS] for r in rows
            ],
            percent=PERCENT,
            scores=SCORES,
            weights=weights,
            quarter=quarter,
            t=t,
        )
        if fmt is OutputFormat.TABLE:
            print(t("scorecard.cli.xlsx_written", path=str(xlsx)))


ROLE_COLUMNS = frozenset({"role", "scorecard_role"})


def _tables(
    rows: list[dict[str, Any]], weights: ScorecardWeights, t: Translator, title: str
) -> None:
    """One table per scorecard role, with that role's parts only; then staff without one."""
    formatters: dict[str, Any] = {c: (lambda v: f"{v:.1f}") for c in SCORES}
    formatters["role"] = lambda v: _role(t, v)  # codes stay codes in CSV and JSON
    groups = [*ROLES, None]
    for role in groups:
        members = [r for r in rows if r["scorecard_role"] == role]
        if not members:
            continue
        parts = [part_column(p) for p in weights.of(role)] if role else []
        shown = [*IDENTITY, *parts, "score"]
        heading = (
            f"{title} · {_role(t, role)}" if role else f"{title} · {t('scorecard.cli.no_role')}"
        )
        write_table(
            shown,
            [[r.get(c) for c in shown] for r in members],
            headers=[_header(t, c) for c in shown],
            formatters=formatters,
            title=heading,
        )


def import_scores_command(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="CSV with staff_id, quarter, score (0–100) and optionally note.")
    ],
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="The quarter of rows that name none.")
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table or json.")
    ] = ReportFormat.TABLE,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """导入网点主任的季度打分。Import the branch director's quarterly scores from CSV."""
    from smartcounter.cli.actor import command_actor
    from smartcounter.lobby.context import SystemClock
    from smartcounter.scorecard.director_scores import ScoresFileError, import_scores
    from smartcounter.store_database import store_unit_of_work

    state = with_store(state_of(ctx), store)
    t = state.t
    opened = state.open_store()
    try:
        with store_unit_of_work(state.settings, opened) as session:
            result = import_scores(
                session=session,
                store=opened,
                path=path,
                quarter=quarter,
                actor=command_actor(),
                now=SystemClock().now(),
            )
    except ScoresFileError as exc:
        fail(t("scorecard.cli.unusable", detail=str(exc)))
    rejects = [
        {
            "line": r.line,
            "column": r.column,
            "value": r.value,
            "reason": t(f"scorecard.reject.{r.reason}"),
        }
        for r in result.rejected
    ]
    counts: dict[str, Any] = {
        "file": str(path),
        "read": result.read,
        "imported": result.imported,
        "updated": result.updated,
        "rejected": len(rejects),
    }
    if fmt is ReportFormat.JSON:
        json.dump({**counts, "rejects": rejects}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        write_table(
            list(counts),
            [list(counts.values())],
            headers=[t(f"scorecard.import.{c}") for c in counts],
        )
        if rejects:
            keys = ["line", "column", "value", "reason"]
            write_table(
                keys,
                [[r[k] for k in keys] for r in rejects],
                headers=[t(f"scorecard.import.{c}") for c in keys],
            )
    raise typer.Exit(Exit.PARTIAL if result.rejected else Exit.OK)


def _role(t: Translator, role: Any) -> str:
    """A role's name in the user's language (the code itself if it has none)."""
    key = f"lobby.role.{role}"
    name = t(key)
    return str(role) if name == key else name
