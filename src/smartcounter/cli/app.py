"""The ``smartcounter`` command: ``smartcounter [--store DIR] COMMAND ...`` (cli.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smartcounter.cli import (
    bulletin,
    close_day,
    demo,
    figures,
    generate,
    ingest,
    programme,
    scorecard,
    serve,
)
from smartcounter.cli.context import build_state

app = typer.Typer(
    name="smartcounter",
    help="智能柜台迁移：导入、指标、每周通报、标杆与结对、考核、厅堂服务。 "
    "Smart-counter migration: import, metrics, weekly bulletin, benchmarks and pairs, scorecards, lobby service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def root(
    ctx: typer.Context,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            envvar="SMARTCOUNTER_STORE",
            help="Data store folder (default: per-user data folder).",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", envvar="SMARTCOUNTER_LANG", help="Language of messages: zh (default) or en."
        ),
    ] = None,
) -> None:
    """Smart-counter migration programme."""
    ctx.obj = build_state(store, lang)


for module in (
    ingest,
    figures,
    serve,
    close_day,
    bulletin,
    programme,
    scorecard,
    generate,
    demo,
):
    module.register(app)


def main() -> None:
    """Console entry point."""
    app()
