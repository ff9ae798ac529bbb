"""``smartcounter simulate sensitivity``: how much a what-if moves when each assumed behaviour
figure moves (``simulation/sensitivity.py``); registered on the ``simulate`` group."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

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
from smartcounter.kit.progress import NullProgress, Progress, RichProgress
from smartcounter.kit.tabular import OutputFormat, write_rows, write_table
from smartcounter.metrics import open_metrics
from smartcounter.simulation import BranchModel, CalibrationError, ScenarioError, run_what_if
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.calibrate import calibrate
from smartcounter.simulation.sensitivity import DESCRIBED, RESULT_COLUMNS, Swing, sensitivity


def register(app: typer.Typer) -> None:
    """Add ``simulate sensitivity`` to the ``simulate`` group."""
    app.command("sensitivity")(sensitivity_command)


def sensitivity_command(
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
    step: Annotated[
        float, typer.Option("--step", min=0.01, max=0.9, help="Move each figure by this share.")
    ] = 0.2,
    recalibrate: Annotated[
        int,
        typer.Option(
            "--recalibrate",
            min=0,
            max=30,
            help="Check the N largest swings again with the branch calibrated anew at each "
            "end (0: none; two calibrations each).",
        ),
    ] = 3,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """敏感性：假设参数变动时假设分析的变化。How a what-if moves when each assumed figure moves ±step."""
    state = with_store(state_of(ctx), store)
    t = state.t
    if branch is None:
        fail(t("simulation.need_branch"))
    if greeters is not None and add_greeter:
        fail(t("simulation.greeters_twice"))
    sim = state.settings.simulation
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
    if scenario.is_baseline:
        fail(t("validation.sensitivity.baseline_only"))
    runs = replications or sim.replications
    run_seed = sim.seed if seed is None else seed
    try:
        report = run_what_if(
            store=opened,
            settings=state.settings,
            branch_id=branch,
            weeks=span,
            scenario=scenario,
            replications=2,  # the calibrated model and its estimates are what is wanted
            seed=run_seed,
        )
    except CalibrationError:
        fail(t("simulation.unknown_branch", branch=branch, weeks=", ".join(span)))
    except ScenarioError as exc:
        fail(t("simulation.bad_scenario", detail=str(exc)))
    bar = RichProgress() if sys.stderr.isatty() else None
    progress: Progress = bar or NullProgress()
    model = report.model
    try:
        with open_metrics(opened, state.settings) as metrics:

            def calibrated(behaviour: Behaviour) -> BranchModel:
                fresh = calibrate(
                    opened, state.settings, branch, span, metrics=metrics, behaviour=behaviour
                )
                # Patience is estimated from give-ups, not fitted: kept as the what-if had it.
                kept = replace(fresh.practice, patience_s=model.practice.patience_s)
                return replace(fresh, practice=kept)

            swings = sensitivity(
                model,
                scenario,
                estimates=report.estimates,
                step=step,
                replications=runs,
                seed=run_seed,
                progress=progress,
                label=t("validation.sensitivity.progress"),
                recalibrate=calibrated,
                recalibrate_top=recalibrate,
            )
    finally:
        if bar is not None:
            bar.close()
    rows = [s.row() for s in swings]
    if fmt is OutputFormat.JSON:
        clean = [{k: _number(v) for k, v in r.items()} for r in rows]
        print(json.dumps(clean, ensure_ascii=False, indent=2))
    elif fmt is OutputFormat.CSV:
        write_rows(fmt, list(RESULT_COLUMNS), [[r[c] for c in RESULT_COLUMNS] for r in rows])
    else:
        _print_table(swings, t, branch, span, step)


def _number(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else value


def _name(parameter: str, t: Translator) -> str:
    """The parameter in words: as ``describe`` names it, or as this command does."""
    if parameter in DESCRIBED:
        return t(f"estimation.name_{parameter}")
    return t(f"validation.sensitivity.names.{parameter}")


def _recalibrated(s: Swing, t: Translator) -> str:
    """The re-calibrated swing, saying when calibration left the practice as it was."""
    if math.isnan(s.swing_recalibrated):
        return ""
    text = f"{s.swing_recalibrated * 100:.2f}"
    return text if s.refitted else f"{text} {t('validation.sensitivity.not_refitted')}"


def _print_table(
    swings: list[Swing], t: Translator, branch: str, weeks: list[str], step: float
) -> None:
    def pp(value: float) -> str:
        return "—" if math.isnan(value) else f"{value * 100:+.2f}"

    percent = round(step * 100)
    columns = ["parameter", "value", "low", "base", "high", "swing", "swing_recalibrated"]
    rows = [
        (
            f"{_name(s.parameter, t)} ({s.parameter})",
            f"{s.value:.3g}",
            pp(s.rate[0]),
            pp(s.rate[1]),
            pp(s.rate[2]),
            "—" if math.isnan(s.swing) else f"{s.swing * 100:.2f}",
            _recalibrated(s, t),
        )
        for s in swings
    ]
    write_table(
        columns,
        rows,
        headers=[t(f"validation.sensitivity.columns.{c}", step=percent) for c in columns],
        title=t(
            "validation.sensitivity.title",
            branch=branch,
            step=percent,
            weeks=f"{weeks[0]}…{weeks[-1]}" if len(weeks) > 1 else weeks[0],
        ),
    )
    print(t("validation.sensitivity.note", step=percent))
