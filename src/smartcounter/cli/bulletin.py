"""``smartcounter bulletin --week W [--out DIR] [--lang zh|en] [--region R]`` (cli.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smartcounter.bulletin import BulletinError, NoDataError, build_bulletin, latest_week
from smartcounter.bulletin.formats import Formats
from smartcounter.bulletin.pdf import FontMissingError
from smartcounter.cli.context import StoreOption, fail, state_of, with_store
from smartcounter.i18n import Translator, resolve_lang
from smartcounter.metrics.period import PeriodError, parse_week


def register(app: typer.Typer) -> None:
    """Add the ``bulletin`` command to the application."""
    app.command("bulletin")(bulletin)


def bulletin(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(
            "--week", help="ISO week, e.g. 2018-W10 (default: the latest week in the store)."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the three files into (created).")
    ] = Path(),
    lang: Annotated[str | None, typer.Option("--lang", help="zh (default) or en.")] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Only the branches of this region.")
    ] = None,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """生成每周通报（HTML、Excel、PDF）。Write the weekly bulletin as HTML, Excel and PDF."""
    state = with_store(state_of(ctx), store)
    language = resolve_lang(lang) if lang else state.lang
    if lang and lang.strip().lower()[:2] not in ("zh", "en"):
        fail("--lang: zh or en")
    opened = state.open_store()
    chosen = week or latest_week(opened)
    if chosen is None:
        fail(Translator(language)("bulletin.error.empty_store", path=str(state.settings.store)))
    try:
        parse_week(chosen)
    except PeriodError as exc:
        fail(str(exc))
    try:
        paths = build_bulletin(opened, state.settings, chosen, out, language, region)
    except BulletinError as exc:
        params = dict(exc.params)
        if "week" in params:
            params["week"] = Formats(language).week(params["week"])
        if "region" in params and isinstance(exc, NoDataError):
            params["region"] = f" · {params['region']}" if params["region"] else ""
        fail(Translator(language)(exc.key, **params))
    except FontMissingError as exc:
        fail(Translator(language)("bulletin.error.font_missing", detail=str(exc)))
    for path in paths.written():
        print(path)
