"""The accounts pages: directors manage their branch's staff accounts, the centre all of them;
everyone changes their own password.

Plain HTML forms, posted back with the session's CSRF token (as the logout form is) and
answered with a redirect, so they work without the page scripts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from smartcounter.accounts import service as accounts
from smartcounter.accounts.models import User
from smartcounter.accounts.policy import PasswordPolicy
from smartcounter.accounts.roles import DIRECTOR_ASSIGNABLE, Permission, Role
from smartcounter.accounts.schemas import UserCreate
from smartcounter.accounts.tokens import csrf_token, same
from smartcounter.errors import SmartCounterError
from smartcounter.i18n import Lang, Translator
from smartcounter.lobby import repository as lobby_repo
from smartcounter.web.deps import Caller, ContextDep, LangDep, SessionDep, SettingsDep, identify
from smartcounter.web.pages import _render, forbidden_page, login_redirect

router = APIRouter(include_in_schema=False)

UsernamePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Field = Annotated[str, Form(max_length=256)]
DONE = ("created", "disabled", "enabled", "reset", "role")


class _BadFieldError(SmartCounterError):
    """A form field that is not a valid user name, role or staff id."""

    status_code = 422
    key = "accounts.page.bad_field"

    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.__cause__ = exc


class _RefusedError(Exception):
    """A form that cannot be acted on: expired, or a caller who may not manage accounts."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _caller(request: Request, session: Session, ctx: ContextDep) -> Caller:
    caller = identify(request, session, ctx)
    if caller is None or caller.user is None:
        raise _RefusedError(login_redirect(request))
    return caller


def _csrf_ok(caller: Caller, sent: str, secret: str) -> bool:
    return bool(caller.cookie_token) and same(sent, csrf_token(secret, caller.cookie_token or ""))


