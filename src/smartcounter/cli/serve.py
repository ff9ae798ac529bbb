"""``smartcounter serve [--host H] [--port P] [--workers N]``: the web application."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smartcounter.cli.context import AppState, StoreOption, state_of, with_store

if TYPE_CHECKING:
    from smartcounter.settings import Settings
    from smartcounter.store.layout import Store


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def _warm(store: Store, settings: Settings, state: AppState) -> None:
    """Work the latest week's dashboard figures out before the first page is asked for
    (kept in the store folder for every worker; nothing to do when they are kept already)."""
    from smartcounter.dashboards.service import warm_dashboards

    print(state.t("lobby.cli.warming"), flush=True)
    try:
        warm_dashboards(store, settings)
    except Exception as exc:  # a page works its figures out itself then
        print(f"{state.t('lobby.cli.warming')} {exc}", file=sys.stderr, flush=True)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
    store: Annotated[Path | None, StoreOption] = None,
) -> None:
    """启动厅堂服务与网页。Run the lobby service and its pages."""
    import uvicorn

    from smartcounter.accounts.roles import system_actor
    from smartcounter.lobby.context import build_context
    from smartcounter.lobby.database import database_url, open_database
    from smartcounter.lobby.setup import load_from_store
    from smartcounter.store.layout import Store, StoreNotFoundError
    from smartcounter.web.app import effective_secret

    state = with_store(state_of(ctx), store)
    settings = effective_secret(state.settings)
    # Migrate once here, not in each worker, so that workers never race on the schema.
    database = open_database(settings)
    try:
        analytics = Store.open(settings.store)
    except StoreNotFoundError:
        analytics = None
    if analytics is not None:
        with database.unit_of_work() as session:
            load_from_store(
                session=session,
                ctx=build_context(settings),
                actor=system_actor("serve"),
                store=analytics,
            )
    database.dispose()
    if analytics is not None:
        _warm(analytics, state.settings, state)
    # Workers build their settings from the environment.
    os.environ["SMARTCOUNTER_STORE"] = str(settings.store)
    os.environ["SMARTCOUNTER_LANG"] = state.lang.value
    if settings.database_url:
        os.environ["SMARTCOUNTER_DATABASE_URL"] = settings.database_url
    url = database_url(settings)
    shown = url.split("@")[-1] if "@" in url else url
    print(
        state.t("lobby.cli.serving", host=host, port=port, workers=workers, database=shown),
        flush=True,
    )
    uvicorn.run(
        "smartcounter.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        timeout_graceful_shutdown=5,
        # Kiosks and tablets reuse their connections; a short keep-alive makes the server
        # close one just as the client sends on it.
        timeout_keep_alive=30,
    )
