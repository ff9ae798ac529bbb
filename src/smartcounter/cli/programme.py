"""The programme commands: ``benchmarks``, ``pairs`` (``list``, ``end``), ``diagnose``, ``progress``.

Each prints one row per branch, pair or pair-week with the ids (``branch_id``,
``partner_branch_id``, ``pair_id``) as columns, as a table, CSV or JSON like ``rates``:
rates and shares are fractions, points are percentage points, undefined values are empty
(CSV) or null (JSON). The table shows the main columns; CSV and JSON all of them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smartcounter.cli.context import (
    AppState,
    EngineName,
    EngineOption,
    SparkMasterOption,
    StoreOption,
    fail,
    known_branch,
    metrics_for,
    state_of,
    week_of,
    with_engine,
    with_store,
)
from smartcounter.i18n import Translator, messages
from smartcounter.kit.tabular import OutputFormat, write_rows

if TYPE_CHECKING:
    from smartcounter.programme.diagnosis import Diagnosis
    from smartcounter.programme.render import Words
    from smartcounter.programme.repository import ProgrammeError, SavedPair

# The programme's services (Polars, SciPy, the database) load when a command runs, not
# with its --help.

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")]
StoreArg = Annotated[Path | None, StoreOption]
WeeksOption = Annotated[
    int | None,
    typer.Option(
        "--weeks",
        min=1,
        max=52,
        help="Weeks to judge on, ending with --week (default: configured).",
    ),
]

PERCENT = frozenset(
    {
        "rate",
        "ci_low",
        "ci_high",
        "shrunk_rate",
        "shrunk_low",
        "shrunk_high",
        "peer_mean",
        "worst_week_rate",
        "partner_rate",
        "bound",
        "partner_bound",
        "similarity",
        "size_similarity",
        "business_mix_similarity",
        "age_mix_similarity",
        "share",
        "partner_share",
        "weight",
        "partner_weight",
        *(
            f"{p}s{s}_{k}"
            for p in ("", "peer_", "partner_")
            for s in (1, 2, 3)
            for k in ("coverage", "acceptance")
        ),
        "peak_hall_coverage",
        "peer_peak_hall_coverage",
        "hall_at_peak",
        "partner_hall_at_peak",
        "s_coverage",
        "partner_coverage",
        "acceptance",
        "partner_acceptance",
        "baseline_rate",
        "baseline_partner_rate",
    }
)
POINTS = frozenset(
    {
        "gap_pp",
        "mix_pp",
        "performance_pp",
        "points",
        "mix_points",
        "performance_points",
        "change_pp",
        "baseline_gap_pp",
        "top_business_pp",
        "top_reason_pp",
        "top_age_band_pp",
        "top_hour_pp",
    }
)


def register(app: typer.Typer) -> None:
    app.command("benchmarks")(benchmarks)
    pairs_app = typer.Typer(
        help="结对子：为重点帮扶网点匹配先进网点。Pairs: match lagging branches with advanced ones.",
        no_args_is_help=False,
        invoke_without_command=True,
    )
    pairs_app.callback(invoke_without_command=True)(pairs)
    pairs_app.command("list")(pairs_list)
    pairs_app.command("end")(pairs_end)
    app.add_typer(pairs_app, name="pairs")
    app.command("diagnose")(diagnose)
    app.command("progress")(progress)


def programme_error(t: Translator, exc: ProgrammeError) -> str:
    """Why a programme request failed, in the user's language where it has words for it."""
    if exc.key is not None:
        return t(exc.key, **exc.params)
    return t("programme.cli.programme_error", detail=str(exc))


def _week(week: str | None, state: AppState, *, held: bool = True) -> str:
    """``--week``, which the store must hold business of unless ``held`` is False."""
    if week is None:
        fail(state.t("programme.cli.week_required"))
    return week_of(state, week, held=held)


def _header(t: Translator, column: str) -> str:
    known = messages(t.lang)
    for key in (f"programme.columns.{column}", f"columns.{column}"):
        if key in known:
            return t(key)
    return column


