"""``smartcounter simulate optimise``: the cheapest staffing by hour that meets the targets.

Registered on the ``simulate`` group (see ``cli/simulate.py``). The search is
``simulation/optimise.py``'s; this module reads the options, shows progress on standard
error and prints the answer (a table, rows for scripts, or a page with ``--out``).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from smartcounter.cli.context import StoreOption, fail, state_of, with_store
from smartcounter.cli.simulate_options import (
    SeedOption,
    WeekOption,
    WeeksOption,
)
from smartcounter.cli.simulate_steps import calibration_span
from smartcounter.i18n import Translator
from smartcounter.kit.progress import RichProgress
from smartcounter.kit.tabular import OutputFormat, write_rows, write_table
from smartcounter.simulation.calibrate import CalibrationError
from smartcounter.simulation.optimise import (
    WAIT_QUEUES,
    Evaluation,
    Interval,
    Optimisation,
    Targets,
)
from smartcounter.simulation.optimise_service import (
    ROW_COLUMNS,
    Bounds,
    clock,
    optimise_rows,
    run_optimise,
    verdict_text,
)


def register(app: typer.Typer) -> None:
    """Add ``simulate optimise`` to the ``simulate`` group."""
    app.command("optimise")(optimise_command)


def optimise_command(
    ctx: typer.Context,
    branch: Annotated[str, typer.Option("--branch", help="Branch id, e.g. CZ-LJL.")],
    target_rate: Annotated[
        float,
        typer.Option("--target-rate", min=0.0, max=1.0, help="Migration rate to reach, 0-1."),
    ] = 0.90,
    max_wait: Annotated[
        float,
        typer.Option(
            "--max-wait",
            min=0.5,
            help="Minutes no customer should wait: the 90th percentile of the waits for a "
            "window and for a smart counter, in every opening hour, must not exceed it.",
        ),
    ] = 10.0,
    week: WeekOption = None,
    weeks: WeeksOption = None,
    max_tellers: Annotated[
        int | None,
        typer.Option("--max-tellers", min=1, help="Most tellers in an hour (default: windows)."),
    ] = None,
    min_tellers: Annotated[
        int,
        typer.Option("--min-tellers", min=1, help="Fewest tellers in any hour (cover for breaks)."),
    ] = 1,
    max_specialists: Annotated[
        int | None,
        typer.Option(
            "--max-specialists",
            min=0,
            help="Most specialists in an hour (default: the branch's + 2).",
        ),
    ] = None,
    max_greeters: Annotated[
        int | None,
        typer.Option(
            "--max-greeters", min=0, help="Most greeters in an hour (default: the branch's + 2)."
        ),
    ] = None,
    max_smart_counters: Annotated[
        int | None,
        typer.Option(
            "--max-smart-counters",
            min=0,
            help="Most smart counters open in an hour (default: the branch's + 1).",
        ),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications",
            min=2,
            max=200,
            help="Simulated weeks per candidate (default: [simulation] plan_replications, 8).",
        ),
    ] = None,
    confirm: Annotated[
        int | None,
        typer.Option(
            "--confirm-replications",
            min=2,
            max=5000,
            help="Simulated weeks of the final check (default: the simulator's replications).",
        ),
    ] = None,
    seed: SeedOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the answer as an HTML page.")
    ] = None,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """人员排班优化：满足迁移率与等待目标的最低成本分时段排班。Cheapest staffing by hour that meets a
    migration-rate target and a wait limit (p90 wait per queue and hour)."""
    state = with_store(state_of(ctx), store)
    t = state.t
    sim = state.settings.simulation
    opened = state.open_store()
    span = calibration_span(state, opened, week, weeks)
    bar = RichProgress() if sys.stderr.isatty() else None
    print(t("optimise.progress.calibrating", branch=branch), file=sys.stderr)
    try:
        result = run_optimise(
            store=opened,
            settings=state.settings,
            branch_id=branch,
            weeks=span,
            targets=Targets(rate=target_rate, max_wait_s=max_wait * 60.0),
            bounds=Bounds(
                max_tellers, max_specialists, max_greeters, max_smart_counters, min_tellers
            ),
            replications=replications or sim.plan_replications,
            confirm_replications=confirm or sim.replications,
            seed=sim.seed if seed is None else seed,
            progress=bar,
            label=t("optimise.progress.candidates"),
        )
    except CalibrationError:
        fail(t("simulation.unknown_branch", branch=branch, weeks=", ".join(span)))
    finally:
        if bar is not None:
            bar.close()
    print(t("optimise.progress.done", candidates=len(result.candidates)), file=sys.stderr)
    if out is not None:
        from smartcounter.simulation.optimise_page import optimise_page

        out.write_text(optimise_page(result, t), encoding="utf-8")
        print(t("optimise.written", path=str(out)), file=sys.stderr)
    if fmt is OutputFormat.TABLE:
        print_table(result, t, sim.confidence)
    else:
        write_rows(fmt, list(ROW_COLUMNS), optimise_rows(result))


def minutes(seconds: float) -> str:
    """Seconds as minutes, ``4.2′``."""
    return "—" if math.isnan(seconds) else f"{seconds / 60:.1f}′"


def percent(share: float) -> str:
    """A share as a percentage, ``81.3%``."""
    return "—" if math.isnan(share) else f"{share * 100:.1f}%"


def with_interval(show: str, low: str, high: str) -> str:
    """``show (low–high)``, or ``show`` without an interval."""
    return show if low == "—" or high == "—" else f"{show} ({low}–{high})"


def wait_text(value: Interval | None) -> str:
    """A p90 wait with its interval."""
    if value is None:
        return "—"
    return with_interval(minutes(value.value), minutes(value.low), minutes(value.high))


def print_table(o: Optimisation, t: Translator, confidence: float) -> None:
    """The answer for people: verdict, staffing and waits by hour, cost and rate."""
    m = o.model
    print(t("optimise.title", branch=m.name, branch_id=m.branch_id, weeks=", ".join(m.weeks)))
    print(
        t(
            "optimise.targets",
            rate=percent(o.targets.rate),
            wait=f"{o.targets.max_wait_s / 60:g}",
        )
    )
    print(
        t(
            "optimise.runs",
            candidates=len(o.candidates),
            replications=o.replications,
            confirm=o.confirm_replications,
            seed=o.seed,
            confidence=round(confidence * 100),
        )
    )
    columns = ["hour", "as_is", "proposed", *(f"wait_{q}" for q in WAIT_QUEUES), "rate"]
    rows = []
    for h in range(m.arrivals.hours):
        rows.append(
            (
                f"{clock(m, h)}:00",
                _staff(o.as_is.profile[h]),
                _staff(o.proposed.profile[h]),
                *(_pair(o.as_is, o.proposed, q, h) for q in WAIT_QUEUES),
                f"{_hour_rate(o.as_is, h)} → {_hour_rate(o.proposed, h)}",
            )
        )
    write_table(columns, rows, headers=[t(f"optimise.columns.{c}") for c in columns])
    print(t("optimise.staff_key"))
    summary = [
        (
            t("optimise.summary.cost"),
            f"{o.as_is.cost:,.0f}",
            f"{o.proposed.cost:,.0f}",
            f"{o.proposed.cost - o.as_is.cost:+,.0f}",
        ),
        (
            t("optimise.summary.rate"),
            _rate(o.as_is.rate),
            _rate(o.proposed.rate),
            f"{(o.proposed.rate.value - o.as_is.rate.value) * 100:+.1f} pp",
        ),
        (
            t("optimise.summary.worst_wait"),
            minutes(o.as_is.worst_wait()),
            minutes(o.proposed.worst_wait()),
            "",
        ),
    ]
    write_table(
        ["figure", "as_is", "proposed", "difference"],
        summary,
        headers=[t(f"optimise.summary.{c}") for c in ("figure", "as_is", "proposed", "difference")],
    )
    print(verdict_text(o, t))
    if o.met and not o.met_in_search:  # the other way round, the verdict says it
        print(t("optimise.unconfirmed"))
    print(t("optimise.front", count=len(o.front)))
    print(t("optimise.note"))


def _staff(hour: tuple[int, ...]) -> str:
    return " ".join(str(c) for c in hour)


def _pair(a: Evaluation, b: Evaluation, queue: str, hour: int) -> str:
    return f"{wait_text(a.p90.get((queue, hour)))} → {wait_text(b.p90.get((queue, hour)))}"


def _hour_rate(e: Evaluation, hour: int) -> str:
    value = e.rate_by_hour.get(hour)
    return "—" if value is None else percent(value)


def _rate(value: Interval) -> str:
    return with_interval(percent(value.value), percent(value.low), percent(value.high))
