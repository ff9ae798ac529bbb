"""The FastAPI application factory: ``create_app(settings)``; ``serve`` runs it with uvicorn."""

from __future__ import annotations

import gc
import os
import secrets
from importlib import metadata, resources
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartcounter.lobby.context import Clock, build_context
from smartcounter.lobby.database import Database, is_sqlite, open_database
from smartcounter.settings import Settings, load_settings
from smartcounter.web import pages
from smartcounter.web.deps import CredentialCache
from smartcounter.web.errors import install_error_handlers
from smartcounter.web.routes import (
    admin,
    auth,
    calls,
    dashboards,
    lobby,
    publishing,
    setup,
    tickets,
    users,
)

DEFAULT_SECRET = "change-me"
SECRET_FILE = "lobby.secret"

# Everything comes from this server: no CDN, no external fonts, no inline scripts.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
STATIC_PREFIX = "/static/"


class SecurityHeaders:
    """Add the security headers to every HTTP response.

    Anything but the static files may hold customer data (numbers, names, card digits):
    ``Cache-Control: no-store`` keeps it out of browser and proxy caches. Served over
    HTTPS (``[lobby] https``), responses also tell browsers to use nothing else (HSTS).
    """

    def __init__(self, app: ASGIApp, *, hsts_seconds: int | None = None) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts_seconds is not None:
            self.headers.append((b"strict-transport-security", f"max-age={hsts_seconds}".encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not static:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers += NO_STORE
                message["headers"] = headers + self.headers
            await send(message)

        await self.app(scope, receive, sending)


def effective_secret(settings: Settings) -> Settings:
    """The settings with a real secret: the default one is replaced by one kept in the store folder.

    Every worker reads the same file, so a CSRF token made by one is good at another.
    """
    if settings.secret_key != DEFAULT_SECRET:
        return settings
    path = Path(settings.store) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
    secret = path.read_text("utf-8").strip()
    return settings.model_copy(update={"secret_key": secret})


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    migrate_now: bool = True,
) -> FastAPI:
    """The web application over the lobby database of ``settings``."""
    settings = effective_secret(settings or load_settings())
    database = database or open_database(settings, migrate_now=migrate_now)
    app = FastAPI(
        title="smartcounter lobby service",
        version=metadata.version("smartcounter"),
        description="智能柜台厅堂服务 API: tickets, three-round triage, serving, authorisations, close of day.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.database = database
    app.state.ctx = build_context(settings, clock=clock)
    slots = settings.lobby.database_slots
    app.state.read_slots = anyio.Semaphore(slots)
    app.state.write_slots = anyio.Semaphore(1 if is_sqlite(database.engine) else slots)
    # Looking up who calls happens while a request may hold one of the slots above.
    app.state.caller_slots = anyio.Semaphore(slots)
    app.state.credentials = CredentialCache(settings.lobby.credential_cache_seconds)
    database.on_commit_changing(CredentialCache.WATCHED, app.state.credentials.clear)
    install_error_handlers(app)
    # Tickets first: routes are matched in order, and issuing tickets is the hot path.
    for module in (tickets, auth, setup, lobby, calls, admin, dashboards, users, publishing):
        app.include_router(module.router)
    app.include_router(pages.router)
    static = resources.files("smartcounter.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.add_middleware(
        SecurityHeaders, hsts_seconds=settings.lobby.hsts_seconds if settings.lobby.https else None
    )
    return app


def _prepare_worker(settings: Settings) -> None:
    """Before a worker takes its first request: compile the page templates and read this
    week's dashboard figures into memory (kept in the store folder by ``serve``), so that
    no director's page waits for what every page needs."""
    import logging

    from smartcounter.dashboards.service import warm_dashboards
    from smartcounter.store.layout import Store, StoreNotFoundError

    for name in pages.templates.env.list_templates(extensions=["html"]):
        pages.templates.env.get_template(name)
    try:
        warm_dashboards(Store.open(settings.store), settings)
    except StoreNotFoundError:
        pass
    except Exception:  # a page works its figures out itself then
        logging.getLogger(__name__).exception("reading this week's figures failed")


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory``: settings from the environment (``SMARTCOUNTER_*``)."""
    app = create_app(load_settings(), migrate_now=False)
    _prepare_worker(app.state.settings)
    # Everything loaded so far (modules, the catalogue, the app) lives as long as the
    # worker: keep it out of the garbage collector's full passes, which would otherwise
    # walk its 200,000-odd objects (about 0.1 s, a stall every request waits out).
    gc.freeze()
    return app
