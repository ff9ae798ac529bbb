"""What every command shares: the settings, the language, how to open the store and the
engine, exit codes.

Light on purpose: every command imports this module, and its ``--help`` should load no
data library. The settings (pydantic), the store (Arrow, Polars) and the metrics engines
are imported where they are first used.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from smartcounter.cli.lean import as_usual
from smartcounter.i18n import Lang, Translator, resolve_lang

if TYPE_CHECKING:
    from smartcounter.metrics import Metrics
    from smartcounter.settings import ConfigProblem, Settings
    from smartcounter.store.layout import Store


class Exit(IntEnum):
    """Exit statuses of the stable command-line surface (cli.md)."""

    OK = 0
    USAGE = 2
    PARTIAL = 3


class AppState:
    """Built once by the root command and handed to each subcommand.

    The settings are read when a command first asks for them (or for the language, when
    ``--lang`` does not name it): a subcommand's ``--help`` reads no configuration and
    loads no settings library.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        lang: Lang | None = None,
        *,
        options: tuple[Path | None, str | None] = (None, None),
    ) -> None:
        self._settings = settings
        self._options = options
        given = options[1]
        self._lang = lang if lang is not None else (resolve_lang(given) if given else None)

    @property
    def options(self) -> tuple[Path | None, str | None]:
        """``--store`` and ``--lang`` as given (None: not given)."""
        return self._options

    @property
    def store_given(self) -> Path | None:
        """The store named by ``--store`` or ``SMARTCOUNTER_STORE`` (None: the default one)."""
        return self._options[0]

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = _load(*self._options)
        return self._settings

    @property
    def lang(self) -> Lang:
        if self._lang is None:
            self._lang = resolve_lang(self.settings.lang)
        return self._lang

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    def open_store(self) -> Store:
        """Open the configured store, or stop with exit status 2 and a clear message."""
        from smartcounter.store.layout import Store, StoreError, StoreNotFoundError

        try:
            return Store.open(self.settings.store)
        except StoreNotFoundError:
            fail(self.t("app.store_missing", path=str(self.settings.store)))
        except StoreError as exc:
            fail(self.t("app.store_error", detail=str(exc)))


def _load(store: Path | None, lang: str | None) -> Settings:
    """Settings from defaults, config file, environment and these options."""
    from smartcounter.settings import ConfigError, load_settings

    try:
        return load_settings(store=store, lang=resolve_lang(lang).value if lang else None)
    except ConfigError as exc:
        t = Translator(resolve_lang(lang))
        said = [_problem(t, p) for p in exc.problems]
        detail = t("app.problem_sep").join(said) if said else str(exc)
        fail(t("app.config_error", detail=detail))


def _problem(t: Translator, problem: ConfigProblem) -> str:
    """One unusable setting, where it was given and what is wrong, in the user's language."""
    from smartcounter.i18n.problems import problem_said

    said = problem_said(t, problem.kind, dict(problem.context), problem.detail)
    return t("app.config_problem_at", where=problem.where, problem=said)


def build_state(store: Path | None, lang: str | None) -> AppState:
    """The state of one run of the command line: ``--store`` and ``--lang`` over the
    settings (read on first use)."""
    return AppState(options=(store, lang))


def state_of(ctx: typer.Context) -> AppState:
    """The AppState of the running command line."""
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


def fail(message: str, code: int = Exit.USAGE) -> NoReturn:
    """Print ``message`` on standard error and exit with ``code``."""
    print(message, file=sys.stderr)
    raise typer.Exit(code)


def checked_week(t: Translator, week: str) -> str:
    """``week`` if it is an ISO week (``2018-W10``); else stop with status 2, in words."""
    from smartcounter.metrics.period import PeriodError, parse_week

    try:
        parse_week(week)
    except PeriodError as exc:
        fail(t(exc.key, **exc.params))
    return week


