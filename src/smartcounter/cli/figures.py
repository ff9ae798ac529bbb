"""The figure commands: ``rates`` (cli.md) and ``unmigrated``, ``funnel``, ``ranking``,
``tickets``, ``visit-rates``, ``wow`` — each with table, CSV and JSON output."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smartcounter.canonical.tables import BRANCH_TYPES
from smartcounter.cli.context import (
    AppState,
    EngineName,
    EngineOption,
    SparkMasterOption,
    StoreOption,
    fail,
    metrics_for,
    state_of,
    week_of,
    with_engine,
    with_store,
)
from smartcounter.i18n import Translator
from smartcounter.kit.tabular import OutputFormat, write_rows
from smartcounter.metrics.definitions import PERIOD_KEYS, RATE_KEYS, UNMIGRATED_DIMENSIONS
from smartcounter.metrics.period import Period

if TYPE_CHECKING:
    import polars as pl

    from smartcounter.metrics import Metrics
    from smartcounter.programme.status import StatusBoard
    from smartcounter.views import Labels

# Data libraries (Polars, Arrow, the engines) load when a command runs, not with --help.
# The engine options are shared by every command that reads figures (cli/context.py).
__all__ = ["EngineName", "EngineOption", "SparkMasterOption", "metrics_for"]

ByOption = Annotated[str, typer.Option("--by", help="Comma-separated keys, e.g. branch,week.")]
WeekOption = Annotated[
    str | None,
    typer.Option(
        "--week", help="ISO week, e.g. 2018-W10, or last (the latest week that has ended)."
    ),
]
FromOption = Annotated[str | None, typer.Option("--from", help="First local date, YYYY-MM-DD.")]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Last local date, YYYY-MM-DD (inclusive).")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")]
StoreArg = Annotated[Path | None, StoreOption]

PERCENT_COLUMNS = frozenset(
    {
        "rate",
        "ci_low",
        "ci_high",
        "share",
        "cumulative_share",
        "acceptance_rate",
        "previous_rate",
        "shrunk_rate",
        "shrunk_low",
        "shrunk_high",
        "prior_mean",
        "basis_rate",
        "basis_low",
        "basis_high",
    }
)


def register(app: typer.Typer) -> None:
    app.command("rates")(rates)
    app.command("unmigrated")(unmigrated)
    app.command("funnel")(funnel)
    app.command("ranking")(ranking)
    app.command("tickets")(tickets)
    app.command("visit-rates")(visit_rates)
    app.command("wow")(wow)


def period_of(state: AppState, week: str | None, start: str | None, end: str | None) -> Period:
    """The period named by ``--week`` (``last`` too) or ``--from/--to``; stop with status 2
    if unusable."""
    t = state.t
    if week is not None and (start is not None or end is not None):
        fail(t("period.week_and_dates"))
    if week is not None:
        return Period.week(week_of(state, week))
    first = _date(t, "--from", start)
    last = _date(t, "--to", end)
    if first and last and last < first:
        fail(t("period.end_before_start", start=first.isoformat(), end=last.isoformat()))
    return Period(start=first, end=last)


def _date(t: Translator, option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(t("period.bad_date", option=option, text=text))


def keys_of(by: str) -> list[str]:
    """The keys of ``--by``."""
    return [k.strip() for k in by.split(",") if k.strip()]


def once_each(t: Translator, keys: list[str]) -> list[str]:
    """``keys``, or stop with status 2 naming a key given more than once."""
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        fail(t("figures.repeated_key", keys=", ".join(repeated)))
    return keys


def show(
    frame: pl.DataFrame,
    fmt: OutputFormat,
    t: Translator,
    title: str | None = None,
    labels: dict[str, Callable[[Any], str]] | None = None,
    table_columns: Sequence[str] | None = None,
) -> None:
    """Print a figure frame in ``fmt``; the table speaks the user's language.

    ``labels`` name codes in the table (a peer group, a reason, a business); CSV and JSON
    keep the codes, for scripts. ``table_columns``: the columns a person reads (CSV and JSON
    keep every column).
    """
    if fmt is OutputFormat.TABLE and table_columns is not None:
        frame = frame.select([c for c in table_columns if c in frame.columns])
    columns = frame.columns
    rows = frame.rows()
    if fmt is not OutputFormat.TABLE:
        write_rows(fmt, columns, rows)  # codes and plain values, for scripts
        return
    formatters: dict[str, Callable[[Any], str]] = {
        c: (lambda v: f"{v * 100:.2f}%") for c in columns if c in PERCENT_COLUMNS
    }
    formatters.update({c: f for c, f in (labels or {}).items() if c in columns})
    if "change_pp" in columns:
        formatters["change_pp"] = lambda v: f"{v:+.2f}"
    if "daily_tickets" in columns:
        formatters["daily_tickets"] = lambda v: f"{v:.1f}"
    known = _known_columns(t)
    headers = [t(f"columns.{c}") if f"columns.{c}" in known else c for c in columns]
    write_rows(fmt, columns, rows, headers=headers, formatters=formatters, title=title)


def _known_columns(t: Translator) -> set[str]:
    from smartcounter.i18n import messages

    return {k for k in messages(t.lang) if k.startswith("columns.")}


def _run(
    ctx: typer.Context,
    store: Path | None,
    compute: Callable[[Metrics], pl.DataFrame],
    engine: EngineName | None,
    fmt: OutputFormat,
    title_key: str | None = None,
    value_dimension: str | None = None,
    table_columns: Sequence[str] | None = None,
    spark_master: str | None = None,
) -> None:
    from smartcounter.metrics import UnknownKeyError

    state = with_engine(with_store(state_of(ctx), store), engine, spark_master)
    with metrics_for(state) as metrics:
        try:
            frame = compute(metrics)
        except UnknownKeyError as exc:
            fail(state.t("figures.unknown_key", keys=str(exc)))
        labels = None
        if fmt is OutputFormat.TABLE:
            from smartcounter.views import Labels

            labels = code_labels(Labels(metrics.engine.store, state.lang), value_dimension)
    show(
        frame,
        fmt,
        state.t,
        state.t(title_key) if title_key and fmt is OutputFormat.TABLE else None,
        labels,
        table_columns,
    )


def code_labels(labels: Labels, value_dimension: str | None) -> dict[str, Callable[[Any], str]]:
    """How the table names the codes of each column (staff stay ids: names repeat)."""
    from smartcounter.programme.status import Status, status_name

    def item(dimension: str) -> Callable[[Any], str]:
        return lambda v: labels.item(dimension, str(v), network=True)[0]

    out: dict[str, Callable[[Any], str]] = {
        "branch_type": labels.group,
        "reason": labels.reason,
        "business_code": item("business"),
        "age_band": item("age_band"),
        "status": lambda v: status_name(Status(str(v)), labels.t),
    }
    if value_dimension is not None and value_dimension in ("business", "reason", "age_band"):
        out["value"] = item(value_dimension)
    return out


def rates(
    ctx: typer.Context,
    by: ByOption,
    week: WeekOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """迁移率（按维度分组）。Migration rates grouped by KEYS."""
    keys = keys_of(by)
    state = state_of(ctx)
    bad = [
        k for k in keys if k not in RATE_KEYS and k not in ("quarter", "customer_tier", "channel")
    ]
    if not keys or bad:
        fail(
            state.t("figures.unknown_key", keys=", ".join(bad) or by) + " — " + ", ".join(RATE_KEYS)
        )
    once_each(state.t, keys)
    period = period_of(with_store(state_of(ctx), store), week, start, end)
    if fmt is not OutputFormat.TABLE:
        # For scripts: plain rows straight from the engine, no data frame library loaded.
        run_state = with_engine(with_store(state, store), engine, spark_master)
        with metrics_for(run_state) as metrics:
            columns, rows = metrics.rates_rows(keys, period)
        write_rows(fmt, columns, rows)
        return
    _run(
        ctx,
        store,
        lambda m: m.rates(keys, period),
        engine,
        fmt,
        "figures.title_rates",
        spark_master=spark_master,
    )


class Show(StrEnum):
    """What ``funnel`` shows."""

    STAGES = "stages"
    REASONS = "reasons"
    DEPTH = "depth"


def unmigrated(
    ctx: typer.Context,
    dimension: Annotated[
        str,
        typer.Option(
            "--dimension", help="business, reason, staff, hour, age_band or customer_tier."
        ),
    ] = "business",
    by: Annotated[str, typer.Option("--by", help="Comma-separated grouping keys (optional).")] = "",
    week: WeekOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """未迁业务帕累托分析。Un-migrated business as a Pareto (count, share, cumulative share)."""
    keys = once_each(state_of(ctx).t, keys_of(by))
    if dimension not in UNMIGRATED_DIMENSIONS:
        fail(f"--dimension: {', '.join(UNMIGRATED_DIMENSIONS)}")
    period = period_of(with_store(state_of(ctx), store), week, start, end)
    _run(
        ctx,
        store,
        lambda m: m.unmigrated(dimension, period, keys),
        engine,
        fmt,
        "figures.title_unmigrated",
        value_dimension=dimension,
        spark_master=spark_master,
    )


def funnel(
    ctx: typer.Context,
    show_: Annotated[
        Show,
        typer.Option("--show", help="stages, reasons (decline reasons) or depth (triage depth)."),
    ] = Show.STAGES,
    by: Annotated[str, typer.Option("--by", help="Comma-separated grouping keys (optional).")] = "",
    week: WeekOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """三次分流漏斗。The triage funnel per stage, its decline reasons, or triage depth."""
    period = period_of(with_store(state_of(ctx), store), week, start, end)
    keys = once_each(state_of(ctx).t, keys_of(by))
    figure: dict[Show, Callable[[Metrics], pl.DataFrame]] = {
        Show.STAGES: lambda m: m.funnel(period, keys),
        Show.REASONS: lambda m: m.decline_reasons(period, keys),
        Show.DEPTH: lambda m: m.triage_depth(period, keys),
    }
    _run(ctx, store, figure[show_], engine, fmt, "figures.title_funnel", spark_master=spark_master)


def _basis_columns(board: StatusBoard, ids: Sequence[str]) -> list[pl.Series]:
    """What each multi-week status rests on: its weeks, rate and surer bounds (else empty)."""
    import polars as pl

    bases = [j.basis if (j := board.of(b)) else None for b in ids]
    return [
        pl.Series("basis_weeks", [b.weeks if b else None for b in bases], dtype=pl.Int64),
        pl.Series("basis_rate", [b.rate if b else None for b in bases], dtype=pl.Float64),
        pl.Series("basis_low", [b.low if b else None for b in bases], dtype=pl.Float64),
        pl.Series("basis_high", [b.high if b else None for b in bases], dtype=pl.Float64),
    ]


RANKING_TABLE = (
    "branch_id",
    "name",
    "branch_type",
    "migratable",
    "rate",
    "ci_low",
    "ci_high",
    "peer_rank",
    "network_rank",
    "change_pp",
    "shrunk_rate",
    "status",
    "basis_weeks",
    "basis_rate",
    "weeks_below_target",
)


def ranking(
    ctx: typer.Context,
    week: Annotated[
        str,
        typer.Option(
            "--week", help="ISO week, e.g. 2018-W10, or last (the latest week that has ended)."
        ),
    ],
    peer_group: Annotated[
        str | None, typer.Option("--peer-group", help="urban, office, micro or county.")
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """网点排名（同类与全辖），含区间、收缩估计与判断。Branch ranking with intervals and status."""
    state = state_of(ctx)
    if peer_group is not None and peer_group not in BRANCH_TYPES:
        fail(
            state.t(
                "figures.unknown_peer_group",
                value=peer_group,
                choices=state.t("usage.list_separator").join(BRANCH_TYPES),
            )
        )
    week = week_of(with_store(state, store), week, held=True)

    def compute(m: Metrics) -> pl.DataFrame:
        import polars as pl

        from smartcounter.programme.status import judge

        board = judge(metrics=m, settings=with_store(state, store).settings, week=week)
        ids = board.ranking["branch_id"].to_list()
        frame = board.ranking.with_columns(
            pl.Series("status", [board.status(b).value for b in ids], dtype=pl.String),
            pl.Series(
                "weeks_below_target",
                [j.weeks_below_target if (j := board.of(b)) else 0 for b in ids],
                dtype=pl.Int64,
            ),
            *_basis_columns(board, ids),
        )
        if peer_group:
            frame = frame.filter(pl.col("branch_type") == peer_group).sort(
                "peer_rank", "branch_id", nulls_last=True
            )
        return frame

    _run(
        ctx,
        store,
        compute,
        engine,
        fmt,
        "figures.title_ranking",
        table_columns=RANKING_TABLE,
        spark_master=spark_master,
    )


def tickets(
    ctx: typer.Context,
    by: Annotated[
        str, typer.Option("--by", help="Comma-separated keys (default: branch).")
    ] = "branch",
    week: WeekOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """日均取号客户数。Daily tickets: tickets ÷ days with at least one ticket."""
    keys = once_each(state_of(ctx).t, keys_of(by))
    period = period_of(with_store(state_of(ctx), store), week, start, end)
    _run(
        ctx,
        store,
        lambda m: m.daily_tickets(keys, period),
        engine,
        fmt,
        "figures.title_tickets",
        spark_master=spark_master,
    )


def visit_rates(
    ctx: typer.Context,
    by: ByOption,
    week: WeekOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """按客户（取号）计的迁移率。Visit-based migration rate grouped by KEYS."""
    keys = once_each(state_of(ctx).t, keys_of(by))
    period = period_of(with_store(state_of(ctx), store), week, start, end)
    _run(
        ctx,
        store,
        lambda m: m.visit_rates(keys, period),
        engine,
        fmt,
        "figures.title_visit_rates",
        spark_master=spark_master,
    )


def wow(
    ctx: typer.Context,
    week: Annotated[
        str,
        typer.Option(
            "--week", help="ISO week, e.g. 2018-W10, or last (the latest week that has ended)."
        ),
    ],
    by: Annotated[
        str, typer.Option("--by", help="Comma-separated keys (default: branch).")
    ] = "branch",
    fmt: FormatOption = OutputFormat.TABLE,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: StoreArg = None,
) -> None:
    """周环比（百分点）。Week-over-week change of the rate in percentage points."""
    t = state_of(ctx).t
    keys = once_each(t, keys_of(by))
    periods = [k for k in keys if k in PERIOD_KEYS]
    if periods:
        fail(t("figures.wow_period_key", keys=", ".join(periods)))
    week = week_of(with_store(state_of(ctx), store), week, held=True)
    _run(
        ctx,
        store,
        lambda m: m.week_over_week(week, keys),
        engine,
        fmt,
        "figures.title_wow",
        spark_master=spark_master,
    )