def emit(
    fmt: OutputFormat,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    t: Translator,
    *,
    title: str | None = None,
    table_columns: Sequence[str] | None = None,
) -> None:
    """Print ``rows`` (dicts by column) in ``fmt``; the table shows ``table_columns``."""
    from smartcounter.programme.status import Status, status_name

    shown = list(table_columns) if fmt is OutputFormat.TABLE and table_columns else list(columns)
    formatters: dict[str, Callable[[Any], str]] = {}
    for c in shown:
        if c in PERCENT:
            formatters[c] = lambda v: f"{v * 100:.1f}%"
        elif c in POINTS:
            formatters[c] = lambda v: f"{v:+.1f}"
        elif c.startswith(("why", "recommendation")) or c in ("differences", "practices"):
            formatters[c] = lambda v: "\n".join(v) if isinstance(v, list) else str(v)
        elif fmt is OutputFormat.TABLE and c in ("status", "partner_status"):
            formatters[c] = lambda v: status_name(Status(str(v)), t)
        elif fmt is OutputFormat.TABLE and c == "pair_state":
            formatters[c] = lambda v: t(f"programme.status.{v}")
        elif fmt is OutputFormat.TABLE and c == "reason":
            formatters[c] = lambda v: t(f"programme.cli.unpaired_{v}")
        elif fmt is OutputFormat.TABLE and c.endswith("branch_type"):
            formatters[c] = lambda v: t(f"programme.group.{v}")
    values = [[_cell(r.get(c), fmt) for c in shown] for r in rows]
    write_rows(
        fmt,
        shown,
        values,
        headers=[_header(t, c) for c in shown],
        formatters=formatters,
        title=title if fmt is OutputFormat.TABLE else None,
    )