def week_of(state: AppState, week: str, *, held: bool = False) -> str:
    """``--week``: an ISO week (``2018-W10``), or ``last``, the latest week of the store
    that has ended (the settings' time zone); else stop with status 2, in words.

    ``held``: the week must be one the store holds business of (a judgement of a week
    without any is no judgement).
    """
    if week.strip().lower() != "last":
        chosen = checked_week(state.t, week.strip())
        if held:
            _held(state, chosen)
        return chosen
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from smartcounter.store.weeks import last_complete_week

    today = datetime.now(ZoneInfo(state.settings.timezone)).date()
    last = last_complete_week(state.open_store(), today)
    if last is None:
        fail(state.t("app.no_complete_week", today=today.isoformat()))
    # Said on standard error, so that a script's CSV or JSON stays as it was.
    print(state.t("app.week_last_is", week=last), file=sys.stderr)
    return last


def _held(state: AppState, week: str) -> None:
    """Stop with status 2 unless the store holds business of ``week``."""
    from smartcounter.canonical.tables import TABLES_BY_NAME

    weeks = state.open_store().weeks(TABLES_BY_NAME["transactions"])
    if week not in weeks:
        if not weeks:
            fail(state.t("app.no_week_data_empty", week=week))
        fail(state.t("app.no_week_data", week=week, first=weeks[0], last=weeks[-1]))


def known_branch(state: AppState, branch: str) -> str:
    """``branch`` if the store's branches hold it; else stop with status 2, in words."""
    from smartcounter.store.reading import read_table

    ids = read_table(state.open_store(), "branches").get_column("branch_id").to_list()
    if branch not in ids:
        fail(state.t("app.unknown_branch", branch=branch))
    return branch


def _given_here(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    """A command's own ``--store`` counts only when written after the command: read from
    SMARTCOUNTER_STORE, it would override a ``--store`` written before the command (the
    global option reads the variable too, and yields to its own ``--store``)."""
    source = ctx.get_parameter_source(param.name or "store")
    return None if getattr(source, "name", None) == "ENVIRONMENT" else value


StoreOption = typer.Option(
    "--store",
    envvar="SMARTCOUNTER_STORE",
    help="Data store folder; same as the global --store.",
    callback=_given_here,
)


class EngineName(StrEnum):
    """Which engine computes the figures."""

    DUCKDB = "duckdb"
    SPARK = "spark"


EngineOption = Annotated[
    EngineName | None,
    typer.Option("--engine", help="duckdb or spark (default: the settings' engine, duckdb)."),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark's master URL: local[*], spark://HOST:PORT, yarn, k8s://... "
        "(default: [spark] master of the settings). Implies --engine spark unless "
        "--engine is given.",
    ),
]


def with_engine(state: AppState, engine: EngineName | None, master: str | None) -> AppState:
    """The state with a command's ``--engine`` and ``--spark-master`` taking precedence over
    the settings (``engine``, ``[spark] master``); a master alone means Spark."""
    if engine is None and master is None:
        return state
    update: dict[str, object] = {}
    if engine is not None:
        update["engine"] = engine.value
    elif master is not None:
        update["engine"] = EngineName.SPARK.value
    if master is not None:
        update["spark"] = state.settings.spark.model_copy(update={"master": master.strip()})
    return AppState(
        settings=state.settings.model_copy(update=update), lang=state.lang, options=state.options
    )


def with_spark_master(state: AppState, master: str | None) -> AppState:
    """The state with a command-level ``--spark-master`` (Spark's URL) taking precedence."""
    return with_engine(state, None, master)


@contextmanager
def metrics_for(state: AppState, engine: EngineName | None = None) -> Iterator[Metrics]:
    """Open the store and the settings' engine (or ``engine``) for one command."""
    from smartcounter.metrics import open_metrics

    store = state.open_store()
    try:
        metrics = open_metrics(store, state.settings, engine.value if engine else None)
    except ImportError:
        fail(state.t("figures.needs_spark"))
    if metrics.engine.name == EngineName.SPARK:
        as_usual()  # Spark's Python objects refer to each other in cycles: collect them
    with metrics:
        yield metrics


def with_store(state: AppState, store: Path | None) -> AppState:
    """The state with a command-level ``--store`` taking precedence."""
    if store is None:
        return state
    return AppState(
        settings=state.settings.model_copy(update={"store": store}),
        lang=state.lang,
        options=(store, state.options[1]),
    )
