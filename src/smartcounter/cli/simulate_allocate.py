"""``smartcounter simulate allocate``: registered on the ``simulate`` group (see ``cli/simulate.py``).

Where the channel centre's new smart counters and specialists gain the most: every branch
calibrated once, the units handed out greedily with the receiving branch re-simulated, on
a process pool (both cores) or as a Spark job (``--engine spark``).
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smartcounter.cli.context import (
    EngineName,
    EngineOption,
    SparkMasterOption,
    StoreOption,
    fail,
    state_of,
    with_engine,
    with_store,
)
from smartcounter.cli.simulate_options import (
    SeedOption,
    WeekOption,
)
from smartcounter.cli.simulate_steps import calibration_span
from smartcounter.i18n import Translator
from smartcounter.kit.progress import Progress
from smartcounter.kit.tabular import OutputFormat, write_rows, write_table

if TYPE_CHECKING:
    from smartcounter.settings import Settings
    from smartcounter.simulation.allocate import Runner
    from smartcounter.simulation.allocate_service import AllocationReport


class LineProgress:
    """Branches done, as a line on standard error every tenth of the way (for logs and
    pipes; a terminal gets the progress bar)."""

    def __init__(self, t: Translator) -> None:
        self.t = t
        self._label, self._total, self._done, self._shown = "", 0, 0, -1

    def start(self, label: str, total: int) -> int:
        self._label, self._total, self._done, self._shown = label, total, 0, -1
        return 0

    def advance(self, task: int, amount: int) -> None:
        self._done += amount
        tenth = self._done * 10 // max(self._total, 1)
        if tenth != self._shown:
            self._shown = tenth
            line = self.t(
                "allocate.progress_line", label=self._label, done=self._done, total=self._total
            )
            print(line, file=sys.stderr, flush=True)

    def finish(self, task: int) -> None:
        return None


def register(app: typer.Typer) -> None:
    """Add ``simulate allocate`` to the ``simulate`` group."""
    app.command("allocate")(allocate)


def allocate(
    ctx: typer.Context,
    devices: Annotated[
        int, typer.Option("--devices", min=0, help="New smart counters to hand out.")
    ] = 0,
    specialists: Annotated[
        int, typer.Option("--specialists", min=0, help="New smart-counter specialists.")
    ] = 0,
    week: WeekOption = None,
    weeks: Annotated[
        int | None,
        typer.Option(
            "--weeks", min=1, max=52, help="Calibrate on this many weeks (ending --week)."
        ),
    ] = None,
    branch_type: Annotated[
        str | None, typer.Option("--branch-type", help="Only branches of this type (urban, …).")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Only branches of this region (e.g. 苏州).")
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option("--replications", min=2, max=5000, help="Weeks simulated per state."),
    ] = None,
    seed: SeedOption = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Processes (default: one per core; 1: serial)."),
    ] = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv (the steps) or json.")
    ] = OutputFormat.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write an HTML page with the chart.")
    ] = None,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """全网分配：新增智能柜台和专员放在哪些网点收益最大。Where new smart counters and specialists gain the most."""
    from smartcounter.simulation.allocate import Added
    from smartcounter.simulation.allocate_service import (
        AllocationError,
        NothingCalibratedError,
        run_allocation,
    )

    state = with_engine(with_store(state_of(ctx), store), engine, spark_master)
    t = state.t
    if devices + specialists == 0:
        fail(t("allocate.nothing"))
    if branch_type is not None and region is not None:
        fail(t("allocate.type_or_region"))
    settings = state.settings
    sim = settings.simulation
    opened = state.open_store()
    span = calibration_span(state, opened, week, weeks)
    started = time.perf_counter()
    with ExitStack() as stack:
        runner, runner_text = _runner(stack, state.settings.engine, workers, t, settings)
        progress = _progress(stack, t)
        try:
            report = run_allocation(
                store=opened,
                settings=settings,
                weeks=span,
                budget=Added(devices, specialists),
                replications=replications or sim.replications,
                seed=sim.seed if seed is None else seed,
                runner=runner,
                branch_type=branch_type,
                region=region,
                progress=progress,
                progress_label=t("allocate.progress_branches"),
                states_label=t("allocate.progress_states"),
            )
        except NothingCalibratedError:
            fail(t("allocate.none_calibrated", weeks=", ".join(span)))
        except AllocationError:
            named = f"--branch-type {branch_type}" if branch_type else f"--region {region}"
            fail(t("allocate.no_branches", filter=named))
    seconds = time.perf_counter() - started
    print(
        t("allocate.elapsed", seconds=f"{seconds:.1f}", states=report.simulated_states),
        file=sys.stderr,
    )
    _write(report, fmt, t, runner_text, sim.confidence)
    if out is not None:
        from smartcounter.simulation.allocate_view import page

        out.parent.mkdir(parents=True, exist_ok=True)
        html = page(report, t.lang, runner_text=runner_text, confidence=sim.confidence)
        out.write_text(html, "utf-8")
        print(t("allocate.wrote", path=str(out)), file=sys.stderr)


def _runner(
    stack: ExitStack, engine: str, workers: int | None, t: Translator, settings: Settings
) -> tuple[Runner, str]:
    """The runner of the jobs and how the report names it."""
    if engine == EngineName.SPARK.value:
        try:
            from smartcounter.simulation.allocate_spark import SparkRunner

            spark = stack.enter_context(SparkRunner(settings.spark))
        except ImportError:
            fail(t("figures.needs_spark"))
        return spark, t("allocate.runner_spark", master=settings.spark.master)
    from smartcounter.simulation.allocate_pool import PoolRunner, SerialRunner

    if workers == 1:
        return SerialRunner(), t("allocate.runner_serial")
    pool = stack.enter_context(PoolRunner(workers))
    return pool, t("allocate.runner_pool", workers=pool.workers)


def _progress(stack: ExitStack, t: Translator) -> Progress:
    """A progress bar on a terminal, lines on standard error otherwise."""
    if sys.stderr.isatty():
        from smartcounter.kit.progress import RichProgress

        bar = RichProgress()
        stack.callback(bar.close)
        return bar
    return LineProgress(t)


def _write(
    report: AllocationReport, fmt: OutputFormat, t: Translator, runner_text: str, confidence: float
) -> None:
    from smartcounter.bulletin.formats import Formats
    from smartcounter.simulation.allocate_view import (
        BRANCH_COLUMNS,
        STEP_COLUMNS,
        STEP_KEYS,
        branch_cells,
        network_line,
        report_json,
        step_cells,
        step_row,
    )

    a = report.allocation
    if fmt is OutputFormat.JSON:
        json.dump(report_json(report), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return
    if fmt is OutputFormat.CSV:
        rows = [[step_row(s)[k] for k in STEP_KEYS] for s in a.steps]
        write_rows(fmt, list(STEP_KEYS), rows)
        return
    f = Formats(t.lang)
    print(
        t(
            "allocate.title",
            devices=report.budget.devices,
            specialists=report.budget.specialists,
            branches=len(report.branches),
            weeks=", ".join(report.weeks),
        )
    )
    print(
        t(
            "allocate.runs",
            replications=report.replications,
            seed=report.seed,
            runner=runner_text,
            confidence=round(confidence * 100),
        )
    )
    print(network_line(report, f))
    print()
    print(t("allocate.steps"))
    write_table(
        list(STEP_COLUMNS),
        [step_cells(report, s, f) for s in a.steps],
        headers=[t(f"allocate.columns.{c}") for c in STEP_COLUMNS],
    )
    print()
    print(t("allocate.summary"))
    given = [r for r in a.branches if r.added.devices or r.added.specialists]
    write_table(
        list(BRANCH_COLUMNS),
        [branch_cells(report, r, f) for r in given],
        headers=[t(f"allocate.columns.{c}") for c in BRANCH_COLUMNS],
    )
    if a.unspent.devices or a.unspent.specialists:
        print(t("allocate.unspent", devices=a.unspent.devices, specialists=a.unspent.specialists))
    if report.skipped:
        print(t("allocate.skipped", branches=", ".join(b for b, _ in report.skipped)))
