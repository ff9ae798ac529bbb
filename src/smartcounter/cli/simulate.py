"""``smartcounter simulate --branch B [--week W | --weeks N] [what-if options]``: the lobby simulator.

Calibrates the branch from the store, simulates it as it is and under the what-if on the
same random streams, and prints both side by side with the difference and its interval.

``simulate`` is also a group: its subcommands (``validate``, ``optimise``, ``allocate``, …)
live in their own modules, listed in ``SUBCOMMANDS``, and register themselves on
``simulate_app``; ``simulate --branch B …`` with no subcommand is the what-if (cli.md).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from smartcounter.canonical.catalogue import REASONS
from smartcounter.cli.context import StoreOption, fail, state_of, with_store
from smartcounter.cli.simulate_options import (
    AddGreeterOption,
    BackupTellerOption,
    CashSplitOption,
    GreetersOption,
    ReplicationsOption,
    SeedOption,
    SmartCountersOption,
    SpecialistsOption,
    TellersOption,
    TriageRoundsOption,
    WeekOption,
    WeeksOption,
)
from smartcounter.cli.simulate_steps import calibration_span, what_if_scenario
from smartcounter.i18n import Translator
from smartcounter.kit.tabular import OutputFormat, write_rows, write_table
from smartcounter.simulation import (
    CalibrationError,
    ScenarioError,
    WhatIfReport,
    run_what_if,
)
from smartcounter.simulation.model import WEEKDAYS, BranchModel
from smartcounter.simulation.scenario import Scenario

FIGURE_COLUMNS = (
    "metric",
    "group",
    "store",
    "baseline",
    "baseline_low",
    "baseline_high",
    "scenario",
    "scenario_low",
    "scenario_high",
    "difference",
    "difference_low",
    "difference_high",
)
# Figures shown as percentages; waits are seconds, shown in minutes.
_SHARES = frozenset({"migration_rate", "utilisation", "reason_share"})
_WAITS = frozenset({"wait_mean", "wait_p90"})
# Rows of the JSON and CSV output that the table says in words instead.
_BESIDE_TABLE = frozenset({"migration_rate_next_weeks", "behaviour_estimated", "behaviour_assumed"})
# Rows for charts, JSON and CSV only (the table says where they are).
_BY_HOUR = frozenset({"migration_rate_by_hour", "wait_mean_by_hour"})


# Modules under ``smartcounter.cli`` whose ``register(simulate_app)`` adds a subcommand.
SUBCOMMANDS: tuple[str, ...] = (
    "simulate_validate",
    "simulate_sensitivity",
    "simulate_optimise",
    "simulate_allocate",
)

simulate_app = typer.Typer(rich_markup_mode=None, add_completion=False)


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and its subcommands to the command line."""
    for name in SUBCOMMANDS:
        importlib.import_module(f"smartcounter.cli.{name}").register(simulate_app)
    app.add_typer(simulate_app, name="simulate")


@simulate_app.callback(invoke_without_command=True)
def simulate(
    ctx: typer.Context,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Branch id, e.g. CZ-LJL (required).")
    ] = None,
    week: WeekOption = None,
    weeks: WeeksOption = None,
    add_greeter: AddGreeterOption = 0,
    greeters: GreetersOption = None,
    specialists: SpecialistsOption = None,
    smart_counters: SmartCountersOption = None,
    tellers: TellersOption = None,
    triage_rounds: TriageRoundsOption = None,
    cash_split: CashSplitOption = None,
    backup_teller: BackupTellerOption = None,
    day: Annotated[
        str | None, typer.Option("--day", help="Simulate one weekday only: mon … sun.")
    ] = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the what-if's charts to this HTML page."),
    ] = None,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """厅堂模拟：人员、设备与做法的假设分析。Simulate a branch's lobby: what-if staffing, devices and practice."""
    if ctx.invoked_subcommand is not None:
        return  # a subcommand runs with its own options
    state = with_store(state_of(ctx), store)
    t = state.t
    if branch is None:
        fail(t("simulation.need_branch"))
    if greeters is not None and add_greeter:
        fail(t("simulation.greeters_twice"))
    if out is not None and out.suffix.lower() not in (".html", ".htm"):
        fail(t("whatif.bad_out", path=str(out)))
    sim = state.settings.simulation
    weekdays = None
    if day is not None:
        if day.lower() not in WEEKDAYS:
            fail(t("simulation.bad_day"))
        weekdays = [WEEKDAYS.index(day.lower())]
    opened = state.open_store()
    span = calibration_span(state, opened, week, weeks)
    scenario = what_if_scenario(
        state,
        opened,
        branch,
        add_greeter=add_greeter,
        greeters=greeters,
        specialists=specialists,
        smart_counters=smart_counters,
        tellers=tellers,
        triage_rounds=triage_rounds,
        cash_split=cash_split,
        backup_teller=backup_teller,
    )
    from smartcounter.kit.progress import RichProgress

    bar = RichProgress() if sys.stderr.isatty() else None  # seconds: say how far it is
    try:
        report = run_what_if(
            store=opened,
            settings=state.settings,
            branch_id=branch,
            weeks=span,
            scenario=scenario,
            replications=replications or sim.replications,
            seed=sim.seed if seed is None else seed,
            weekdays=weekdays,
            progress=bar,
            label=t("simulation.progress", branch=branch),
        )
    except CalibrationError:
        fail(t("simulation.unknown_branch", branch=branch, weeks=", ".join(span)))
    except ScenarioError as exc:
        fail(t("simulation.bad_scenario", detail=str(exc)))
    finally:
        if bar is not None:
            bar.close()
    if fmt is OutputFormat.TABLE:
        _print_table(report, t, day, sim.confidence)
    else:
        frame = report.table.select(FIGURE_COLUMNS)
        write_rows(fmt, list(frame.columns), frame.rows())
    if out is not None:
        from smartcounter.simulation.report_html import write_page

        typer.echo(t("whatif.written", path=str(write_page(report, t.lang, out))), err=True)