def _cell(value: Any, fmt: OutputFormat) -> Any:
    # Lists (reasons, differences) are one text per cell in CSV, kept as lists in JSON.
    if isinstance(value, list | tuple) and fmt is OutputFormat.CSV:
        return " | ".join(str(v) for v in value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _run(state: AppState, engine: EngineName | None, body: Callable[[Any], None]) -> None:
    from smartcounter.metrics import UnknownKeyError
    from smartcounter.metrics.period import PeriodError
    from smartcounter.programme.repository import (
        PairExistsError,
        PairNotFoundError,
        ProgrammeError,
    )
    from smartcounter.store.layout import StoreBusyError

    t = state.t
    with metrics_for(state, engine) as metrics:
        try:
            body(metrics)
        except PairExistsError as exc:
            fail(t("programme.cli.pair_exists", detail=str(exc)))
        except PairNotFoundError as exc:
            fail(t("programme.cli.pair_missing", what=str(exc)))
        except StoreBusyError as exc:
            fail(t("app.store_busy", holder=str(exc)))
        except PeriodError as exc:
            fail(t(exc.key, **exc.params))
        except ProgrammeError as exc:
            fail(programme_error(t, exc))
        except UnknownKeyError as exc:
            fail(t("programme.cli.programme_error", detail=str(exc)))


# -- benchmarks -----------------------------------------------------------------------------

BENCHMARK_COLUMNS = (
    "branch_id",
    "name",
    "branch_type",
    "region",
    "status",
    "rank",
    "rate",
    "ci_low",
    "ci_high",
    "shrunk_rate",
    "shrunk_low",
    "shrunk_high",
    "peer_mean",
    "peers",
    "migratable",
    "weeks",
    "weeks_active",
    "weeks_above_peer",
    "worst_week_rate",
    "s1_coverage",
    "peer_s1_coverage",
    "s2_coverage",
    "peer_s2_coverage",
    "s3_coverage",
    "peer_s3_coverage",
    "s2_acceptance",
    "peer_s2_acceptance",
    "peak_hall_coverage",
    "peer_peak_hall_coverage",
    "differences",
)
BENCHMARK_TABLE = (
    "status",
    "branch_id",
    "name",
    "branch_type",
    "rank",
    "rate",
    "shrunk_low",
    "shrunk_high",
    "peer_mean",
    "weeks_above_peer",
    "migratable",
    "differences",
)


def benchmarks(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(
            "--week", help="ISO week, e.g. 2018-W10, or last (the latest week that has ended)."
        ),
    ] = None,
    weeks: WeeksOption = None,
    peer_group: Annotated[
        str | None, typer.Option("--peer-group", help="urban, office, micro or county.")
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """树典型：各类网点中稳定领先的标杆。Benchmarks: the reliably-best branches per peer group."""
    from smartcounter.programme import service
    from smartcounter.programme.status import window_note

    state = with_engine(with_store(state_of(ctx), store), engine, spark_master)
    t = state.t
    the_week = _week(week, state)

    def body(metrics: Any) -> None:
        report = service.find_benchmarks(
            metrics=metrics, settings=state.settings, week=the_week, weeks=weeks
        )
        words = service.words_for(metrics.engine.store, state.lang)
        rows = []
        for b in report.benchmarks:
            s = b.standing
            if peer_group and s.branch_type != peer_group:
                continue
            row: dict[str, Any] = {
                "branch_id": s.branch_id,
                "name": s.name,
                "branch_type": s.branch_type,
                "region": s.region,
                "status": report.board.status(s.branch_id).value,
                "rank": b.rank,
                "rate": s.rate,
                "ci_low": s.ci_low,
                "ci_high": s.ci_high,
                "shrunk_rate": s.shrunk_rate,
                "shrunk_low": s.shrunk_low,
                "shrunk_high": s.shrunk_high,
                "peer_mean": s.peer_mean,
                "peers": s.peers,
                "migratable": s.migratable,
                "weeks": s.weeks,
                "weeks_active": s.weeks_active,
                "weeks_above_peer": s.weeks_above_peer,
                "worst_week_rate": s.worst_week_rate,
                "differences": [words.difference(d) for d in b.differences],
            }
            for name in (
                "s1_coverage",
                "s2_coverage",
                "s3_coverage",
                "s2_acceptance",
                "peak_hall_coverage",
            ):
                row[name] = b.features.get(name)
                row[f"peer_{name}"] = b.peer_features.get(name)
            rows.append(row)
        first, last = (report.weeks[0], report.weeks[-1]) if report.weeks else (the_week,) * 2
        emit(
            fmt,
            BENCHMARK_COLUMNS,
            rows,
            t,
            title=t("programme.cli.title_benchmarks", first=first, last=last),
            table_columns=BENCHMARK_TABLE,
        )
        if fmt is OutputFormat.TABLE:
            note = window_note(report.board, t)
            if note:
                print(note)
            for g in report.groups:
                if g.benchmarks == 0 and (not peer_group or g.branch_type == peer_group):
                    print(
                        t(
                            "programme.cli.no_benchmarks",
                            group=words.group(g.branch_type),
                            branches=g.branches,
                            weeks=len(report.weeks),
                        )
                    )

    _run(state, engine, body)


# -- pairs ------------------------------------------------------------------------------------

PAIR_COLUMNS = (
    "pair_state",
    "status",
    "partner_status",
    "pair_id",
    "branch_id",
    "name",
    "branch_type",
    "partner_branch_id",
    "partner_name",
    "partner_branch_type",
    "start_week",
    "rate",
    "bound",
    "partner_rate",
    "partner_bound",
    "gap_pp",
    "similarity",
    "size_similarity",
    "business_mix_similarity",
    "age_mix_similarity",
    "same_region",
    "same_peer_group",
    "why",
)
PAIR_TABLE = (
    "pair_state",
    "pair_id",
    "branch_id",
    "name",
    "partner_branch_id",
    "partner_name",
    "rate",
    "partner_rate",
    "gap_pp",
    "similarity",
    "why",
)
UNPAIRED_COLUMNS = ("branch_id", "name", "branch_type", "status", "rate", "reason")
SAVED_COLUMNS = (
    "pair_id",
    "branch_id",
    "partner_branch_id",
    "start_week",
    "end_week",
    "baseline_rate",
    "baseline_partner_rate",
    "baseline_gap_pp",
    "similarity",
    "note",
    "why",
)


def _saved_row(p: SavedPair, words: Words, state: str | None = None) -> dict[str, Any]:
    return {
        "pair_state": state,
        "pair_id": p.pair_id,
        "branch_id": p.branch_id,
        "partner_branch_id": p.partner_branch_id,
        "start_week": p.start_week,
        "end_week": p.end_week,
        "baseline_rate": p.baseline_rate,
        "baseline_partner_rate": p.baseline_partner_rate,
        "baseline_gap_pp": None if p.baseline_gap is None else 100 * p.baseline_gap,
        "similarity": p.similarity,
        "note": p.note,
        "why": [words.why(w) for w in p.why],
    }


def pairs(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(
            "--week", help="ISO week, e.g. 2018-W10, or last (the latest week that has ended)."
        ),
    ] = None,
    weeks: WeeksOption = None,
    cap: Annotated[
        int | None,
        typer.Option("--cap", min=1, help="Lagging branches one advanced branch may help."),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Save the new pairs, starting in --week.")
    ] = False,
    unpaired: Annotated[
        bool,
        typer.Option(
            "--unpaired",
            help="List the branches needing help left without a partner, and why, instead.",
        ),
    ] = False,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """结对子：重点帮扶网点与先进网点一对一结对。Pair each lagging branch with an advanced partner."""
    if ctx.invoked_subcommand is not None:
        return
    from smartcounter.cli.actor import command_actor
    from smartcounter.lobby.context import SystemClock
    from smartcounter.programme import service
    from smartcounter.programme.status import status_name
    from smartcounter.store_database import store_unit_of_work

    state = with_engine(with_store(state_of(ctx), store), engine, spark_master)
    t = state.t
    the_week = _week(week, state)

    def body(metrics: Any) -> None:
        report = service.propose_pairs(
            metrics=metrics, settings=state.settings, week=the_week, weeks=weeks, cap=cap
        )
        words = service.words_for(metrics.engine.store, state.lang)
        land = report.landscape
        certainty_l = state.settings.programme.lagging.certainty
        certainty_a = state.settings.programme.advanced.certainty
        saved: list[SavedPair] = []
        if save:
            with store_unit_of_work(state.settings, metrics.engine.store) as session:
                saved = service.save_pairs(
                    session=session,
                    store=metrics.engine.store,
                    report=report,
                    actor=command_actor(),
                    now=SystemClock().now(),
                )
        saved_ids = {p.branch_id: p.pair_id for p in saved}
        board = land.board
        if unpaired:
            emit(
                fmt,
                UNPAIRED_COLUMNS,
                [
                    {
                        "branch_id": c.standing.branch_id,
                        "name": c.standing.name,
                        "branch_type": c.standing.branch_type,
                        "status": board.status(c.standing.branch_id).value,
                        "rate": c.standing.rate,
                        "reason": why.value,
                    }
                    for c, why in report.unpaired
                ],
                t,
                title=t("programme.cli.title_unpaired", week=the_week),
            )
            return
        rows: list[dict[str, Any]] = []
        for p in report.kept:
            s, ps = land.standings.get(p.branch_id), land.standings.get(p.partner_branch_id)
            row = _saved_row(p, words, "active")
            row.update(_standing_cells(s, ps, certainty_l, certainty_a))
            rows.append(row)
        for pp in report.proposed:
            s, ps = pp.lagging.standing, pp.partner.standing
            sim = pp.similarity
            row = {
                "pair_state": "active" if save else "proposed",
                "pair_id": saved_ids.get(s.branch_id),
                "branch_id": s.branch_id,
                "partner_branch_id": ps.branch_id,
                "start_week": the_week if save else None,
                "similarity": sim.total,
                "size_similarity": sim.size,
                "business_mix_similarity": sim.business_mix,
                "age_mix_similarity": sim.age_mix,
                "same_region": sim.same_region,
                "same_peer_group": sim.same_peer_group,
                "why": [words.why(w) for w in pp.why],
            }
            row.update(_standing_cells(s, ps, certainty_l, certainty_a))
            rows.append(row)
        for row in rows:
            row["status"] = board.status(row["branch_id"]).value
            row["partner_status"] = board.status(row["partner_branch_id"]).value
        emit(
            fmt,
            PAIR_COLUMNS,
            rows,
            t,
            title=t("programme.cli.title_pairs", week=the_week),
            table_columns=PAIR_TABLE,
        )
        if fmt is OutputFormat.TABLE:
            for c, why in report.unpaired:
                print(
                    t(
                        "programme.cli.unpaired",
                        branch=c.standing.branch_id,
                        name=c.standing.name,
                        why=t(f"programme.cli.unpaired_{why.value}"),
                    )
                )
            for p in report.to_review:
                print(
                    t(
                        "programme.cli.review",
                        pair_id=p.pair_id,
                        branch=p.branch_id,
                        status=status_name(board.status(p.branch_id), t),
                        partner=p.partner_branch_id,
                        partner_status=status_name(board.status(p.partner_branch_id), t),
                    )
                )
            if save:
                print(
                    t("programme.cli.saved", count=len(saved), week=the_week)
                    if saved
                    else t("programme.cli.nothing_to_save")
                )
            elif report.proposed:
                print(t("programme.cli.not_saved"))

    _run(state, engine, body)


def _standing_cells(s: Any, ps: Any, certainty_l: Any, certainty_a: Any) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    if s is not None:
        cells.update(
            name=s.name, branch_type=s.branch_type, rate=s.rate, bound=s.bounds(certainty_l)[1]
        )
    if ps is not None:
        cells.update(
            partner_name=ps.name,
            partner_branch_type=ps.branch_type,
            partner_rate=ps.rate,
            partner_bound=ps.bounds(certainty_a)[0],
        )
    if s is not None and ps is not None and s.rate is not None and ps.rate is not None:
        cells["gap_pp"] = 100 * (ps.rate - s.rate)
    return cells


def pairs_list(
    ctx: typer.Context,
    week: Annotated[
        str | None, typer.Option("--week", help="Only pairs active in this ISO week.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Ended pairs too.")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
    store: StoreArg = None,
) -> None:
    """已保存的结对。The saved pairs (active ones unless --all)."""
    from smartcounter.programme import service
    from smartcounter.programme.repository import ProgrammeError, load_pairs

    state = with_store(state_of(ctx), store)
    t = state.t
    opened = state.open_store()
    words = service.words_for(opened, state.lang)
    try:
        saved = load_pairs(opened)
    except ProgrammeError as exc:
        fail(programme_error(t, exc))
    if week is not None:
        the_week = _week(week, state, held=False)  # saved pairs cover weeks to come too
        saved = [p for p in saved if p.active_in(the_week)]
    elif not all_:
        saved = [p for p in saved if p.end_week is None]
    rows = [_saved_row(p, words) for p in saved]
    emit(fmt, SAVED_COLUMNS, rows, t, title=t("programme.cli.title_pairs_list"))


def pairs_end(
    ctx: typer.Context,
    branch: Annotated[
        str | None, typer.Argument(help="The lagging branch whose active pair ends.")
    ] = None,
    pair: Annotated[int | None, typer.Option("--pair", help="Or the pair's id.")] = None,
    week: Annotated[
        str | None, typer.Option("--week", help="The pair's last week, e.g. 2018-W12.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why the pair ends.")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    store: StoreArg = None,
) -> None:
    """结束结对。End an active pair with --week (its last week)."""
    from smartcounter.cli.actor import command_actor
    from smartcounter.lobby.context import SystemClock
    from smartcounter.programme import service
    from smartcounter.programme.repository import PairNotFoundError, ProgrammeError
    from smartcounter.store_database import store_unit_of_work

    state = with_store(state_of(ctx), store)
    t = state.t
    the_week = _week(week, state, held=False)  # a pair may end in a week still to come
    if (branch is None) == (pair is None):
        fail(t("programme.cli.end_target"))
    opened = state.open_store()
    try:
        with store_unit_of_work(state.settings, opened) as session:
            ended = service.end_pair(
                session=session,
                store=opened,
                week=the_week,
                pair_id=pair,
                branch_id=branch,
                note=note,
                actor=command_actor(),
                now=SystemClock().now(),
            )
    except PairNotFoundError:
        fail(t("programme.cli.pair_missing", what=str(branch if pair is None else pair)))
    except ProgrammeError as exc:
        fail(programme_error(t, exc))
    if fmt is OutputFormat.TABLE:
        message = t(
            "programme.cli.ended",
            pair_id=ended.pair_id,
            branch=ended.branch_id,
            partner=ended.partner_branch_id,
            week=the_week,
        )
        print(message)
        return
    emit(fmt, SAVED_COLUMNS, [_saved_row(ended, service.words_for(opened, state.lang))], t)


# -- diagnose ---------------------------------------------------------------------------------


class Breakdown(StrEnum):
    """What ``diagnose --breakdown`` lists per pair."""

    BUSINESS = "business"
    REASON = "reason"
    AGE_BAND = "age_band"
    HOUR = "hour"
    STAGE = "stage"


DIAGNOSE_COLUMNS = (
    "pair_id",
    "start_week",
    "branch_id",
    "name",
    "partner_branch_id",
    "partner_name",
    "rate",
    "partner_rate",
    "gap_pp",
    "mix_pp",
    "performance_pp",
    "top_business",
    "top_business_pp",
    "top_reason",
    "top_reason_pp",
    "top_age_band",
    "top_age_band_pp",
    "top_hour",
    "top_hour_pp",
    "s1_coverage",
    "partner_s1_coverage",
    "s2_coverage",
    "partner_s2_coverage",
    "s3_coverage",
    "partner_s3_coverage",
    "s1_acceptance",
    "partner_s1_acceptance",
    "s2_acceptance",
    "partner_s2_acceptance",
    "s3_acceptance",
    "partner_s3_acceptance",
    "peak_hours",
    "hall_at_peak",
    "partner_hall_at_peak",
    "practice_1",
    "recommendation_1",
    "practice_2",
    "recommendation_2",
    "practice_3",
    "recommendation_3",
)
DIAGNOSE_TABLE = (
    "pair_id",
    "branch_id",
    "partner_branch_id",
    "rate",
    "partner_rate",
    "gap_pp",
    "mix_pp",
    "performance_pp",
    "practices",
)


def _top(parts: Sequence[Any]) -> tuple[str | None, float | None]:
    top = next((p for p in parts if p.points > 0), None)
    return (None, None) if top is None else (top.key, top.points)


def _diagnosis_row(
    pair_id: int | None, start: str | None, names: tuple[str, str], d: Diagnosis, words: Words
) -> dict[str, Any]:
    business = next((b for b in d.business if b.performance_points > 0), None)
    row: dict[str, Any] = {
        "pair_id": pair_id,
        "start_week": start,
        "branch_id": d.branch_id,
        "name": names[0],
        "partner_branch_id": d.partner_branch_id,
        "partner_name": names[1],
        "rate": d.rate,
        "partner_rate": d.partner_rate,
        "gap_pp": d.gap_points,
        "mix_pp": d.mix_points,
        "performance_pp": d.performance_points,
        "top_business": business.business_code if business else None,
        "top_business_pp": business.performance_points if business else None,
        "peak_hours": ",".join(str(h) for h in d.peak_hours),
        "hall_at_peak": d.hall_at_peak,
        "partner_hall_at_peak": d.partner_hall_at_peak,
    }
    for key, parts in (("reason", d.reason), ("age_band", d.age_band), ("hour", d.hour)):
        row[f"top_{key}"], row[f"top_{key}_pp"] = _top(parts)
    for st in d.stages:
        row[f"s{st.stage}_coverage"] = st.coverage
        row[f"partner_s{st.stage}_coverage"] = st.partner_coverage
        row[f"s{st.stage}_acceptance"] = st.acceptance
        row[f"partner_s{st.stage}_acceptance"] = st.partner_acceptance
    texts = [words.recommendation(r, d) for r in d.recommendations]
    for i in range(3):
        rec = d.recommendations[i] if i < len(d.recommendations) else None
        row[f"practice_{i + 1}"] = rec.practice.value if rec else None
        row[f"recommendation_{i + 1}"] = texts[i] if rec else None
    row["recommendations"] = [f"{i + 1}. {x}" for i, x in enumerate(texts)]
    row["practices"] = [
        words.t(f"programme.practice.{r.practice.value}") for r in d.recommendations
    ]
    return row


def _breakdown_rows(
    pair_id: int | None, d: Diagnosis, what: Breakdown, words: Words
) -> list[dict[str, Any]]:
    base = {"pair_id": pair_id, "branch_id": d.branch_id, "partner_branch_id": d.partner_branch_id}
    if what is Breakdown.BUSINESS:
        return [
            {
                **base,
                "item": b.business_code,
                "label": words.business(b.business_code),
                "points": b.mix_points + b.performance_points,
                "mix_points": b.mix_points,
                "performance_points": b.performance_points,
                "weight": b.weight,
                "partner_weight": b.partner_weight,
                "rate": b.rate,
                "partner_rate": b.partner_rate,
            }
            for b in d.business
        ]
    if what is Breakdown.STAGE:
        return [
            {
                **base,
                "item": str(st.stage),
                "label": str(st.stage),
                "s_coverage": st.coverage,
                "partner_coverage": st.partner_coverage,
                "acceptance": st.acceptance,
                "partner_acceptance": st.partner_acceptance,
            }
            for st in d.stages
        ]
    parts = {Breakdown.REASON: d.reason, Breakdown.AGE_BAND: d.age_band, Breakdown.HOUR: d.hour}[
        what
    ]
    return [
        {
            **base,
            "item": p.key,
            "label": words.reason(p.key) if what is Breakdown.REASON else p.key,
            "points": p.points,
            "share": p.share,
            "partner_share": p.partner_share,
        }
        for p in parts
    ]


BREAKDOWN_COLUMNS = {
    Breakdown.BUSINESS: (
        "pair_id",
        "branch_id",
        "partner_branch_id",
        "item",
        "label",
        "points",
        "mix_points",
        "performance_points",
        "weight",
        "partner_weight",
        "rate",
        "partner_rate",
    ),
    Breakdown.STAGE: (
        "pair_id",
        "branch_id",
        "partner_branch_id",
        "item",
        "s_coverage",
        "partner_coverage",
        "acceptance",
        "partner_acceptance",
    ),
}
LOSS_COLUMNS = (
    "pair_id",
    "branch_id",
    "partner_branch_id",
    "item",
    "label",
    "points",
    "share",
    "partner_share",
)


def diagnose(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(
            "--week", help="ISO week, e.g. 2018-W10, or last (the latest week that has ended)."
        ),
    ] = None,
    weeks: WeeksOption = None,
    branch: Annotated[
        str | None,
        typer.Option(
            "--branch", help="Only the pair of this branch (or, with --partner, this pair)."
        ),
    ] = None,
    partner: Annotated[
        str | None, typer.Option("--partner", help="Diagnose --branch against this branch.")
    ] = None,
    breakdown: Annotated[
        Breakdown | None,
        typer.Option(
            "--breakdown", help="business, reason, age_band, hour or stage: one row per item."
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """会诊：结对网点的差距分解与改进建议。Diagnose each pair's gap and recommend practices."""
    from smartcounter.programme import service

    state = with_engine(with_store(state_of(ctx), store), engine, spark_master)
    t = state.t
    the_week = _week(week, state)
    if partner is not None and branch is None:
        fail(t("app.option_needs", option="--partner", other="--branch"))
    for named in (branch, partner):
        if named is not None:
            known_branch(state, named)

    def body(metrics: Any) -> None:
        found = service.diagnose_pairs(
            metrics=metrics,
            settings=state.settings,
            week=the_week,
            weeks=weeks,
            branch_id=branch,
            partner_branch_id=partner,
        )
        words = service.words_for(metrics.engine.store, state.lang)
        if not found and branch is not None:
            # Said on standard error: a script's CSV or JSON stays an empty table.
            print(t("programme.cli.no_pair_of", branch=branch), file=sys.stderr)
        if breakdown is None:
            rows = [
                _diagnosis_row(
                    f.pair_id, f.start_week, (f.lagging.name, f.partner.name), f.diagnosis, words
                )
                for f in found
            ]
            emit(
                fmt,
                DIAGNOSE_COLUMNS,
                rows,
                t,
                title=t("programme.cli.title_diagnose", week=the_week),
                table_columns=DIAGNOSE_TABLE,
            )
            if fmt is OutputFormat.TABLE:
                # Whole sentences read better under the table than folded into a cell.
                for r in rows:
                    print(
                        f"\n{r['branch_id']} {r['name']} ← {r['partner_branch_id']} {r['partner_name']}"
                    )
                    for line in r["recommendations"]:
                        print(f"  {line}")
            return
        rows = [r for f in found for r in _breakdown_rows(f.pair_id, f.diagnosis, breakdown, words)]
        columns = BREAKDOWN_COLUMNS.get(breakdown, LOSS_COLUMNS)
        emit(fmt, columns, rows, t, title=t("programme.cli.title_breakdown", what=breakdown.value))

    _run(state, engine, body)


# -- progress ---------------------------------------------------------------------------------

PROGRESS_COLUMNS = (
    "pair_id",
    "branch_id",
    "partner_branch_id",
    "start_week",
    "week",
    "rate",
    "ci_low",
    "ci_high",
    "partner_rate",
    "gap_pp",
    "baseline_gap_pp",
    "change_pp",
)


def progress(
    ctx: typer.Context,
    week: Annotated[
        str | None, typer.Option("--week", help="Up to this ISO week, e.g. 2018-W12.")
    ] = None,
    pair: Annotated[int | None, typer.Option("--pair", help="Only this pair id.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Ended pairs too.")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """结对进展：每周差距。Each pair's gap week by week since it started."""
    from smartcounter.programme import service

    state = with_engine(with_store(state_of(ctx), store), engine, spark_master)
    t = state.t
    the_week = _week(week, state)

    def body(metrics: Any) -> None:
        found = service.track_progress(
            metrics=metrics, week=the_week, pair_id=pair, include_ended=all_
        )
        rows = []
        for pp in found:
            for p in pp.points:
                rows.append(
                    {
                        "pair_id": p.pair_id,
                        "branch_id": p.branch_id,
                        "partner_branch_id": p.partner_branch_id,
                        "start_week": pp.pair.start_week,
                        "week": p.week,
                        "rate": p.rate,
                        "ci_low": p.ci_low,
                        "ci_high": p.ci_high,
                        "partner_rate": p.partner_rate,
                        "gap_pp": p.gap_points,
                        "baseline_gap_pp": pp.baseline_points,
                        "change_pp": p.change_points,
                    }
                )
        emit(fmt, PROGRESS_COLUMNS, rows, t, title=t("programme.cli.title_progress", week=the_week))
        if fmt is OutputFormat.TABLE and not found:
            print(t("programme.cli.no_pairs"))

    _run(state, engine, body)
