"""The ``smartcounter`` command: ``smartcounter [--store DIR] COMMAND ...`` (cli.md).

Each command module is imported only when its command runs: ``ingest`` should not pay
for loading the PDF writer, SciPy or the web stack before it reads a byte.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from smartcounter.cli.lean import as_usual, start_lean
from smartcounter.cli.leave import leave

# Command name → the module whose ``register(app)`` defines it, and the line ``--help``
# lists it with (so that listing the commands imports none of them).
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("ingest", "导入标准格式的 CSV 文件或文件夹。Import canonical CSV files or folders."),
    "rates": ("figures", "迁移率（按维度分组）。Migration rates grouped by KEYS."),
    "visit-rates": ("figures", "按客户（取号）计的迁移率。Visit-based migration rate."),
    "tickets": ("figures", "日均取号客户数。Daily tickets."),
    "unmigrated": ("figures", "未迁业务帕累托分析。Un-migrated business as a Pareto."),
    "funnel": ("figures", "三次分流漏斗。The triage funnel, decline reasons, triage depth."),
    "ranking": ("figures", "网点排名与判断。Branch ranking with intervals and status."),
    "wow": ("figures", "周环比（百分点）。Week-over-week change in percentage points."),
    "bulletin": ("bulletin", "生成每周通报。Write the weekly bulletin (HTML, Excel, PDF, JSON)."),
    "benchmarks": ("programme", "树典型：各类网点的标杆。Benchmarks per peer group."),
    "pairs": ("programme", "结对子：重点帮扶网点与标杆、先进网点结对。Pairs."),
    "diagnose": ("programme", "会诊：结对差距分解与改进措施。Diagnose each pair's gap."),
    "progress": ("programme", "结对进展：每周差距。Each pair's gap week by week."),
    "scorecard": ("scorecard", "员工 BSC 考核。Staff scorecards (BSC) per quarter."),
    "simulate": ("simulate", "厅堂模拟：假设分析。Simulate a branch's lobby: what-ifs."),
    "generate": ("generate", "生成合成网点网络。Generate a synthetic branch network."),
    "demo": ("demo", "演示：生成、导入、通报。Make a demo network, import it, show its bulletin."),
    "serve": ("serve", "启动厅堂服务与网页。Run the lobby service and its pages."),
    "close-day": ("close_day", "日终：当日数据导入数据存储。Close the day into the store."),
    "users": ("users", "账号管理。Accounts of the lobby service."),
    "publish": ("publish", "发布通报：审阅稿、邮件、群通知。Publish the weekly bulletin."),
    "store": ("store", "数据存储维护（整理分区）。Store upkeep: compact partitions."),
}


def _speak(error: Exception, args: tuple[str, ...]) -> None:
    """Have a usage error of the parser shown in the user's language (others: untouched)."""
    from smartcounter.cli.usage import is_usage_error, speak  # on an error only

    if is_usage_error(error):
        speak(error, args)


# The options that show a command's help (click's ``help_option_names``).
HELP = ("-h", "--help")


def _asks_help(args: tuple[str, ...]) -> bool:
    """Whether the command line asks for a help page."""
    return any(arg in HELP for arg in args)


def _help_in_language(command: Any, args: tuple[str, ...]) -> None:
    """Put ``command``'s option help in the language of the run (cli/help_text.py)."""
    from smartcounter.cli.help_text import in_language
    from smartcounter.cli.usage import usage_lang

    in_language(command, usage_lang(args))


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


# Commands that run one query and print its rows: they stay lean to the end (cli/lean.py),
# unless they open Spark (cli/context.py ``metrics_for``).
SHORT = frozenset({"rates", "visit-rates", "tickets", "unmigrated", "funnel", "ranking", "wow"})


