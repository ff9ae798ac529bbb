"""Dependencies of the routes, as aliases that read like prose (``session: SessionDep``).

One unit of work per request: the session commits once, before the response is sent, so
an answered request is durable even if the server is killed right after.

Every trip to the thread pool costs CPU and, on a busy worker, waiting for the GIL; the
dependencies here make as few as they can: none for a caller verified a few seconds ago,
one for the commit and close together, and busy routes (issuing tickets) run the service
call and its commit in a single one (``UnitOfWork``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from smartcounter.accounts.models import DeviceToken, User, UserSession
from smartcounter.accounts.roles import Actor, Permission
from smartcounter.accounts.service import (
    actor_of_device,
    actor_of_user,
    resolve_device,
    resolve_session,
)
from smartcounter.accounts.tokens import csrf_token, same, token_hash
from smartcounter.i18n import Lang, Translator, resolve_lang
from smartcounter.lobby.context import LobbyContext, TimedCache
from smartcounter.lobby.database import Database
from smartcounter.lobby.errors import Forbidden, NotAuthenticated
from smartcounter.lobby.present import Presenter
from smartcounter.settings import Settings

SESSION_COOKIE = "sc_session"
DEVICE_COOKIE = "sc_device"
LANG_COOKIE = "sc_lang"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_ID = 2_147_483_647

T = TypeVar("T")


class CsrfFailed(Forbidden):
    key = "lobby.errors.csrf"


def _settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def _context(request: Request) -> LobbyContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, LobbyContext)
    return ctx


async def get_settings(request: Request) -> Settings:
    return _settings(request)


async def get_database(request: Request) -> Database:
    database = request.app.state.database
    assert isinstance(database, Database)
    return database


async def get_context(request: Request) -> LobbyContext:
    return _context(request)


# Dependencies that do no I/O are ``async``: they run in the event loop instead of costing
# a trip through the thread pool each. The ones every request runs (the caller, the
# presenter) read the app's state themselves rather than through other dependencies:
# FastAPI spends a few dozen microseconds on each dependency of each request.
SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
ContextDep = Annotated[LobbyContext, Depends(get_context)]


def _slots(request: Request) -> anyio.Semaphore:
    write = request.method not in SAFE_METHODS
    slots: anyio.Semaphore = (
        request.app.state.write_slots if write else request.app.state.read_slots
    )
    return slots


def _end(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
    finally:
        session.close()  # rolls back whatever was not committed


async def get_session(request: Request, database: DatabaseDep) -> AsyncIterator[Session]:
    """The request's unit of work: committed once if the route succeeds, else rolled back.

    A request waits for a database slot here, in the event loop, before it touches the
    database. Sync routes run in a bounded thread pool: if requests blocked on a lock (the
    day's ticket counter) held every thread, the lock holder would find none free to finish
    and commit. With fewer slots than threads a holder always finds one. SQLite has one
    writer at a time anyway: there a single write slot queues writers fairly, instead of
    leaving them to SQLite's busy-wait.
    """
    async with _slots(request):
        session = database.new_session(write=request.method not in SAFE_METHODS)
        commit = False
        try:
            yield session
            commit = True
        finally:
            # A session that never touched the database has nothing to commit or roll
            # back: no trip to the thread pool for it.
            if session.in_transaction():
                await run_in_threadpool(_end, session, commit)
            else:
                session.close()


# scope="function": commit before the response goes out, not after it.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class UnitOfWork:
    """Runs a service call and its commit together, in one trip to the thread pool.

    A sync route with ``SessionDep`` commits after it returns, in a second trip: when the
    worker is busy that trip waits its turn while the transaction holds its locks (the
    day's ticket counter). The routes that are called most use this instead.
    """

    database: Database
    slots: anyio.Semaphore
    write: bool

    async def run(self, call: Callable[..., T], /, **arguments: Any) -> T:
        """``call(session=..., **arguments)`` in a unit of work, committed if it returns."""
        async with self.slots:
            return await run_in_threadpool(self._run, call, arguments)

    def _run(self, call: Callable[..., T], arguments: dict[str, Any]) -> T:
        with self.database.unit_of_work(write=self.write) as session:
            return call(session=session, **arguments)


async def get_unit_of_work(request: Request) -> UnitOfWork:
    return UnitOfWork(
        request.app.state.database, _slots(request), write=request.method not in SAFE_METHODS
    )


UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]


@dataclass(frozen=True)
class Caller:
    """Who called, and how: the cookie token (for CSRF) or none for bearer tokens."""

    actor: Actor
    user: User | None
    cookie_token: str | None
    expires_at: datetime | None = None  # when a login session ends


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def identify(request: Request, session: Session, ctx: LobbyContext) -> Caller | None:
    """The caller of a request, from a bearer device token, a login cookie or a device cookie."""
    bearer = _bearer(request)
    if bearer is not None:
        device = resolve_device(session=session, token=bearer)
        if device is None:
            return None
        return Caller(actor_of_device(device), None, None)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = resolve_session(session=session, token=token, now=ctx.now())
        if found is not None:
            record, user = found
            return Caller(actor_of_user(user), user, token, record.expires_at)
    device_token = request.cookies.get(DEVICE_COOKIE)
    if device_token:
        device = resolve_device(session=session, token=device_token)
        if device is not None:
            return Caller(actor_of_device(device), None, device_token)
    return None


class CredentialCache:
    """Callers verified in the last few seconds, by the credentials they sent.

    A kiosk sends the same token with every ticket: looking it up each time cost a query
    and a trip to the thread pool. A commit in this worker that changes users, logins or
    devices (a logout, a revoked token) empties the cache at once; another worker's
    change is seen here within ``seconds`` (or as long as one lookup takes on top, while
    the other requests keep the copy being refreshed).
    """

    WATCHED = (User, UserSession, DeviceToken)

    def __init__(self, seconds: float) -> None:
        self._callers = TimedCache(seconds)

    @staticmethod
    def key(request: Request) -> str | None:
        """What identifies the credentials of a request; None when it sent none."""
        parts = (
            _bearer(request) or "",
            request.cookies.get(SESSION_COOKIE) or "",
            request.cookies.get(DEVICE_COOKIE) or "",
        )
        # One hash of the three: a small key, whatever length of token a client sends.
        return token_hash("\x00".join(parts)) if any(parts) else None

    def get(self, key: str, now: datetime) -> Caller | None:
        """The caller verified under ``key``, if recent and its login not yet ended."""
        found = self._callers.get(key)
        if not isinstance(found, Caller):
            return None
        if found.expires_at is not None and found.expires_at <= now:
            return None
        return found

    def put(self, key: str, caller: Caller) -> None:
        """Remember a caller just verified."""
        self._callers.put(key, caller)

    def forget(self, key: str) -> None:
        """Forget the caller under ``key``: its credentials no longer work."""
        self._callers.forget(key)

    def clear(self) -> None:
        """Forget every caller: credentials changed."""
        self._callers.clear()


def _identify_now(database: Database, request: Request, ctx: LobbyContext) -> Caller | None:
    with database.unit_of_work(write=False) as session:
        return identify(request, session, ctx)


async def get_caller(request: Request) -> Caller:
    """The authenticated caller; 401 without one, 403 on a cookie request without CSRF token."""
    ctx = _context(request)
    credentials: CredentialCache = request.app.state.credentials
    key = credentials.key(request)
    if key is None:
        raise NotAuthenticated()
    caller = credentials.get(key, ctx.now())
    if caller is None:
        # Slots of their own: the request may already hold a read or write slot for its
        # session, and waiting for another of the same would deadlock once all are held.
        async with request.app.state.caller_slots:
            caller = await run_in_threadpool(
                _identify_now, request.app.state.database, request, ctx
            )
        if caller is None:
            credentials.forget(key)  # no stale copy for the others either
            raise NotAuthenticated()
        credentials.put(key, caller)
    if caller.cookie_token is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        secret = _settings(request).secret_key
        if not sent or not same(sent, csrf_token(secret, caller.cookie_token)):
            raise CsrfFailed()
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_actor(caller: CallerDep) -> Actor:
    return caller.actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


def get_current_user(caller: CallerDep, session: SessionDep) -> User:
    """The logged-in user, read in the request's own session (so that changes are saved)."""
    if caller.user is None:
        raise Forbidden()
    user = session.get(User, caller.user.id)
    if user is None:
        raise NotAuthenticated()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


class Require:
    """A dependency granting the route only to actors holding ``permission`` in the branch.

    The branch is the route's ``{branch_id}``; routes without one need the permission
    across all branches. Tests walk the route table for these to check access.
    """

    def __init__(self, permission: Permission, *, everywhere: bool = False) -> None:
        self.permission = permission
        self.everywhere = everywhere

    async def __call__(self, request: Request, caller: CallerDep) -> Actor:
        actor = caller.actor
        branch_id = request.path_params.get("branch_id")
        if self.everywhere and not actor.can(Permission.ALL_BRANCHES):
            raise Forbidden(permission=Permission.ALL_BRANCHES.value)
        if not actor.can(self.permission, branch_id if isinstance(branch_id, str) else None):
            raise Forbidden(permission=self.permission.value)
        return actor


BoardViewer = Annotated[Actor, Depends(Require(Permission.BOARD))]
Viewer = Annotated[Actor, Depends(Require(Permission.VIEW))]
Issuer = Annotated[Actor, Depends(Require(Permission.ISSUE))]
Referrer = Annotated[Actor, Depends(Require(Permission.REFER))]
Server = Annotated[Actor, Depends(Require(Permission.SERVE))]
Authoriser = Annotated[Actor, Depends(Require(Permission.AUTHORISE))]
TerminalKeeper = Annotated[Actor, Depends(Require(Permission.TERMINAL))]
SetupEditor = Annotated[Actor, Depends(Require(Permission.SETUP))]
DayCloser = Annotated[Actor, Depends(Require(Permission.CLOSE_DAY))]
Auditor = Annotated[Actor, Depends(Require(Permission.AUDIT))]
UserManager = Annotated[Actor, Depends(Require(Permission.USERS))]
DeviceManager = Annotated[Actor, Depends(Require(Permission.DEVICES))]
NetworkAdmin = Annotated[Actor, Depends(Require(Permission.SETUP, everywhere=True))]


async def triage_dependency(request: Request, actor: CurrentActor) -> Actor:
    """Any triage stage: the stage itself is checked by the service."""
    branch_id = request.path_params.get("branch_id")
    stages = (Permission.TRIAGE_1, Permission.TRIAGE_2, Permission.TRIAGE_3)
    if not any(actor.can(p, branch_id if isinstance(branch_id, str) else None) for p in stages):
        raise Forbidden(permission="triage")
    return actor


Triager = Annotated[Actor, Depends(triage_dependency)]

BranchId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f/\x7f]+$", description="Branch id")
]
TicketId = Annotated[int, Path(ge=1, le=MAX_ID)]
PointId = Annotated[int, Path(ge=1, le=MAX_ID)]
AuthorisationId = Annotated[int, Path(ge=1, le=MAX_ID)]
DeviceId = Annotated[int, Path(ge=1, le=MAX_ID)]
StaffIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]


def _lang(request: Request, settings: Settings) -> Lang:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return resolve_lang(asked or settings.lang)


async def get_lang(request: Request, settings: SettingsDep) -> Lang:
    """The language of the response: ``?lang=``, then the language cookie, then the settings."""
    return _lang(request, settings)


LangDep = Annotated[Lang, Depends(get_lang)]


async def get_translator(lang: LangDep) -> Translator:
    return Translator(lang)


TranslatorDep = Annotated[Translator, Depends(get_translator)]


async def get_presenter(request: Request) -> Presenter:
    return Presenter(_context(request), Translator(_lang(request, _settings(request))))


PresenterDep = Annotated[Presenter, Depends(get_presenter)]
