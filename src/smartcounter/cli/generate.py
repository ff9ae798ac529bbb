"""``smartcounter generate OUT --branches N --weeks W --start DATE --seed S [--store DIR]
[--change BRANCH@WEEK:KEY=VALUE[,KEY=VALUE] …]``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from smartcounter.cli.context import Exit, fail, state_of
from smartcounter.kit.progress import NullProgress, Progress, RichProgress
from smartcounter.synthetic import NetworkSpec, write_network
from smartcounter.synthetic.changes import ChangeError, parse_change
from smartcounter.synthetic.network import SOURCE_BRANCHES, build_network
from smartcounter.synthetic.writer import TRUTH_DIR, TRUTH_FILE

DEFAULT = NetworkSpec()


def register(app: typer.Typer) -> None:
    """Add ``generate`` to the command line."""
    app.command("generate")(generate)


def generate(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="Folder for the canonical CSV files (and _truth/).")],
    branches: Annotated[
        int,
        typer.Option(
            "--branches", min=1, help="Number of branches, the four source branches included."
        ),
    ] = DEFAULT.branches,
    weeks: Annotated[
        int, typer.Option("--weeks", min=1, help="Number of weeks from --start.")
    ] = DEFAULT.weeks,
    start: Annotated[
        str, typer.Option("--start", help="First day, YYYY-MM-DD.")
    ] = DEFAULT.start.isoformat(),
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same files.")
    ] = DEFAULT.seed,
    ticket_scale: Annotated[
        float,
        typer.Option(
            "--ticket-scale",
            min=0.05,
            max=10.0,
            help="Scale the generic branches' daily tickets (sizes a network for benchmarks).",
        ),
    ] = 1.0,
    change: Annotated[
        list[str] | None,
        typer.Option(
            "--change",
            help="A dated practice change, BRANCH@WEEK:KEY=VALUE[,KEY=VALUE] (repeatable); "
            "keys: specialists, smart_counters, tellers, greeters, triage_rounds, cash_split, "
            "backup_teller.",
        ),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Import straight into this data store instead of writing CSVs to OUT.",
        ),
    ] = None,
) -> None:
    """生成合成网点网络（标准格式 CSV 或直接导入数据库）。Generate a synthetic branch network: canonical CSVs, or straight into the store."""
    state = state_of(ctx)
    t = state.t
    try:
        first = date.fromisoformat(start)
    except ValueError:
        fail(t("synthetic.bad_start", value=start))
    try:
        changes = tuple(parse_change(c) for c in change or ())
    except ChangeError as exc:
        fail(t(f"synthetic.{exc.key}", **exc.fields))
    spec = NetworkSpec(
        branches=branches,
        weeks=weeks,
        start=first,
        seed=seed,
        ticket_scale=ticket_scale,
        changes=changes,
    )
    try:
        build_network(spec)  # names every wrong branch or week before anything is written
    except ChangeError as exc:
        fail(t(f"synthetic.{exc.key}", **exc.fields))
    target = None
    if store is not None:
        from smartcounter.store.layout import Store, StoreError

        try:
            target = Store.open_or_create(store, timezone=state.settings.timezone)
        except StoreError as exc:
            fail(t("app.store_error", detail=str(exc)))
    bar = RichProgress() if sys.stderr.isatty() else None
    progress: Progress = bar or NullProgress()
    try:
        summary = write_network(
            out,
            spec,
            write_csv=store is None,
            store=target,
            progress=progress,
            lang=state.lang.value,
        )
    except Exception as exc:
        from smartcounter.store.layout import StoreBusyError

        if isinstance(exc, StoreBusyError):
            fail(t("app.store_busy", holder=str(exc)))
        raise
    finally:
        if bar is not None:
            bar.close()
    rows = summary.rows
    rate = int(summary.transactions / summary.seconds) if summary.seconds > 0 else 0
    print(
        t(
            "synthetic.done",
            branches=summary.branches,
            staff=summary.staff,
            weeks=spec.weeks,
            start=spec.start.isoformat(),
            end=spec.end.isoformat(),
            visits=rows.get("visits", 0),
            transactions=summary.transactions,
            triage=rows.get("triage", 0),
            seconds=f"{summary.seconds:.1f}",
            rate=rate,
        )
    )
    ids = ", ".join(s.branch_id for s in SOURCE_BRANCHES)
    print(
        t("synthetic.sources_in" if spec.has_source_branches else "synthetic.sources_out", ids=ids)
    )
    print(t("synthetic.truth", path=str(out / TRUTH_DIR / TRUTH_FILE)))
    if store is not None:
        imported = sum(f.imported + f.updated for r in summary.imports for f in r.files)
        print(
            t(
                "synthetic.imported",
                path=str(store),
                rows=imported,
                rejected=summary.rejected,
            )
        )
        raise typer.Exit(Exit.PARTIAL if summary.rejected else Exit.OK)
    print(t("synthetic.written", path=str(out)))
