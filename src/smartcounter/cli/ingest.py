"""``smartcounter ingest PATH... [--replace] [--format table|json]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.cli.context import Exit, StoreOption, fail, state_of, with_store
from smartcounter.i18n import Translator
from smartcounter.ingest.report import ImportReport
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.ingest.sources import UnusableFileError
from smartcounter.kit.progress import NullProgress, RichProgress
from smartcounter.kit.tabular import ReportFormat, write_table
from smartcounter.store.layout import StoreBusyError, StoreError


def register(app: typer.Typer) -> None:
    """Add ``ingest`` to the command line."""
    app.command("ingest")(ingest)


def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Folders or CSV files in the canonical format.")
    ],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Replace stored event rows that differ instead of rejecting them."
        ),
    ] = False,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table or json.")
    ] = ReportFormat.TABLE,
    wait: Annotated[
        float | None,
        typer.Option("--wait", help="Seconds to wait for another import to finish."),
    ] = None,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """导入标准格式的 CSV 文件或文件夹。Import canonical CSV files or folders."""
    state = with_store(state_of(ctx), store)
    t = state.t
    settings = state.settings
    progress = RichProgress() if sys.stderr.isatty() else None
    options = IngestOptions(
        replace=replace,
        lang=state.lang,
        wait_seconds=settings.import_wait_seconds if wait is None else wait,
        on_wait=lambda holder: print(t("app.store_waiting", holder=holder), file=sys.stderr),
    )
    try:
        report = ingest_paths(
            settings.store,
            paths,
            timezone=settings.timezone,
            catalogue=load_catalogue(settings.catalogue),
            options=options,
            progress=progress or NullProgress(),
        )
    except UnusableFileError as exc:
        fail(t("ingest.unusable", message=t(exc.key, path=str(exc.path), **exc.params)))
    except StoreBusyError as exc:
        fail(t("app.store_busy", holder=str(exc)))
    except StoreError as exc:
        fail(t("app.store_error", detail=str(exc)))
    finally:
        if progress is not None:
            progress.close()
    _print(report, fmt, t)
    raise typer.Exit(Exit.PARTIAL if report.rejected else Exit.OK)


def _print(report: ImportReport, fmt: ReportFormat, t: Translator) -> None:
    if fmt is ReportFormat.JSON:
        json.dump(report.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        for note in report.notes:
            print(note, file=sys.stderr)
        return
    columns = ["file", "table", "read", "imported", "updated", "skipped", "rejected", "unresolved"]
    headers = [t(f"ingest.header_{c}") for c in columns]
    rows = [[f.as_json()[c] for c in columns] for f in report.files]
    write_table(columns, rows, headers=headers)
    for note in report.notes:
        print(note)
    if report.rejects_path:
        print(t("ingest.rejects_written", path=report.rejects_path))
    else:
        print(t("ingest.no_rejects"))
