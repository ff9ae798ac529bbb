"""What every command shares: the settings, the language, how to open the store, exit codes."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import NoReturn

import typer

from smartcounter.i18n import Lang, Translator, resolve_lang
from smartcounter.metrics.period import PeriodError, parse_week
from smartcounter.settings import ConfigError, Settings, load_settings
from smartcounter.store.layout import Store, StoreError, StoreNotFoundError


class Exit(IntEnum):
    """Exit statuses of the stable command-line surface (cli.md)."""

    OK = 0
    USAGE = 2
    PARTIAL = 3


@dataclass
class AppState:
    """Built once by the root command and handed to each subcommand."""

    settings: Settings
    lang: Lang

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    def open_store(self) -> Store:
        """Open the configured store, or stop with exit status 2 and a clear message."""
        try:
            return Store.open(self.settings.store)
        except StoreNotFoundError:
            fail(self.t("app.store_missing", path=str(self.settings.store)))
        except StoreError as exc:
            fail(self.t("app.store_error", detail=str(exc)))


def build_state(store: Path | None, lang: str | None) -> AppState:
    """Settings from defaults, config file, environment and these options."""
    try:
        settings = load_settings(store=store, lang=resolve_lang(lang).value if lang else None)
    except ConfigError as exc:
        fail(Translator(resolve_lang(lang))("app.config_error", detail=str(exc)))
    return AppState(settings=settings, lang=resolve_lang(lang or settings.lang))


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
    try:
        parse_week(week)
    except PeriodError as exc:
        fail(t(exc.key, **exc.params))
    return week


StoreOption = typer.Option(
    "--store",
    envvar="SMARTCOUNTER_STORE",
    help="Data store folder; same as the global --store.",
)


def with_spark_master(state: AppState, master: str | None) -> AppState:
    """The state with a command-level ``--spark-master`` (Spark's URL) taking precedence."""
    if master is None:
        return state
    spark = state.settings.spark.model_copy(update={"master": master})
    return AppState(settings=state.settings.model_copy(update={"spark": spark}), lang=state.lang)


def with_store(state: AppState, store: Path | None) -> AppState:
    """The state with a command-level ``--store`` taking precedence."""
    if store is None:
        return state
    return AppState(settings=state.settings.model_copy(update={"store": store}), lang=state.lang)