def _as_usual_from(callback: Callable[..., Any]) -> Callable[..., Any]:
    """``callback``, run as Python usually runs a process (``lean.as_usual``)."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        as_usual()
        return callback(*args, **kwargs)

    return run


def _as_usual_in(command: Any) -> None:
    """Have ``command`` and, for a group, each of its subcommands run as usual."""
    if command.callback is not None:
        command.callback = _as_usual_from(command.callback)
    for sub in getattr(command, "commands", {}).values():
        _as_usual_in(sub)


class LazyCommands(TyperGroup):
    """A command group that imports a command's module when the command is asked for,
    and has usage errors shown in the user's language (cli/usage.py)."""

    _args: tuple[str, ...] = ()

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        self._args = tuple(args)
        if _asks_help(self._args) or not self._args:
            _help_in_language(self, self._args)  # the root's own page may be shown
        try:
            return super().make_context(info_name, args, parent, **extra)
        except Exception as error:
            _speak(error, self._args)
            raise

    def invoke(self, ctx: Any) -> Any:
        from smartcounter.errors import SmartCounterError  # light: no data library

        try:
            return super().invoke(ctx)
        except SmartCounterError as error:
            # Refused by the domain (Spark unreachable, …) where no command said it itself:
            # the same translated message the web pages give, and status 2.
            from smartcounter.cli.context import AppState, fail
            from smartcounter.cli.usage import usage_lang
            from smartcounter.i18n import Translator

            t = ctx.obj.t if isinstance(ctx.obj, AppState) else Translator(usage_lang(self._args))
            fail(t(error.key, **error.params))
        except Exception as error:
            _speak(error, self._args)
            raise

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command = _module_group(entry[0]).get_command(ctx, cmd_name)
        if command is not None and cmd_name not in SHORT:
            _as_usual_in(command)
        if command is not None and self._shows_help(cmd_name, command):
            _help_in_language(command, self._args)
        return command

    def _shows_help(self, cmd_name: str, command: Any) -> bool:
        """True when this run shows ``command``'s help: asked for, or a group given no
        subcommand."""
        if _asks_help(self._args):
            return True
        if not getattr(command, "commands", None) or cmd_name not in self._args:
            return False
        return not self._args[self._args.index(cmd_name) + 1 :]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # The listing from the table above: ``--help`` loads no command and no data library.
        from smartcounter.cli.help_text import one_language
        from smartcounter.cli.usage import usage_lang

        lang = usage_lang(self._args)
        with formatter.section("Commands"):
            formatter.write_dl(
                [(name, one_language(summary, lang)) for name, (_, summary) in COMMANDS.items()]
            )


app = typer.Typer(
    name="smartcounter",
    cls=LazyCommands,
    help="智能柜台迁移：导入、指标、每周通报、标杆与结对、考核、厅堂服务。 "
    "Smart-counter migration: import, metrics, weekly bulletin, benchmarks and pairs, "
    "scorecards, lobby service.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": list(HELP)},
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
    from smartcounter.cli.context import build_state  # settings and data libraries: on use

    if lang is not None:
        _check_lang(ctx, lang)

    ctx.obj = build_state(store, lang)


def _check_lang(ctx: typer.Context, lang: str) -> None:
    """Stop with status 2 when ``--lang`` (or SMARTCOUNTER_LANG) names no language we speak."""
    from smartcounter.cli.context import fail
    from smartcounter.i18n import Translator, parse_lang

    if parse_lang(lang) is None:
        source = getattr(ctx.get_parameter_source("lang"), "name", None)
        from_env = source == "ENVIRONMENT"
        option = "SMARTCOUNTER_LANG" if from_env else "--lang"
        fail(Translator()("app.lang_choice", option=option, value=lang))


def main(prog_name: str | None = None) -> None:
    """Console entry point: a lean start (cli/lean.py), the command, then the process ends
    at once (cli/leave.py)."""
    start_lean()
    try:
        app(prog_name=prog_name)
    except SystemExit as exc:
        leave(exc.code)
    leave(None)