def _as_it_is(model: BranchModel, scenario: Scenario) -> bool:
    """True when ``scenario`` leaves the branch as it is (its staff, devices and practice)."""
    changed = scenario.apply(model)
    return bool(changed.staffing == model.staffing and changed.practice == model.practice)


def _print_table(report: WhatIfReport, t: Translator, day: str | None, confidence: float) -> None:
    model, scenario = report.model, report.scenario
    weeks = ", ".join(model.weeks)
    print(t("simulation.title", branch=model.name, branch_id=model.branch_id, weeks=weeks))
    days = t("simulation.one_day", day=day) if day else ""
    print(
        t(
            "simulation.runs",
            replications=report.replications,
            days=days,
            seed=report.seed,
            confidence=round(confidence * 100),
        )
    )
    if scenario.is_baseline:
        print(t("simulation.baseline_only"))
    elif _as_it_is(model, scenario):
        print(t("simulation.same_as_is"))
    _print_settings(model, report.scenario.apply(model), t)
    columns = ["metric", "group", "store", "baseline", "scenario", "difference"]
    rows = []
    for r in report.table.iter_rows(named=True):
        metric, group = r["metric"], r["group"]
        if metric in _BESIDE_TABLE or metric in _BY_HOUR:
            continue  # said in words below the table, or for charts only
        show = _formatter(metric)
        rows.append(
            (
                t(f"simulation.metric.{metric}"),
                _group_name(metric, group, t),
                show(r["store"]),
                _with_interval(show, r["baseline"], r["baseline_low"], r["baseline_high"]),
                _with_interval(show, r["scenario"], r["scenario_low"], r["scenario_high"]),
                _difference(metric, r["difference"], r["difference_low"], r["difference_high"], t),
            )
        )
    write_table(columns, rows, headers=[t(f"simulation.columns.{c}") for c in columns])
    print(t("whatif.table_note"))
    if scenario.specialists is not None or scenario.smart_counters is not None:
        print(t("simulation.note_specialist"))
    _print_estimates(report, t)


def _print_estimates(report: WhatIfReport, t: Translator) -> None:
    """The next weeks' range, and which behaviour figures were estimated or assumed."""
    from smartcounter.simulation.estimation import describe

    ahead = report.next_weeks
    if ahead is not None:

        def pct(value: float) -> str:
            return f"{value * 100:.1f}%"

        print(
            t(
                "estimation.next_weeks",
                weeks=ahead.baseline.horizon,
                level=round(ahead.level * 100),
                baseline=pct(ahead.baseline.rate),
                baseline_low=pct(ahead.baseline.low),
                baseline_high=pct(ahead.baseline.high),
                scenario=pct(ahead.scenario.rate),
                scenario_low=pct(ahead.scenario.low),
                scenario_high=pct(ahead.scenario.high),
                week_sd=f"{ahead.baseline.week_sd * 100:.1f}",
            )
        )
    if report.estimates is not None:
        for line in describe(report.estimates, t.lang):
            print(line)


def _print_settings(before: BranchModel, after: BranchModel, t: Translator) -> None:
    from smartcounter.views.whatif import settings_of

    def show(value: object) -> str:
        if isinstance(value, bool):
            return t("simulation.setting.yes") if value else t("simulation.setting.no")
        if isinstance(value, float):
            return f"{value * 100:.0f}%"
        return str(value)

    rows = [(name, show(a), show(b)) for name, a, b in settings_of(before, after)]
    minutes = f"{before.practice.patience_s / 60:.0f}"
    rows.append(("patience", minutes, minutes))
    headers = [
        t("simulation.setting.title"),
        t("simulation.columns.baseline"),
        t("simulation.columns.scenario"),
    ]
    write_table(
        ["setting", "baseline", "scenario"],
        [(t(f"simulation.setting.{n}"), a, b) for n, a, b in rows],
        headers=headers,
    )


def _group_name(metric: str, group: str, t: Translator) -> str:
    if not group:
        return ""
    if metric == "reason_share" and group in REASONS:
        return REASONS[group].name(t.lang.value)
    if metric in _WAITS:
        return t(f"simulation.queue.{group}")
    if metric == "utilisation":
        return t(f"simulation.role.{group}")
    return t(f"simulation.group.{group}")


Show = Callable[[float | None], str]


def _formatter(metric: str) -> Show:
    if metric in _SHARES:
        return lambda v: "—" if v is None else f"{v * 100:.1f}%"
    if metric in _WAITS:
        return lambda v: "—" if v is None else f"{v / 60:.1f}′"
    return lambda v: "—" if v is None else f"{v:.1f}"


def _with_interval(show: Show, value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "—"
    if low is None or high is None:
        return show(value)
    return f"{show(value)} ({show(low)}–{show(high)})"


def _difference(
    metric: str, value: float | None, low: float | None, high: float | None, t: Translator
) -> str:
    if value is None:
        return "—"
    if metric in _SHARES:
        scale, unit = 100.0, t("whatif.pp")
    elif metric in _WAITS:
        scale, unit = 1 / 60, t("whatif.min")
    else:
        scale, unit = 1.0, ""
    text = f"{value * scale:+.2f}{unit}"
    if low is not None and high is not None:
        text += f" [{low * scale:+.2f}, {high * scale:+.2f}]"
    return text
