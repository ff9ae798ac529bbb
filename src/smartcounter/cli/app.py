"""The ``smartcounter`` command: ``smartcounter [--store DIR] COMMAND ...`` (cli.md).

Each command module is imported only when its command runs: ``ingest`` should not pay
for loading the PDF writer, SciPy or the web stack before it reads a byte.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from smartcounter.cli.context import build_state

# Command name → the module whose ``register(app)`` defines it.
COMMANDS: dict[str, str] = {
    "ingest": "ingest",
    "rates": "figures",
    "visit-rates": "figures",
    "tickets": "figures",
    "unmigrated": "figures",
    "funnel": "figures",
    "ranking": "figures",
    "wow": "figures",
    "bulletin": "bulletin",
    "benchmarks": "programme",
    "pairs": "programme",
    "diagnose": "programme",
    "progress": "programme",
    "scorecard": "scorecard",
    "simulate": "simulate",
    "generate": "generate",
    "demo": "demo",
    "serve": "serve",
    "close-day": "close_day",
    "users": "users",
}


def _module_group(module_name: str) -> TyperGroup:
    """The command group of the commands one module registers."""
    module = importlib.import_module(f"smartcounter.cli.{module_name}")
    sub = typer.Typer(rich_markup_mode=None, add_completion=False)
    module.register(sub)

    @sub.callback()
    def _group() -> None:  # pragma: no cover - only makes typer build a group
        """Commands of one module."""

    group = typer.main.get_command(sub)
    assert isinstance(group, TyperGroup)
    return group


class LazyCommands(TyperGroup):
    """A command group that imports a command's module when the command is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        return _module_group(module_name).get_command(ctx, cmd_name)


app = typer.Typer(
    name="smartcounter",
    cls=LazyCommands,
    help="智能柜台迁移：导入、指标、每周通报、标杆与结对、考核、厅堂服务。 "
    "Smart-counter migration: import, metrics, weekly bulletin, benchmarks and pairs, "
    "scorecards, lobby service.",
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


def main() -> None:
    """Console entry point."""
    app()
