"""``smartcounter bulletin --week W [--out DIR] [--lang zh|en] [--region R]`` (cli.md),
computed by the settings' engine or ``--engine duckdb|spark [--spark-master URL]``.

The bulletin's writers (HTML, Excel, PDF) and the engines load when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smartcounter.cli.context import (
    AppState,
    EngineOption,
    SparkMasterOption,
    StoreOption,
    fail,
    state_of,
    week_of,
    with_engine,
    with_store,
)
from smartcounter.i18n import Translator, parse_lang, resolve_lang

if TYPE_CHECKING:
    from smartcounter.store.layout import Store


def register(app: typer.Typer) -> None:
    """Add the ``bulletin`` command to the application."""
    app.command("bulletin")(bulletin)


def bulletin(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(
            "--week",
            help="ISO week, e.g. 2018-W10, or last (default: the latest week that has ended).",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the bulletin's files into (created).")
    ] = Path(),
    lang: Annotated[str | None, typer.Option("--lang", help="zh (default) or en.")] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Only the branches of this region.")
    ] = None,
    branch: Annotated[
        list[str] | None,
        typer.Option(
            "--branch",
            help="Also write this branch's page as a document of its own "
            "(DIR/branches/<id>.html and .pdf); repeat it, separate ids by commas, or give "
            "'all' for every branch.",
        ),
    ] = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """生成每周通报（HTML、Excel、PDF）。Write the weekly bulletin as HTML, Excel and PDF."""
    from smartcounter.bulletin import (
        BulletinError,
        NoDataError,
        UnknownBranchError,
        build_bulletin,
    )
    from smartcounter.bulletin.formats import Formats
    from smartcounter.bulletin.pdf import FontMissingError

    state = with_engine(with_store(state_of(ctx), store), engine, spark_master)
    language = resolve_lang(lang) if lang else state.lang
    if lang and parse_lang(lang) is None:
        fail(state.t("app.lang_choice", option="--lang", value=lang))
    if out.exists() and not out.is_dir():
        fail(Translator(language)("bulletin.error.out_not_folder", path=str(out)))
    opened = state.open_store()
    chosen = week_of(state, week) if week is not None else _default_week(state, opened)
    if chosen is None:
        fail(Translator(language)("bulletin.error.empty_store", path=str(state.settings.store)))
    try:
        paths = build_bulletin(
            opened, state.settings, chosen, out, language, region, branches=_ids(branch)
        )
    except BulletinError as exc:
        params = dict(exc.params)
        if "week" in params:
            params["week"] = Formats(language).week(params["week"])
        if "region" in params and isinstance(exc, NoDataError | UnknownBranchError):
            params["region"] = f" · {params['region']}" if params["region"] else ""
        fail(Translator(language)(exc.key, **params))
    except FontMissingError as exc:
        fail(Translator(language)("bulletin.error.font_missing", detail=str(exc)))
    except OSError as exc:  # the folder cannot be made or written (permissions, disk full)
        if not _within(exc.filename, out):
            raise
        detail = exc.strerror or str(exc)
        fail(Translator(language)("bulletin.error.out_unwritable", path=str(out), detail=detail))
    for path in paths.written():
        print(path)


def _within(filename: object, folder: Path) -> bool:
    """True when ``filename`` (an OSError's) is ``folder`` or lies in it."""
    if not isinstance(filename, str | Path):
        return False
    path, top = Path(filename).absolute(), folder.absolute()
    return path == top or top in path.parents


def _ids(values: list[str] | None) -> list[str]:
    """The branch ids of ``--branch`` (repeated, or separated by commas)."""
    return [i.strip() for v in values or () for i in v.split(",") if i.strip()]


def _default_week(state: AppState, opened: Store) -> str | None:
    """Without ``--week``: as ``--week last``, the latest week that has ended (None: the
    store holds no week at all). A week still under way is never the default: its
    bulletin would compare a few days with a whole week."""
    from smartcounter.store.weeks import latest_week

    return week_of(state, "last") if latest_week(opened) is not None else None
