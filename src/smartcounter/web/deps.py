"""Dependencies of the routes, as aliases that read like prose (``session: SessionDep``).

One unit of work per request: the session commits once, before the response is sent, so
an answered request is durable even if the server is killed right after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from smartcounter.accounts.models import User
from smartcounter.accounts.roles import Actor, Permission
from smartcounter.accounts.service import (
    actor_of_device,
    actor_of_user,
    resolve_device,
    resolve_session,
)
from smartcounter.accounts.tokens import csrf_token, same
from smartcounter.i18n import Lang, Translator, resolve_lang
from smartcounter.lobby.context import LobbyContext
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


class CsrfFailed(Forbidden):
    key = "lobby.errors.csrf"


async def get_settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


async def get_database(request: Request) -> Database:
    database = request.app.state.database
    assert isinstance(database, Database)
    return database


async def get_context(request: Request) -> LobbyContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, LobbyContext)
    return ctx


# Dependencies that do no I/O are ``async``: they run in the event loop instead of costing
# a trip through the thread pool each.
SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
ContextDep = Annotated[LobbyContext, Depends(get_context)]


async def get_session(request: Request, database: DatabaseDep) -> AsyncIterator[Session]:
    """The request's unit of work: committed once if the route succeeds, else rolled back.

    A request waits for a database slot here, in the event loop, before it touches the
    database. Sync routes run in a bounded thread pool: if requests blocked on a lock (the
    day's ticket counter) held every thread, the lock holder would find none free to finish
    and commit. With fewer slots than threads a holder always finds one. SQLite has one
    writer at a time anyway: there a single write slot queues writers fairly, instead of
    leaving them to SQLite's busy-wait.
    """
    write = request.method not in SAFE_METHODS
    slots: anyio.Semaphore = (
        request.app.state.write_slots if write else request.app.state.read_slots
    )
    async with slots:
        session = database.new_session(write=write)
        try:
            yield session
            await run_in_threadpool(session.commit)
        except BaseException:
            await run_in_threadpool(session.rollback)
            raise
        finally:
            await run_in_threadpool(session.close)


# scope="function": commit before the response goes out, not after it.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Caller:
    """Who called, and how: the cookie token (for CSRF) or none for bearer tokens."""

    actor: Actor
    user: User | None
    cookie_token: str | None


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
            _record, user = found
            return Caller(actor_of_user(user), user, token)
    device_token = request.cookies.get(DEVICE_COOKIE)
    if device_token:
        device = resolve_device(session=session, token=device_token)
        if device is not None:
            return Caller(actor_of_device(device), None, device_token)
    return None


def get_caller(
    request: Request, session: SessionDep, ctx: ContextDep, settings: SettingsDep
) -> Caller:
    """The authenticated caller; 401 without one, 403 on a cookie request without CSRF token."""
    caller = identify(request, session, ctx)
    if caller is None:
        raise NotAuthenticated()
    if caller.cookie_token is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not same(sent, csrf_token(settings.secret_key, caller.cookie_token)):
            raise CsrfFailed()
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_actor(caller: CallerDep) -> Actor:
    return caller.actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


async def get_current_user(caller: CallerDep) -> User:
    if caller.user is None:
        raise Forbidden()
    return caller.user


CurrentUser = Annotated[User, Depends(get_current_user)]


class Require:
    """A dependency granting the route only to actors holding ``permission`` in the branch.

    The branch is the route's ``{branch_id}``; routes without one need the permission
    across all branches. Tests walk the route table for these to check access.
    """

    def __init__(self, permission: Permission, *, everywhere: bool = False) -> None:
        self.permission = permission
        self.everywhere = everywhere

    async def __call__(self, request: Request, actor: CurrentActor) -> Actor:
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


async def get_lang(request: Request, settings: SettingsDep) -> Lang:
    """The language of the response: ``?lang=``, then the language cookie, then the settings."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return resolve_lang(asked or settings.lang)


LangDep = Annotated[Lang, Depends(get_lang)]


async def get_translator(lang: LangDep) -> Translator:
    return Translator(lang)


TranslatorDep = Annotated[Translator, Depends(get_translator)]


async def get_presenter(ctx: ContextDep, t: TranslatorDep) -> Presenter:
    return Presenter(ctx, t)


PresenterDep = Annotated[Presenter, Depends(get_presenter)]