def _users_page(
    request: Request,
    session: Session,
    caller: Caller,
    lang: Lang,
    settings: SettingsDep,
    ctx: ContextDep,
    *,
    error: str | None = None,
    done: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    actor = caller.actor
    centre = actor.can(Permission.ALL_BRANCHES)
    roles = list(Role) if centre else [r for r in Role if r in DIRECTOR_ASSIGNABLE]
    branches = (
        lobby_repo.list_branches(session)
        if centre
        else [b for b in lobby_repo.list_branches(session) if b.branch_id == actor.branch_id]
    )
    return _render(
        request,
        "users.html",
        lang=lang,
        caller=caller,
        secret=settings.secret_key,
        status_code=status_code,
        page="users",
        accounts=accounts.list_accounts(session=session, actor=actor),
        roles=roles,
        branches=branches,
        centre=centre,
        local=ctx.local,
        error=error,
        done=done,
        form=form or {},
        policy_min=settings.lobby.password_min_length,
    )


@router.get("/users", response_model=None)
def users_page(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The accounts a director (their branch's) or the centre (all) manages."""
    try:
        caller = _caller(request, session, ctx)
    except _RefusedError as refused:
        return refused.response
    if not caller.actor.can(Permission.USERS):
        return forbidden_page(request, caller, lang, settings.secret_key)
    return _users_page(
        request, session, caller, lang, settings, ctx, done=done if done in DONE else None
    )


def _act(
    request: Request,
    session: Session,
    ctx: ContextDep,
    lang: Lang,
    settings: SettingsDep,
    csrf: str,
    change: Callable[[Caller], Any],
    done: str,
    form: dict[str, str] | None = None,
) -> Response:
    """Check the caller and the CSRF token, make ``change``, and go back to the list.

    A refused change is shown on the page, in the caller's language, and nothing of it
    is kept.
    """
    try:
        caller = _caller(request, session, ctx)
    except _RefusedError as refused:
        return refused.response
    if not caller.actor.can(Permission.USERS):
        return forbidden_page(request, caller, lang, settings.secret_key)
    t = Translator(lang)
    if not _csrf_ok(caller, csrf, settings.secret_key):
        return _users_page(
            request,
            session,
            caller,
            lang,
            settings,
            ctx,
            error=t("accounts.page.expired"),
            status_code=403,
            form=form,
        )
    try:
        change(caller)
    except SmartCounterError as exc:
        session.rollback()
        return _users_page(
            request,
            session,
            caller,
            lang,
            settings,
            ctx,
            error=t(exc.key, **exc.params),
            status_code=exc.status_code,
            form=form,
        )
    return RedirectResponse(f"/users?done={done}", status_code=303)


def _or_none(value: str) -> str | None:
    return value.strip() or None


@router.post("/users", response_model=None)
def create_account(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    username: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    branch: Annotated[str, Form(max_length=64)] = "",
    staff: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    password: Field = "",
    confirm: Field = "",
) -> Response:
    """Create an account (a director: in their own branch)."""
    form = {
        "username": username,
        "role": role,
        "branch": branch,
        "staff": staff,
        "display_name": display_name,
    }

    def create(caller: Caller) -> None:
        from pydantic import ValidationError

        actor = caller.actor
        try:
            user_in = UserCreate(
                username=username.strip(),
                password=password,
                role=Role(role),
                staff_id=_or_none(staff),
                display_name=_or_none(display_name),
            )
        except (ValueError, ValidationError) as exc:
            raise _BadFieldError(exc) from exc
        # A director's accounts are of their own branch, whatever the form says.
        branch_id = _or_none(branch) if actor.branch_id is None else actor.branch_id
        accounts.create_user(
            session=session,
            actor=actor,
            branch_id=branch_id,
            user_in=user_in,
            now=ctx.now(),
            policy=PasswordPolicy.of(ctx.settings),
            confirm=confirm,
        )

    return _act(request, session, ctx, lang, settings, csrf, create, "created", form)


@router.post("/users/{username}/active", response_model=None)
def set_active(
    request: Request,
    username: UsernamePath,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    active: Annotated[bool, Form()] = False,
) -> Response:
    """Enable or disable an account."""

    def change(caller: Caller) -> None:
        accounts.set_active(
            session=session, actor=caller.actor, username=username, active=active, now=ctx.now()
        )

    done = "enabled" if active else "disabled"
    return _act(request, session, ctx, lang, settings, csrf, change, done)


@router.post("/users/{username}/password", response_model=None)
def reset_password(
    request: Request,
    username: UsernamePath,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    password: Field = "",
    confirm: Field = "",
) -> Response:
    """Give an account a new password (its sessions end, its lockout is lifted)."""

    def change(caller: Caller) -> None:
        accounts.reset_password(
            session=session,
            actor=caller.actor,
            username=username,
            password=password,
            confirm=confirm,
            now=ctx.now(),
            policy=PasswordPolicy.of(ctx.settings),
        )

    return _act(request, session, ctx, lang, settings, csrf, change, "reset")


@router.post("/users/{username}/role", response_model=None)
def set_role(
    request: Request,
    username: UsernamePath,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    branch: Annotated[str, Form(max_length=64)] = "",
    staff: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Change an account's role (the centre: also its branch), and its member of staff."""

    def change(caller: Caller) -> None:
        try:
            new_role = Role(role)
        except ValueError as exc:
            raise _BadFieldError(exc) from exc
        actor = caller.actor
        accounts.set_role(
            session=session,
            actor=actor,
            username=username,
            role=new_role,
            branch_id=_or_none(branch) if actor.branch_id is None else actor.branch_id,
            staff_id=_or_none(staff),
            now=ctx.now(),
        )

    return _act(request, session, ctx, lang, settings, csrf, change, "role")


def _password_page(
    request: Request,
    caller: Caller,
    lang: Lang,
    settings: SettingsDep,
    *,
    error: str | None = None,
    done: bool = False,
    status_code: int = 200,
) -> Response:
    return _render(
        request,
        "password.html",
        lang=lang,
        caller=caller,
        secret=settings.secret_key,
        status_code=status_code,
        page="password",
        error=error,
        done=done,
        policy_min=settings.lobby.password_min_length,
    )


@router.get("/account/password", response_model=None)
def password_page(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    done: Annotated[bool, Query()] = False,
) -> Response:
    """The form to change one's own password."""
    try:
        caller = _caller(request, session, ctx)
    except _RefusedError as refused:
        return refused.response
    return _password_page(request, caller, lang, settings, done=done)


@router.post("/account/password", response_model=None)
def change_password(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    old: Field = "",
    new: Field = "",
    confirm: Field = "",
) -> Response:
    """Change one's own password: the current one, then the new one twice."""
    try:
        caller = _caller(request, session, ctx)
    except _RefusedError as refused:
        return refused.response
    t = Translator(lang)
    if not _csrf_ok(caller, csrf, settings.secret_key):
        return _password_page(
            request, caller, lang, settings, error=t("accounts.page.expired"), status_code=403
        )
    assert caller.user is not None
    user = session.get(User, caller.user.id)
    if user is None:
        return login_redirect(request)
    try:
        accounts.change_password(
            session=session,
            user=user,
            old=old,
            new=new,
            confirm=confirm,
            now=ctx.now(),
            policy=PasswordPolicy.of(ctx.settings),
        )
    except SmartCounterError as exc:
        session.rollback()
        return _password_page(
            request,
            caller,
            lang,
            settings,
            error=t(exc.key, **exc.params),
            status_code=exc.status_code,
        )
    return RedirectResponse("/account/password?done=true", status_code=303)
